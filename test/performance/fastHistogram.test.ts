// The request duration histogram is plain numbers on the request path (lib/fastHistogram.ts),
// exposed through prom-client's registry. Its scrape text must be exactly what prom-client's own
// Histogram prints for the same observations: this fails if prom-client's registry interface or
// text format moves away from what the fast histogram answers, and the request counter's
// collect-time counts are checked against plain increments the same way.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createFastHistogram } from '../../src/lib/fastHistogram.js';
import { createMetrics } from '../../src/metrics.js';
import type { Database } from '../../src/db/queryable.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const OBSERVATIONS: [string, string, number][] = [
  ['anonymous', 'success', 0.0012],
  ['anonymous', 'success', 0.01],
  ['Viewer', 'success', 0.3],
  ['Viewer', 'error', 12],
  ['anonymous', 'error', 0.005],
  ['/healthz', 'success', 0],
  ['Viewer', 'success', 2.5],
];

describe('the fast request histogram', () => {
  it("prints exactly what prom-client's Histogram prints for the same observations", async () => {
    const stockRegistry = new Registry();
    const stock = new Histogram({ name: 'h_seconds', help: 'Help.', labelNames: ['operation', 'outcome'], buckets: BUCKETS, registers: [stockRegistry] });
    const fastRegistry = new Registry();
    const fast = createFastHistogram({ name: 'h_seconds', help: 'Help.', labelNames: ['operation', 'outcome'], buckets: BUCKETS, registry: fastRegistry });
    for (const [operation, outcome, value] of OBSERVATIONS) {
      stock.observe({ operation, outcome }, value);
      fast.observe([operation, outcome], value);
    }
    const expected = await stockRegistry.metrics();
    expect(expected).toContain('h_seconds_bucket{le="0.005",operation="anonymous",outcome="success"} 1');
    expect(await fastRegistry.metrics()).toBe(expected);
    // The JSON form too, but for the exemplars (a stock histogram lists them, null, when off).
    const json = async (registry: Registry) =>
      (await registry.getMetricsAsJSON()).map(({ values, ...metric }) => ({ ...metric, values: values.map((entry) => ({ labels: entry.labels, value: entry.value, metricName: (entry as { metricName?: string }).metricName })) }));
    expect(await json(fastRegistry)).toEqual(await json(stockRegistry));
    fastRegistry.resetMetrics();
    stockRegistry.resetMetrics();
    expect(await fastRegistry.metrics()).toBe(await stockRegistry.metrics());
  });

  it('counts requests and durations in the service metrics as prom-client would, scrape after scrape', async () => {
    const db = { poolStats: () => ({ total: 0, idle: 0, waiting: 0 }) } as unknown as Database;
    const metrics = createMetrics({ db, defaultMetrics: false });
    const stockRegistry = new Registry();
    const requests = new Counter({ name: 'identity_requests_total', help: 'x', labelNames: ['operation', 'outcome'], registers: [stockRegistry] });
    const lines = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`)).sort();
    for (const round of [0, 1]) {
      for (const [operation, outcome, seconds] of OBSERVATIONS.slice(round)) {
        const path = operation.startsWith('/') ? operation : '/graphql';
        metrics.observeRequest({ path, operationName: operation === 'anonymous' ? null : operation, outcome: outcome as 'success' | 'error', durationMs: seconds * 1000, errorCode: null });
        requests.inc({ operation, outcome });
      }
      const text = await metrics.registry.metrics();
      expect(lines(text, 'identity_requests_total')).toEqual(lines(await stockRegistry.metrics(), 'identity_requests_total'));
      expect(text).toContain(`identity_request_duration_seconds_count{operation="Viewer",outcome="success"} ${round === 0 ? 2 : 4}`);
      expect(text).toContain(`identity_request_duration_seconds_bucket{le="+Inf",operation="/healthz",outcome="success"} ${round + 1}`);
    }
  });
});
