// WorkOS's webhook signature (idp-events.md): `WorkOS-Signature: t=<ms>, v1=<hex>`, HMAC-SHA256
// with the endpoint's secret over `<t>.<raw body>`, compared in constant time; a `t` more than
// 180 s from this service's clock, either way, is refused (a replayed old delivery).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_MS = 180_000;

export type SignatureRefusal = 'missing_signature' | 'malformed_signature' | 'stale_signature' | 'invalid_signature';

/** The header's timestamp and every `v1` signature; null when it is not in that shape. */
function parseHeader(header: string): { timestamp: string; signatures: string[] } | null {
  let timestamp: string | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return null;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !/^\d{1,16}$/.test(value)) return null;
      timestamp = value;
    } else if (key === 'v1') {
      signatures.push(value);
    }
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

/**
 * Checks a delivery's signature over its raw body at `nowMs`; null when authentic, else why not.
 * Every candidate `v1` is compared (in constant time) whatever an earlier one gave.
 */
export function checkWorkosSignature(header: string | undefined, rawBody: Buffer, secret: string, nowMs: number): SignatureRefusal | null {
  if (header === undefined || header === '') return 'missing_signature';
  const parsed = parseHeader(header);
  if (parsed === null) return 'malformed_signature';
  if (Math.abs(nowMs - Number(parsed.timestamp)) > SIGNATURE_TOLERANCE_MS) return 'stale_signature';
  const expected = createHmac('sha256', secret).update(`${parsed.timestamp}.`).update(rawBody).digest();
  let valid = false;
  for (const candidate of parsed.signatures) {
    const wellFormed = /^[0-9a-fA-F]{64}$/.test(candidate);
    const given = wellFormed ? Buffer.from(candidate, 'hex') : Buffer.alloc(expected.length);
    if (timingSafeEqual(given, expected) && wellFormed) valid = true;
  }
  return valid ? null : 'invalid_signature';
}
