// What the bench scripts share: the server started exactly as `npm start` runs it (compiled,
// dist/), load runs with autocannon, GraphQL calls, resident memory, and a fresh PostgreSQL
// schema per run.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';
import type { BenchIssuer } from './issuer.js';

export const AUDIENCE = 'https://api.bench';
export const DURATION = Number(process.env['BENCH_SECONDS'] ?? 2);
export const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);
export const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const scriptsOf = (directory: string): Record<string, string> =>
  (JSON.parse(readFileSync(`${directory}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
/** The node arguments of a package.json script (`[exec] node …`): the compiled entry through scripts/run.mjs. */
const nodeArgs = (name: string, directory = '.'): string[] => scriptsOf(directory)[name]!.replace(/^(exec )?node /, '').split(' ');
/** The `npm start` node arguments of another checkout (bench/ab.ts compares two). */
function startArgsOf(directory: string): string[] {
  return nodeArgs('start', directory);
}
export const START_ARGS = nodeArgs('start');
export const IMPORT_ARGS = nodeArgs('import');

export const log = (line: string) => process.stdout.write(`${line}\n`);

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The process's user + system CPU time in ms (/proc/<pid>/stat fields 14 and 15, 100 ticks a second). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface Target {
  url: string;
  /** Postgres schema the child uses, dropped at the end; null on PGlite. */
  admin: { url: string; schema: string; schemaUrl: string } | null;
}

export async function prepareDatabase(): Promise<{ databaseUrl: string; admin: Target['admin'] }> {
  const url = process.env['DATABASE_URL'];
  if (!url || url === 'pglite://memory') return { databaseUrl: 'pglite://memory', admin: null };
  // A fresh schema, so the counts below are this run's alone.
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: parsed.toString(), admin: { url, schema, schemaUrl: parsed.toString() } };
}

export function issuerJson(name: string, issuer: BenchIssuer) {
  return { name, kind: 'oidc', issuer: issuer.url, audience: AUDIENCE, jwksUri: issuer.jwksUri, algorithms: [issuer.alg] };
}

/** The environment without OpenTelemetry's variables: the server runs with tracing off unless a run sets them in `env`. */
function withoutTracing(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('OTEL_')));
}

/** `nodeFlags` go before `npm start`'s (e.g. `--trace-gc-nvp`); `pipeStdout` hands the child's output to the caller. */
export async function startServer(
  env: Record<string, string>,
  options: { nodeFlags?: string[]; pipeStdout?: boolean; cwd?: string } = {},
): Promise<{ child: ChildProcess; base: string; pid: number }> {
  const port = await freePort();
  // What `npm start` runs (its arguments read from package.json), without npm in between: the
  // child is the server itself, so it can be signalled and measured directly. `cwd`: another
  // checkout's server, started by its own package.json (bench/ab.ts).
  const startArgs = options.cwd === undefined ? START_ARGS : startArgsOf(options.cwd);
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), ...startArgs], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...withoutTracing(process.env), ...env, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'warn' },
    stdio: ['ignore', options.pipeStdout === true ? 'pipe' : 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error('server did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, base, pid: child.pid! };
}

export interface Measured {
  rps: number;
  p99: number;
  failures: number;
  /** Responses received (when the run counted them). */
  requests?: number;
}

/** One autocannon run; `tokens` rotate per request (null: anonymous). */
export async function load(
  base: string,
  body: string,
  tokens: string[] | null,
  options: { duration?: number; amount?: number; connections?: number; prebuilt?: boolean } = {},
): Promise<Measured & { seconds: number; requests: number }> {
  let next = 0;
  let lastResponse = 0;
  const started = performance.now();
  const onResponse = () => {
    lastResponse = performance.now();
  };
  // Prebuilt: one fixed request per token (the same cost to the load generator as the anonymous
  // baseline's fixed request). Each autocannon connection walks its list of requests from the
  // start, so every connection gets a list of its own (one autocannon instance per connection):
  // otherwise all connections would send the same few tokens at once, warmer than any real
  // rotation. Only for timed runs where the order does not matter: first logins and the
  // memory run need each token sent exactly as planned (an amount), so they set the header per
  // request.
  const connections = options.connections ?? CONNECTIONS;
  const run = (requests: autocannon.Request[], clients: number) =>
    autocannon({
      url: `${base}/graphql`,
      connections: clients,
      ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.duration ?? DURATION }),
      requests,
    });
  if (options.prebuilt === true && tokens !== null && tokens.length > 1 && options.amount === undefined) {
    const prebuilt = tokens.map((token) => ({
      method: 'POST' as const,
      path: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      onResponse,
    }));
    // One autocannon instance, as for the baseline, whose every connection cycles through its own
    // share of the tokens (together: every token), not the whole list from the start (all
    // connections would send the same token at once). Each connection is handed its share as it
    // is set up: autocannon builds (and clones) every request of the list it is given, and this
    // keeps that to one build per token. Sixteen instances of one connection each, as before,
    // cost the load generator ~7 µs more a request on the cores it shares with the server
    // (bench/RESULTS.md, 2026-12-07 afternoon).
    let client = 0;
    const result = await autocannon({
      url: `${base}/graphql`,
      connections,
      duration: options.duration ?? DURATION,
      requests: [prebuilt[0]!],
      setupClient: (c: { setRequests(requests: autocannon.Request[]): void }) => {
        const k = client % connections;
        client += 1;
        c.setRequests(prebuilt.filter((_request, i) => i % connections === k));
      },
    });
    const seconds = ((lastResponse || performance.now()) - started) / 1000;
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts,
      seconds,
      requests: result.requests.total,
    };
  }
  const result = await run(
    [
      {
        method: 'POST',
        path: '/graphql',
        // One token (or none) is a fixed request autocannon builds once; rotating tokens are set
        // per request, which costs the load generator more on the cores it shares with the server.
        headers: { 'content-type': 'application/json', ...(tokens?.length === 1 ? { authorization: `Bearer ${tokens[0]}` } : {}) },
        body,
        ...(tokens !== null && tokens.length > 1
          ? {
              setupRequest: (request: Record<string, any>) => {
                const token = tokens[next % tokens.length]!;
                next += 1;
                return { ...request, headers: { ...request['headers'], authorization: `Bearer ${token}` } };
              },
            }
          : {}),
        onResponse,
      },
    ],
    connections,
  );
  // Until the last response, not autocannon's end (it stops on a whole-second tick).
  const seconds = ((lastResponse || performance.now()) - started) / 1000;
  return { rps: result.requests.average, p99: result.latency.p99, failures: result.non2xx + result.errors + result.timeouts, seconds, requests: result.requests.total };
}

export async function gql(base: string, query: string, token?: string, variables?: unknown) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

export function row(name: string, m: Measured, baseline: number | null): string {
  const ratio = baseline === null ? '' : `  ratio ${(m.rps / baseline).toFixed(2)}x`;
  const failed = m.failures > 0 ? `  FAILURES ${m.failures}` : '';
  return `${name.padEnd(44)} ${m.rps.toFixed(0).padStart(7)} req/s  p99 ${String(m.p99).padStart(4)} ms${ratio}${failed}`;
}

export function userClaims(prefix: string, i: number) {
  // Each user signed in once, in a session (its `sid`): the service records every session it admits.
  return { sub: `${prefix}|${i}`, aud: AUDIENCE, email: `${prefix}-${i}@bench.example`, email_verified: true, name: `${prefix} ${i}`, sid: `${prefix}-session-${i}` };
}
