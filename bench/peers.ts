// The peer comparison of `npm run bench`: this service against other servers, each in its own
// process on the same machine, their runs interleaved (docs/performance.md, "Peers"):
// - a bare Apollo Server answering `{ hello }` (bench/peers/bare-apollo.mjs), two ways: the bar
//   of the goals, compared with our anonymous request and our warm viewer;
// - Apollo Server + jose (bench/peers/apollo-jose.mjs) and GraphQL Yoga with its JWT plugin
//   (bench/peers/yoga-jwt.mjs), each answering `{ viewer { id email } }` for a bearer token from
//   its claims without a database: compared with our warm viewer, like for like.
// Tracing is off everywhere (bench/harness.ts removes the OTEL_* variables).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DURATION, ROUNDS, freePort, load, log, type Measured } from './harness.js';

/**
 * The peers: a bare Apollo Server (bench/peers/bare-apollo.mjs) by Apollo's standalone server or
 * node:http + executeHTTPGraphQLRequest; Apollo + jose; GraphQL Yoga + its JWT plugin.
 */
export type PeerKind = 'standalone' | 'http' | 'jose' | 'yoga';
const KINDS: readonly PeerKind[] = ['standalone', 'http', 'jose', 'yoga'];

export const PEER_KINDS: PeerKind[] = (process.env['BENCH_PEERS'] ?? KINDS.join(','))
  .split(',')
  .map((kind) => kind.trim())
  .filter((kind): kind is PeerKind => {
    if ((KINDS as readonly string[]).includes(kind)) return true;
    throw new Error(`BENCH_PEERS: unknown peer ${kind} (${KINDS.join(', ')})`);
  });

const SCRIPTS: Record<PeerKind, string> = {
  standalone: 'bare-apollo.mjs',
  http: 'bare-apollo.mjs',
  jose: 'apollo-jose.mjs',
  yoga: 'yoga-jwt.mjs',
};
const LABELS: Record<PeerKind, string> = {
  standalone: 'bare Apollo { hello }, startStandaloneServer',
  http: 'bare Apollo { hello }, node:http',
  jose: 'Apollo + jose, viewer { id email }',
  yoga: 'Yoga + plugin-jwt, viewer { id email }',
};
export const HELLO_BODY = JSON.stringify({ query: '{ hello }' });
const VIEWER_BODY = JSON.stringify({ query: '{ viewer { id email } }' });

/** The issuer the authenticating peers verify tokens of, and the token they are measured with. */
export interface PeerAuth {
  issuer: string;
  audience: string;
  jwksUri: string;
  token: string;
}

export interface Peer {
  kind: PeerKind;
  label: string;
  /** A bare Apollo Server: the bar of the goals. */
  bare: boolean;
  base: string;
  child: ChildProcess;
  /** What it is measured on: `{ hello }` anonymous (bare), else a warm viewer. */
  body: string;
  tokens: string[] | null;
  close(): Promise<void>;
}

