// Document fuzz: 3,000 generated documents (test/helpers/documentFuzz.ts: fragment graphs with
// cycles, diamonds and 30-deep chains, inline fragments, repeated directives, aliases, variables,
// long strings, nested literals, `_entities`, operation names, token soup), within the limits or
// just over, sent to a real server in production mode while /healthz is probed. None answers
// 5xx, none is slow (250 ms, replayed alone once before it counts), /healthz is never held, and
// nothing is logged at error level. Seeded: FUZZ_SEED=… replays a run; `npm run fuzz` runs longer.
import { describe, expect, it } from 'vitest';
import { useHardeningSuite } from '../helpers/hardening.js';
import { describeFuzzReport, runDocumentFuzz } from '../helpers/fuzzRunner.js';
import { capturingLogger } from '../helpers/platform.js';

const COUNT = Number(process.env['FUZZ_COUNT'] ?? 3000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 0xd0c5eed);

const lines: string[] = [];
const suite = useHardeningSuite({ logger: capturingLogger(lines) });

describe('document fuzz', () => {
  it(`answers ${COUNT} hostile documents without a 5xx, a slow answer or a held /healthz`, { timeout: 300_000 }, async () => {
    const report = await runDocumentFuzz({ url: suite.api.url, seed: SEED, count: COUNT });
    console.log(describeFuzzReport(report));
    expect(report.serverErrors).toEqual([]);
    expect(report.slow).toEqual([]);
    expect([...report.statuses.keys()].every((status) => status < 500)).toBe(true);
    // /healthz answers between documents; a whole-process stall (the exponential walk held it
    // for seconds) would show here. Generous against a busy machine's own pauses.
    expect(report.healthzMaxMs).toBeLessThan(1000);
    expect(report.healthzProbes).toBeGreaterThan(0);
    const errors = lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });
});
