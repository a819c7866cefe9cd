// Token introspection (callers.md): POST /oauth/introspect for a warm token against a warm
// /graphql viewer of the same token, interleaved over ROUNDS rounds so a shared machine's drift
// moves both sides; goal: introspection >= 0.9x the viewer.
import autocannon from 'autocannon';
import { CONNECTIONS, DURATION, load, log, ROUNDS, type Measured } from './harness.js';

async function introspectLoad(base: string, caller: string, token: string, duration = DURATION): Promise<Measured> {
  const result = await autocannon({
    url: `${base}/oauth/introspect`,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/oauth/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${caller}` },
        body: new URLSearchParams({ token }).toString(),
      },
    ],
  });
  return { rps: result.requests.average, p99: result.latency.p99, failures: result.non2xx + result.errors + result.timeouts };
}

/** `caller`: a service token holding tokens:introspect; `token`: a user token already warm. */
export async function benchIntrospection(base: string, caller: string, token: string): Promise<void> {
  const viewerBody = JSON.stringify({ query: '{ viewer { id email } }' });
  const check = await fetch(`${base}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${caller}` },
    body: new URLSearchParams({ token }).toString(),
  });
  const answer = (await check.json()) as { active?: boolean; sub?: string };
  if (check.status !== 200 || answer.active !== true) throw new Error(`introspection check failed: HTTP ${check.status} ${JSON.stringify(answer)}`);
  await introspectLoad(base, caller, token, 1);
  await load(base, viewerBody, [token], { duration: 1 });
  const viewer: Measured[] = [];
  const introspection: Measured[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const before = await load(base, viewerBody, [token]);
    const measured = await introspectLoad(base, caller, token);
    const after = await load(base, viewerBody, [token]);
    viewer.push(before, after);
    introspection.push(measured);
    ratios.push(measured.rps / ((before.rps + after.rps) / 2));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const failures = [...viewer, ...introspection].reduce((n, m) => n + m.failures, 0);
  log('');
  log(`token introspection (${ROUNDS} rounds of ${DURATION} s, each between two warm viewer runs; medians)`);
  log(`warm viewer { id email } on /graphql            ${median(viewer.map((m) => m.rps)).toFixed(0).padStart(7)} req/s  p99 ${String(median(viewer.map((m) => m.p99))).padStart(4)} ms`);
  log(
    `warm POST /oauth/introspect (user token)        ${median(introspection.map((m) => m.rps)).toFixed(0).padStart(7)} req/s  p99 ${String(median(introspection.map((m) => m.p99))).padStart(4)} ms  ratio ${median(ratios).toFixed(2)}x (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})${failures ? `  FAILURES ${failures}` : ''}   goal >= 0.90x`,
  );
}