/** Starts a peer in a child process (plain node, production) and waits until it answers correctly. */
export async function startPeer(kind: PeerKind, auth: PeerAuth): Promise<Peer> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL(`./peers/${SCRIPTS[kind]}`, import.meta.url))], {
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      PEER_HTTP: kind,
      JWT_ISSUER: auth.issuer,
      JWT_AUDIENCE: auth.audience,
      JWKS_URI: auth.jwksUri,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`peer ${kind} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: HELLO_BODY });
      const body = (await response.json()) as { data?: { hello?: string } };
      if (body.data?.hello !== 'world') throw new Error(`peer ${kind} answered ${JSON.stringify(body)}`);
      break;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('peer ')) throw error;
    }
    if (Date.now() > deadline) throw new Error(`peer ${kind} did not answer within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const bare = kind === 'standalone' || kind === 'http';
  if (!bare) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${auth.token}` },
      body: VIEWER_BODY,
    });
    const body = (await response.json()) as { data?: { viewer?: { email?: string } } };
    if (!body.data?.viewer?.email) throw new Error(`peer ${kind}: viewer check failed: ${JSON.stringify(body)}`);
  }
  return {
    kind,
    label: LABELS[kind],
    bare,
    base,
    child,
    body: bare ? HELLO_BODY : VIEWER_BODY,
    tokens: bare ? null : [auth.token],
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface OurScenario {
  name: string;
  body: string;
  tokens: string[] | null;
  /** The goal against a bare Apollo Server. */
  goal: number;
  /** Compared with the authenticating peers too (a viewer, like theirs). */
  authenticated: boolean;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * ROUNDS rounds; each runs every peer, then one of our scenarios, in turn ([P₁ P₂ A] [P₁ P₂ V] …),
 * and the peers once more at the end. Each of our runs is divided by the mean of each peer's
 * runs on either side of it (the drift of a shared machine moves both), and the table gives the
 * median and the spread of those ratios over the rounds.
 */
export async function comparePeers(base: string, scenarios: OurScenario[], peers: Peer[]): Promise<void> {
  // Warm-up: each peer's JIT and connections.
  for (const peer of peers) await loadPeer(peer);
  const peerRuns = new Map<PeerKind, Measured[]>(peers.map((peer) => [peer.kind, []]));
  const ours: { measured: Measured; ratios: Map<PeerKind, number> }[][] = scenarios.map(() => []);
  const pending: { scenario: number; measured: Measured; before: Map<PeerKind, Measured> }[] = [];
  const runPeers = async () => {
    for (const peer of peers) peerRuns.get(peer.kind)!.push(await loadPeer(peer));
    const latest = new Map(peers.map((peer) => [peer.kind, peerRuns.get(peer.kind)!.at(-1)!]));
    for (const run of pending.splice(0)) {
      const ratios = new Map(peers.map((peer) => [peer.kind, run.measured.rps / ((run.before.get(peer.kind)!.rps + latest.get(peer.kind)!.rps) / 2)]));
      ours[run.scenario]!.push({ measured: run.measured, ratios });
    }
    return latest;
  };
  let before = await runPeers();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, scenario] of scenarios.entries()) {
      const measured = await load(base, scenario.body, scenario.tokens);
      pending.push({ scenario: i, measured, before });
      before = await runPeers();
    }
  }

  log('');
  log(`peers (${ROUNDS} rounds of ${DURATION} s per run, each of our runs between runs of each peer; ratio = ours / the peer's runs around it; medians, [min–max])`);
  for (const peer of peers) {
    const runs = peerRuns.get(peer.kind)!;
    const rps = runs.map((m) => m.rps);
    const failures = runs.reduce((n, m) => n + m.failures, 0);
    log(
      `${peer.label.padEnd(50)} ${median(rps).toFixed(0).padStart(7)} req/s  p99 ${String(median(runs.map((m) => m.p99))).padStart(4)} ms  (${runs.length} runs, ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)} req/s)${failures > 0 ? `  FAILURES ${failures}` : ''}`,
    );
  }
  for (const [i, scenario] of scenarios.entries()) {
    const runs = ours[i]!;
    const measured = runs.map((run) => run.measured);
    const failures = measured.reduce((n, m) => n + m.failures, 0);
    log(
      `${scenario.name.padEnd(50)} ${median(measured.map((m) => m.rps)).toFixed(0).padStart(7)} req/s  p99 ${String(median(measured.map((m) => m.p99))).padStart(4)} ms${failures > 0 ? `  FAILURES ${failures}` : ''}`,
    );
    for (const peer of peers) {
      if (!peer.bare && !scenario.authenticated) continue;
      const ratios = runs.map((run) => run.ratios.get(peer.kind)!);
      const met = median(ratios) >= scenario.goal ? 'met' : 'NOT MET';
      log(
        `  vs ${peer.label}`.padEnd(50) +
          ` ratio ${median(ratios).toFixed(2)}x [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]${peer.bare ? `   goal >= ${scenario.goal.toFixed(2)}x: ${met}` : ''}   (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
      );
    }
  }
}

function loadPeer(peer: Peer): Promise<Measured> {
  // Every peer answers on /graphql, as ours does.
  return load(peer.base, peer.body, peer.tokens);
}
