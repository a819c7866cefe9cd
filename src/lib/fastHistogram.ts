// A Prometheus histogram for the request path: an observation is a Map lookup and three
// additions on plain numbers. prom-client's Histogram validates and hashes its label object on
// every `observe` (~2 µs a request here, docs/performance.md, "Metrics in plain numbers"); this
// one is exposed through prom-client's public registry interface (`registerMetric` of an object
// whose `get()` answers what a Histogram's does), so the scrape text is the same.
// test/performance/fastHistogram.test.ts holds it to byte-identical output against a stock
// prom-client Histogram fed the same observations (the canary if prom-client's format moves).
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

interface Series {
  labels: Record<string, string>;
  /** Observations at or below each bound (not cumulative; made so at scrape). */
  buckets: number[];
  sum: number;
  count: number;
}

export interface FastHistogram {
  /** One observation for the label values, in `labelNames` order. */
  observe(values: readonly string[], value: number): void;
}

/** Series by their first label value, then the next, … (no key string built per observation). */
type Level = Map<string, Level | Series>;

export function createFastHistogram<Label extends string>(options: {
  name: string;
  help: string;
  labelNames: readonly Label[];
  buckets: readonly number[];
  registry: Registry;
}): FastHistogram {
  const { name, help, labelNames } = options;
  const bounds = [...options.buckets].sort((a, b) => a - b);
  // Label values are bounded upstream (metrics.ts caps them).
  let root: Level = new Map();
  let series: Series[] = [];

  function seriesOf(values: readonly string[]): Series {
    let level = root;
    for (let i = 0; i < values.length - 1; i += 1) {
      let next = level.get(values[i]!) as Level | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    const last = values[values.length - 1]!;
    let found = level.get(last) as Series | undefined;
    if (found === undefined) {
      const labels: Record<string, string> = {};
      labelNames.forEach((label, i) => (labels[label] = values[i]!));
      found = { labels, buckets: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 };
      level.set(last, found);
      series.push(found);
    }
    return found;
  }

  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    labelNames,
    async get(): Promise<Pick<MetricObjectWithValues<MetricValueWithName<Label | 'le'>>, 'name' | 'help' | 'type' | 'values' | 'aggregator'>> {
      const values: MetricValueWithName<Label | 'le'>[] = [];
      for (const { labels, buckets, sum, count } of series) {
        let cumulative = 0;
        for (let i = 0; i < bounds.length; i += 1) {
          cumulative += buckets[i]!;
          values.push({ labels: { le: bounds[i]!, ...labels } as never, value: cumulative, metricName: `${name}_bucket` });
        }
        values.push({ labels: { le: '+Inf', ...labels } as never, value: count, metricName: `${name}_bucket` });
        values.push({ labels: { ...labels } as never, value: sum, metricName: `${name}_sum` });
        values.push({ labels: { ...labels } as never, value: count, metricName: `${name}_count` });
      }
      return { name, help, type: 'histogram' as never, values, aggregator: 'sum' };
    },
    reset() {
      root = new Map();
      series = [];
    },
  };
  options.registry.registerMetric(metric as unknown as Metric);

  return {
    observe(values, value) {
      const found = seriesOf(values);
      found.sum += value;
      found.count += 1;
      for (let i = 0; i < bounds.length; i += 1) {
        if (value <= bounds[i]!) {
          found.buckets[i]! += 1;
          return;
        }
      }
    },
  };
}
