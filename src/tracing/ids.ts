// Trace and span ids cut from a pool of random hex: one `randomFillSync` and one hex encoding per
// 1,024 span ids, where the SDK's RandomIdGenerator writes Math.random() into a buffer and
// hex-encodes it for every id (two to four ids a request, on its hot path). The ids come from
// the CSPRNG, as W3C trace context recommends.
import { randomFillSync } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const POOL_BYTES = 8_192;
const ZERO_SPAN_ID = '0'.repeat(16);
const ZERO_TRACE_ID = '0'.repeat(32);

export function createPooledIdGenerator(): IdGenerator {
  const bytes = Buffer.allocUnsafe(POOL_BYTES);
  let pool = '';
  let at = 0;
  const take = (chars: number, invalid: string): string => {
    for (;;) {
      if (at + chars > pool.length) {
        pool = randomFillSync(bytes).toString('hex');
        at = 0;
      }
      const id = pool.slice(at, at + chars);
      at += chars;
      // All zeros is not a valid id (W3C trace context); 2^-64 at worst, but never sent.
      if (id !== invalid) return id;
    }
  };
  return {
    generateTraceId: () => take(32, ZERO_TRACE_ID),
    generateSpanId: () => take(16, ZERO_SPAN_ID),
  };
}
