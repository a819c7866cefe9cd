// Document fuzz: 1,000 generated documents (test/helpers/documentFuzz.ts: fragment graphs with
// cycles, diamonds and 30-deep chains, inline fragments, repeated directives, aliases, variables,
// long strings, nested literals, `_entities`, operation names, token soup), within the limits or
// just over, sent to a real server in production mode while /healthz is probed. None answers
// 5xx, /healthz keeps answering, and nothing is logged at error level. "None is slow" is counted,
// not timed: every document that parses costs the document measure at most a few steps per token
// (the latencies are printed; `npm run fuzz` reports slow ones). Seeded: FUZZ_SEED=… replays a
// run, FUZZ_COUNT=… runs more; `npm run fuzz` (100,000 by default, a random seed it prints) is
// the long campaign.
import { describe, expect, it } from 'vitest';
import { documentLimits } from '../../src/graphql/documentGuard.js';
import { measured, stepBound } from '../helpers/documents.js';
import { fuzzCase } from '../helpers/documentFuzz.js';
import { useHardeningSuite } from '../helpers/hardening.js';
import { describeFuzzReport, runDocumentFuzz } from '../helpers/fuzzRunner.js';
import { capturingLogger } from '../helpers/platform.js';

const COUNT = Number(process.env['FUZZ_COUNT'] ?? 1000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 0xd0c5eed);

const lines: string[] = [];
const suite = useHardeningSuite({ logger: capturingLogger(lines) });

describe('document fuzz', () => {
  it(`answers ${COUNT} hostile documents without a 5xx or a held /healthz`, { timeout: 300_000 }, async () => {
    const report = await runDocumentFuzz({ url: suite.api.url, seed: SEED, count: COUNT });
    console.log(describeFuzzReport(report));
    expect(report.serverErrors).toEqual([]);
    expect([...report.statuses.keys()].every((status) => status < 500)).toBe(true);
    // /healthz answered between documents (its latencies are in the line printed above).
    expect(report.healthzProbes).toBeGreaterThan(0);
    const errors = lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });

  // Every third case (the generator draws each case's shape from its own seeded PRNG, so a third
  // holds every shape): the measure's cost is the same on the server, counted here without it.
  it(`measures every third of the ${COUNT} documents in at most a few steps per token (the server's limits)`, () => {
    const { config } = suite.api.app;
    const limits = documentLimits({ maxTokens: config.maxQueryTokens, maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases });
    let checked = 0;
    const over: string[] = [];
    for (let index = 0; index < COUNT; index += 3) {
      let result;
      try {
        const { query } = JSON.parse(fuzzCase(SEED, index).body) as { query?: unknown };
        if (typeof query !== 'string') continue;
        result = measured(query, limits);
      } catch {
        continue; // not JSON, or not a document graphql parses: refused before any measure
      }
      checked += 1;
      if (result.steps > stepBound(result, limits)) over.push(`case ${index}: ${result.steps} steps for ${result.tokens} tokens`);
    }
    expect(over).toEqual([]);
    expect(checked).toBeGreaterThan(COUNT / 6);
  });
});
