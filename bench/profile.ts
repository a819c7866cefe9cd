// `npx tsx bench/profile.ts [anonymous|auth|viewer|rotating|apikey|entities|hello]`: where the server's CPU goes under load.
// Starts the server as `npm start` runs it (PGlite, production) with `node --cpu-prof`, warms it
// up, drives one scenario for BENCH_PROFILE_SECONDS (10), stops it (the profile is written at
// exit) and prints the self time by module and by function, and the inclusive time of the
// functions named in FOCUS. Proportions, not absolute times: they hold on a busy machine.
// `hello` profiles the bare Apollo peer (bench/peers/bare-apollo.mjs) instead, for comparison.
// BENCH_PROFILE_IDLE=<seconds>: idle that long before the profiled load (60: the rotating users'
// stamps are all due). BENCH_PROFILE_TRACING=1: the server traces every request to an OTLP receiver in this process
// (BENCH_TRACES_SAMPLER, always_on by default: always_off for the context machinery alone).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, gql, issuerJson, load, log, startServer, userClaims } from './harness.js';
import { createBenchKey } from './apiKeys.js';
import { startBenchIssuer } from './issuer.js';
import { HELLO_BODY } from './peers.js';

const SECONDS = Number(process.env['BENCH_PROFILE_SECONDS'] ?? 10);
const scenario = process.argv[2] ?? 'anonymous';
if (!['anonymous', 'auth', 'viewer', 'rotating', 'apikey', 'entities', 'hello'].includes(scenario)) {
  throw new Error(`scenario: anonymous, auth, viewer, rotating, apikey, entities or hello, not ${scenario}`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** Where a frame's code lives: `pkg:<name>` for node_modules, `src/…`/`bench/…` for ours, `node:…` for Node's. */
function moduleOf(url: string): string {
  if (url === '') return '(native / VM)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg:${pkg[1]}`;
  const ours = /\/((?:src|bench)\/.*)$/.exec(url);
  if (ours) return ours[1]!;
  return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
}

const percent = (part: number, total: number) => `${((100 * part) / total).toFixed(1).padStart(5)} %`;

/** Functions whose inclusive time (with everything they call) is shown. */
const FOCUS = (process.env['BENCH_PROFILE_FOCUS'] ?? '').split(',').filter(Boolean);

/**
 * Summarizes the samples taken between `from` and `to` (µs before the profile's end), per request:
 * self time by module and by function, and the inclusive time of the FOCUS functions.
 */
function summarize(path: string, window: { from: number; to: number }, requests: number): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; endTime: number; startTime: number };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Time per node within the window (each sample's delta is the time until it was taken).
  const timeOf = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i]!;
    const beforeEnd = profile.endTime - at;
    if (beforeEnd > window.from || beforeEnd < window.to) continue;
    const id = profile.samples[i]!;
    timeOf.set(id, (timeOf.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  let total = 0;
  let idle = 0;
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = timeOf.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += time;
      continue;
    }
    total += time;
    const module = moduleOf(url);
    byModule.set(module, (byModule.get(module) ?? 0) + time);
    const key = `${functionName || '(anonymous)'} ${module}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  }
  // Inclusive: the time under a focused frame, counted once even when it recurses.
  const inclusive = new Map<string, number>();
  const walk = (node: ProfileNode, open: Set<string>) => {
    const name = node.callFrame.functionName;
    const entered = FOCUS.includes(name) && !open.has(name) ? name : null;
    if (entered !== null) open.add(entered);
    for (const focus of open) inclusive.set(focus, (inclusive.get(focus) ?? 0) + (timeOf.get(node.id) ?? 0));
    for (const child of node.children ?? []) walk(byId.get(child)!, open);
    if (entered !== null) open.delete(entered);
  };
  walk(profile.nodes[0]!, new Set());
  const line = (time: number, what: string) => `${percent(time, total)}  ${(time / requests).toFixed(1).padStart(6)} µs/req  ${what}`;
  log(`busy ${(total / requests).toFixed(1)} µs per request (${requests} requests), idle ${((100 * idle) / (idle + total)).toFixed(0)} % of the window`);
  log('\nself time by module');
  for (const [module, time] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 30)) log(line(time, module));
  log('\nself time by function (top 50)');
  for (const [fn, time] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 50)) log(line(time, fn));
  if (FOCUS.length > 0) {
    log('\ninclusive time');
    for (const name of FOCUS) log(line(inclusive.get(name) ?? 0, name));
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'identity-profile-'));
  const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const issuer = await startBenchIssuer('RS256');
  let stop: () => Promise<void>;
  let base: string;
  if (scenario === 'hello') {
    const port = await freePort();
    const child = spawn(process.execPath, [...flags, fileURLToPath(new URL('./peers/bare-apollo.mjs', import.meta.url))], {
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', PORT: String(port), PEER_HTTP: process.env['BENCH_PEERS'] ?? 'standalone' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    base = `http://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 1500));
    stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    };
  } else {
    const tracing: Record<string, string> = {};
    if (process.env['BENCH_PROFILE_TRACING'] === '1') {
      const receiver = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiver.unref();
      tracing['OTEL_EXPORTER_OTLP_ENDPOINT'] = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      tracing['OTEL_TRACES_SAMPLER'] = process.env['BENCH_TRACES_SAMPLER'] ?? 'always_on';
    }
    const started = await startServer(
      {
        DATABASE_URL: 'pglite://memory',
        AUTH_ISSUERS: JSON.stringify([issuerJson('bench', issuer)]),
        API_KEY_PEPPERS: `bench:${randomBytes(32).toString('base64')}`,
        ...tracing,
      },
      { nodeFlags: flags },
    );
    base = started.base;
    stop = async () => {
      if (started.child.exitCode !== null || started.child.signalCode !== null) return;
      const exited = new Promise((r) => started.child.once('exit', r));
      started.child.kill('SIGTERM');
      await exited;
    };
  }
  let window = { from: 0, to: 0 };
  let requests = 0;
  try {
    const jwt = issuer.sign(userClaims('profile', 0));
    const viewer = scenario === 'viewer' || scenario === 'apikey' || scenario === 'rotating';
    // `auth`: the anonymous body with the viewer's token: authentication's cost alone.
    if (viewer && (await gql(base, '{ viewer { id } }', jwt)).status !== 200) throw new Error('viewer check failed');
    // `apikey`: the same viewer through a personal API key of that user; `rotating`: 1,000 users' tokens in turn (as the bench's).
    const token = scenario === 'apikey' ? await createBenchKey(base, jwt) : jwt;
    // `entities`: the bench's `_entities` of 100 users (ids of users signed in first), anonymous.
    const entityIds: string[] = [];
    if (scenario === 'entities') {
      for (let i = 0; i < 100; i += 1) entityIds.push((await gql(base, '{ viewer { id } }', issuer.sign(userClaims('profile-entity', i)))).body.data.viewer.id);
    }
    const body =
      scenario === 'hello'
        ? HELLO_BODY
        : scenario === 'entities'
          ? JSON.stringify({
              query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }',
              variables: { r: entityIds.map((id) => ({ __typename: 'User', id })) },
            })
          : JSON.stringify({ query: viewer ? '{ viewer { id email } }' : '{ __typename }' });
    const tokens = scenario === 'rotating' ? Array.from({ length: 1000 }, (_, i) => issuer.sign(userClaims('profile-rot', i))) : viewer || scenario === 'auth' ? [token] : null;
    if (tokens !== null && tokens.length > 1) await load(base, body, tokens, { amount: tokens.length * 2 });
    const prebuilt = tokens !== null && tokens.length > 1;
    await load(base, body, tokens, { duration: 3, prebuilt });
    // BENCH_PROFILE_IDLE=60: the profiled load starts once every identity and session seen above is
    // due to be stamped again (a minute), as in the bench's rounds half a minute apart.
    await new Promise((resolve) => setTimeout(resolve, Number(process.env['BENCH_PROFILE_IDLE'] ?? 0) * 1000));
    const loadStarted = performance.now();
    const run = await load(base, body, tokens, { duration: SECONDS, prebuilt });
    const loadEnded = performance.now();
    requests = Math.round(run.rps * run.seconds);
    log(`${scenario}: ${run.rps.toFixed(0)} req/s over ${SECONDS} s under the profiler (slower than unprofiled), failures ${run.failures}`);
    await stop();
    // The profile ends as the child exits: the load window, counted back from there.
    const exited = performance.now();
    window = { from: (exited - loadStarted) * 1000, to: (exited - loadEnded) * 1000 };
  } finally {
    await stop();
    await issuer.close();
  }
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no profile written');
  summarize(join(dir, file), window, requests);
  if (process.env['BENCH_PROFILE_KEEP'] === undefined) rmSync(dir, { recursive: true });
  else log(`\nprofile kept: ${join(dir, file)}`);
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
