// Sends the document fuzzer's cases (documentFuzz.ts) to a running server over keep-alive
// connections while probing /healthz, and reports what came back: statuses, latencies, every
// 5xx and every case slow twice (a case over the bound is replayed once, alone, before it counts:
// two busy cores pause now and then for reasons of their own).
import { Agent, request } from 'node:http';
import { fuzzCase, type FuzzCase, type FuzzLimits } from './documentFuzz.js';

export interface FuzzOptions {
  url: string;
  seed: number;
  count: number;
  concurrency?: number;
  /** A request slower than this (ms), twice, is reported. */
  slowMs?: number;
  limits?: FuzzLimits;
  headers?: Record<string, string>;
  onProgress?: (done: number) => void;
}

export interface FuzzFinding {
  index: number;
  kind: string;
  status: number;
  ms: number;
}

export interface FuzzReport {
  seed: number;
  count: number;
  statuses: Map<number, number>;
  maxMs: number;
  p99Ms: number;
  serverErrors: FuzzFinding[];
  slow: FuzzFinding[];
  healthzMaxMs: number;
  healthzProbes: number;
}

function post(agent: Agent, url: URL, path: string, body: string | null, headers: Record<string, string>): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: body === null ? 'GET' : 'POST',
        headers: body === null ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

export async function runDocumentFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const url = new URL(options.url);
  const slowMs = options.slowMs ?? 250;
  const concurrency = options.concurrency ?? 4;
  const headers = { 'apollo-require-preflight': 'true', ...options.headers };
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency + 1 });
  const report: FuzzReport = {
    seed: options.seed,
    count: options.count,
    statuses: new Map(),
    maxMs: 0,
    p99Ms: 0,
    serverErrors: [],
    slow: [],
    healthzMaxMs: 0,
    healthzProbes: 0,
  };
  const latencies: number[] = [];
  const slowFirst: { index: number; fuzz: FuzzCase }[] = [];
  let next = 0;
  let running = true;
  const probe = async () => {
    while (running) {
      const { ms } = await post(agent, url, '/healthz', null, {});
      report.healthzProbes++;
      report.healthzMaxMs = Math.max(report.healthzMaxMs, ms);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const worker = async () => {
    for (let index = next++; index < options.count; index = next++) {
      const fuzz = fuzzCase(options.seed, index, options.limits);
      const { status, ms } = await post(agent, url, '/graphql', fuzz.body, headers);
      report.statuses.set(status, (report.statuses.get(status) ?? 0) + 1);
      latencies.push(ms);
      if (status >= 500) report.serverErrors.push({ index, kind: fuzz.kind, status, ms });
      if (ms > slowMs) slowFirst.push({ index, fuzz });
      if (index % 1000 === 0) options.onProgress?.(index);
    }
  };
  const probing = probe();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    running = false;
    await probing;
  }
  // Replayed alone: slow again, it is the document's cost, not the machine's.
  for (const { index, fuzz } of slowFirst) {
    const { status, ms } = await post(agent, url, '/graphql', fuzz.body, headers);
    if (ms > slowMs) report.slow.push({ index, kind: fuzz.kind, status, ms });
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  report.maxMs = latencies.at(-1) ?? 0;
  report.p99Ms = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  return report;
}

export function describeFuzzReport(report: FuzzReport): string {
  const statuses = [...report.statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ');
  return (
    `seed ${report.seed}, ${report.count} documents: ${statuses}; max ${report.maxMs.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms; ` +
    `${report.serverErrors.length} 5xx, ${report.slow.length} slow twice; /healthz max ${report.healthzMaxMs.toFixed(1)} ms over ${report.healthzProbes} probes`
  );
}
