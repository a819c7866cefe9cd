// `npm run bench`: starts the subgraph as a child process exactly like `npm start` (production
// mode, PGlite in memory or DATABASE_URL), serves loopback issuers' JWKS from this process,
// drives the server with autocannon and prints throughput, p99 and ratios to the anonymous
// baseline measured in the same run (a platform token's viewer included), token exchanges per
// second, the first-login rate, the JWKS fetches of a burst signed with a key the service has
// not seen, and the server's resident memory after 1,000 and 100,000 distinct tokens.
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { AUDIENCE, cpuMs, gql, issuerJson, load, log, prepareDatabase, row, rssMb, startServer, userClaims, CONNECTIONS, DURATION, ROUNDS, type Measured } from './harness.js';
import { createBenchKey, keyCreationRate } from './apiKeys.js';
import { benchIntrospection } from './introspect.js';
import { benchIntrospectionIssuer, startBenchIntrospection } from './introspection.js';
import { startBenchIssuer, type BenchIssuer } from './issuer.js';
import { comparePeers, PEER_KINDS, startPeer, type Peer, type PeerAuth } from './peers.js';
import { runScaleBench } from './scale.js';

const FIRST_LOGINS = Number(process.env['BENCH_FIRST_LOGINS'] ?? 3000);
const MEMORY_TOKENS = Number(process.env['BENCH_MEMORY_TOKENS'] ?? 100_000);
const COLD_BURST = 200;
const REVOKED_SESSIONS = Number(process.env['BENCH_REVOKED_SESSIONS'] ?? 10_000);
/**
 * `BENCH_ONLY=peers`: only the comparison with a bare Apollo Server (bench/peers.ts), a few minutes.
 * `BENCH_ONLY=warm`: only the throughput table (warm ratios to the anonymous baseline).
 * `BENCH_ONLY=introspect`: only warm token introspection against a warm viewer (bench/introspect.ts).
 */
const ONLY = process.env['BENCH_ONLY'] ?? '';
if (ONLY !== '' && ONLY !== 'peers' && ONLY !== 'warm' && ONLY !== 'introspect') throw new Error(`BENCH_ONLY: unknown value ${ONLY} (peers, warm, introspect)`);
const PEERS_ONLY = ONLY === 'peers';
const WARM_ONLY = ONLY === 'warm';
const INTROSPECT_ONLY = ONLY === 'introspect';
const SKIP_MOST = PEERS_ONLY || INTROSPECT_ONLY;

/** Posts `count` logout tokens of `issuer` (half ending a sid, half a sub), 16 at a time. */
async function revokeSessions(base: string, issuer: BenchIssuer, run: string, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const ends = i % 2 === 0 ? { sid: `revoked-${run}-${i / 2}` } : { sub: `gone-${run}|${i}` };
      const token = issuer.sign({ aud: AUDIENCE, jti: `${run}-${i}`, events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, exp: Math.floor(Date.now() / 1000) + 120, ...ends });
      const response = await fetch(`${base}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }).toString(),
      });
      if (response.status !== 200) throw new Error(`back-channel logout answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
const PLATFORM_ISSUER = 'https://identity.bench.example';
const EXCHANGE_FORM = (token: string) =>
  new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: token, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' }).toString();

async function exchangeOnce(base: string, subjectToken: string): Promise<string> {
  const response = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: EXCHANGE_FORM(subjectToken) });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || body.access_token === undefined) throw new Error(`token exchange failed: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** Exchanges over `seconds`, one fixed request per subject token, each connection from its own offset. */
async function exchangeLoad(base: string, tokens: string[], seconds: number): Promise<Measured> {
  const requests = tokens.map((token) => ({
    method: 'POST' as const,
    path: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: EXCHANGE_FORM(token),
  }));
  const step = Math.floor(requests.length / CONNECTIONS);
  const results = await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, k) =>
      autocannon({ url: base, connections: 1, duration: seconds, requests: [...requests.slice(k * step), ...requests.slice(0, k * step)] }),
    ),
  );
  return {
    rps: results.reduce((sum, r) => sum + r.requests.average, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    failures: results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
  };
}


/** Runs `body` with every peer of BENCH_PEERS started, each in its own process, and stops them after. */
async function withPeers(auth: PeerAuth, body: (peers: Peer[]) => Promise<void>): Promise<void> {
  const peers: Peer[] = [];
  try {
    for (const kind of PEER_KINDS) peers.push(await startPeer(kind, auth));
    await body(peers);
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
  }
}

async function main() {
  const totalStarted = performance.now();
  const [rsa, es, cold] = await Promise.all([startBenchIssuer('RS256'), startBenchIssuer('ES256'), startBenchIssuer('RS256')]);
  const { databaseUrl, admin } = await prepareDatabase();
  const introspection = await startBenchIntrospection();
  const legacy = benchIntrospectionIssuer(introspection);
  // The bench issuer's machine tokens are services that may introspect (bench/introspect.ts).
  const issuers = [{ ...issuerJson('bench', rsa), serviceScopes: ['tokens:introspect'] }, issuerJson('bench-es', es), issuerJson('cold', cold), legacy.entry];
  const { child, base, pid } = await startServer({
    DATABASE_URL: databaseUrl,
    AUTH_ISSUERS: JSON.stringify(issuers),
    PLATFORM_ISSUER: PLATFORM_ISSUER,
    PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    API_KEY_PEPPERS: `bench:${randomBytes(32).toString('base64')}`,
    ...legacy.env,
  });
  const run = randomUUID().slice(0, 8);
  log(`identity subgraph bench: database ${admin ? 'postgresql' : 'pglite://memory'}, ${CONNECTIONS} connections, ${DURATION} s per scenario, node ${process.version}, server pid ${pid}`);

  try {
    const anonymousBody = JSON.stringify({ query: '{ __typename }' });
    const viewerBody = JSON.stringify({ query: '{ viewer { id email } }' });

    // Tokens: one warm user, 1,000 rotating users, first logins (the cold issuer's burst is
    // signed just before it, with a key the service has not seen).
    const minting = performance.now();
    const warmToken = rsa.sign(userClaims(`warm-${run}`, 0));
    const opaqueToken = `legacy-opaque-${run}`;
    const rotating = SKIP_MOST ? [] : Array.from({ length: 1000 }, (_, i) => rsa.sign(userClaims(`rot-${run}`, i)));
    const firstLogins = SKIP_MOST || WARM_ONLY ? [] : Array.from({ length: FIRST_LOGINS }, (_, i) => rsa.sign(userClaims(`first-${run}`, i)));
    log(`minted ${1 + rotating.length + firstLogins.length} RS256 tokens in ${((performance.now() - minting) / 1000).toFixed(1)} s`);

    // Correctness before speed: the answers the load will repeat.
    const check = await gql(base, '{ viewer { id email } }', warmToken);
    if (check.status !== 200 || !check.body.data?.viewer?.email) throw new Error(`viewer check failed: ${JSON.stringify(check.body)}`);
    const platformToken = await exchangeOnce(base, warmToken);
    const platformCheck = await gql(base, '{ viewer { id email } }', platformToken);
    if (platformCheck.body.data?.viewer?.id !== check.body.data.viewer.id) throw new Error(`platform token check failed: ${JSON.stringify(platformCheck.body)}`);
    const opaqueCheck = await gql(base, '{ viewer { id email } }', opaqueToken);
    if (opaqueCheck.status !== 200 || !opaqueCheck.body.data?.viewer?.email) throw new Error(`opaque viewer check failed: ${JSON.stringify(opaqueCheck.body)}`);

    const apiKey = await createBenchKey(base, warmToken);
    const keyCheck = await gql(base, '{ viewer { id email } }', apiKey);
    if (keyCheck.body.data?.viewer?.email !== check.body.data.viewer.email) throw new Error(`API key check failed: ${JSON.stringify(keyCheck.body)}`);

    // Warm-up: JIT, pools, the verified-token and identity caches.
    await load(base, viewerBody, [apiKey], { duration: 1 });
    await load(base, anonymousBody, null, { duration: 1 });
    await load(base, viewerBody, [warmToken], { duration: 1 });
    await load(base, viewerBody, [opaqueToken], { duration: 1 });
    const peerScenarios = [
      { name: 'this service: anonymous { __typename }', body: anonymousBody, tokens: null, goal: 0.9, authenticated: false },
      { name: 'this service: warm viewer { id email }', body: viewerBody, tokens: [warmToken], goal: 0.8, authenticated: true },
    ];
    // The authenticating peers verify the same issuer's tokens, measured with the same warm token.
    const peerAuth: PeerAuth = { issuer: rsa.url, audience: AUDIENCE, jwksUri: rsa.jwksUri, token: warmToken };
    const introspectionCaller = rsa.sign({ sub: 'bench-introspector', client_id: 'bench-introspector', aud: AUDIENCE, scope: 'tokens:introspect', exp: Math.floor(Date.now() / 1000) + 3600 });
    if (INTROSPECT_ONLY) {
      await benchIntrospection(base, introspectionCaller, warmToken);
      return;
    }
    if (PEERS_ONLY) {
      await withPeers(peerAuth, (peers) => comparePeers(base, peerScenarios, peers));
      return;
    }
    await load(base, viewerBody, rotating, { amount: rotating.length * 2 });

    const ids: string[] = [];
    for (const token of rotating.slice(0, 100)) ids.push((await gql(base, '{ viewer { id } }', token)).body.data.viewer.id);
    const entitiesBody = JSON.stringify({
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }',
      variables: { r: ids.map((id) => ({ __typename: 'User', id })) },
    });
    const entitiesCheck = await gql(base, JSON.parse(entitiesBody).query, undefined, JSON.parse(entitiesBody).variables);
    if (entitiesCheck.body.data?._entities?.filter((u: { id?: string } | null) => u?.id).length !== 100) throw new Error('_entities check failed');
    await load(base, entitiesBody, null, { duration: 1 });

    // Revocations held in memory for every scenario below: REVOKED_SESSIONS back-channel logouts
    // (half by sid, half by sub), so each request's check looks up populated maps.
    const revoking = performance.now();
    const sessionToken = es.sign({ ...userClaims(`sid-${run}`, 0), sid: `live-${run}` });
    const revokedToken = es.sign({ ...userClaims(`sid-${run}`, 1), sid: `revoked-${run}-0` });
    if ((await gql(base, '{ viewer { id } }', revokedToken)).status !== 200) throw new Error('session token check failed');
    await revokeSessions(base, es, run, REVOKED_SESSIONS);
    const revokedAnswer = await gql(base, '{ viewer { id } }', revokedToken);
    if (revokedAnswer.status !== 401) throw new Error(`a revoked session still answers ${revokedAnswer.status}`);
    log(`revoked ${REVOKED_SESSIONS} sessions by back-channel logout in ${((performance.now() - revoking) / 1000).toFixed(1)} s (a revoked one answers 401)`);
    await load(base, viewerBody, [sessionToken], { duration: 1 });

    // Every scenario run sits between two anonymous runs, over ROUNDS rounds: its ratio is against
    // the mean of the baselines on either side of it, so the drift of a shared machine (±15 % over
    // seconds here) moves both sides; the table shows the medians over the rounds.
    log('');
    log(`throughput (${ROUNDS} interleaved rounds of ${DURATION} s per scenario after a warm-up; ratio = scenario / anonymous baseline around it; medians)`);
    const scenarios = [
      { name: 'authenticated { __typename } (auth cost only)', body: anonymousBody, tokens: [warmToken], goal: '' },
      { name: 'warm viewer { id email }, one token', body: viewerBody, tokens: [warmToken], goal: '   goal >= 0.90x' },
      { name: 'warm viewer { id email }, platform token', body: viewerBody, tokens: [platformToken], goal: '   goal >= 0.90x' },
      { name: 'warm viewer { id email }, API key', body: viewerBody, tokens: [apiKey], goal: '   goal >= 0.90x' },
      { name: 'warm viewer, opaque legacy session', body: viewerBody, tokens: [opaqueToken], goal: '   goal >= 0.90x' },
      { name: 'viewer { id email }, 1,000 tokens rotating', body: viewerBody, tokens: rotating, prebuilt: true, goal: '   goal >= 0.85x' },
      { name: '_entities, 100 User representations', body: entitiesBody, tokens: null, goal: '   goal >= 0.50x' },
      { name: `warm viewer, sid token, ${REVOKED_SESSIONS} revoked held`, body: viewerBody, tokens: [sessionToken], goal: '   goal >= 0.90x' },
    ];
    // The server's CPU time per request (from /proc) beside each run's throughput: the steadier
    // figure on a shared machine, where the load generator and other work move throughput.
    const withCpu = async (run: () => ReturnType<typeof load>) => {
      const before = cpuMs(pid);
      const measured = await run();
      return { ...measured, cpuUs: ((cpuMs(pid) - before) * 1000) / Math.max(1, measured.requests) };
    };
    type Timed = Measured & { cpuUs: number };
    const anonymous: Timed[] = [await withCpu(() => load(base, anonymousBody, null))];
    const runs: { measured: Timed; ratio: number; cpuRatio: number }[][] = scenarios.map(() => []);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, scenario] of scenarios.entries()) {
        const measured = await withCpu(() => load(base, scenario.body, scenario.tokens, { prebuilt: scenario.prebuilt === true }));
        const before = anonymous[anonymous.length - 1]!;
        const after = await withCpu(() => load(base, anonymousBody, null));
        anonymous.push(after);
        runs[i]!.push({ measured, ratio: measured.rps / ((before.rps + after.rps) / 2), cpuRatio: (before.cpuUs + after.cpuUs) / 2 / measured.cpuUs });
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const baseline = median(anonymous.map((m) => m.rps));
    const spread = `${Math.min(...anonymous.map((m) => m.rps)).toFixed(0)}–${Math.max(...anonymous.map((m) => m.rps)).toFixed(0)}`;
    log(row('anonymous { __typename }', { rps: baseline, p99: median(anonymous.map((m) => m.p99)), failures: anonymous.reduce((n, m) => n + m.failures, 0) }, null) + `  (${anonymous.length} runs, ${spread} req/s; server CPU ${median(anonymous.map((m) => m.cpuUs)).toFixed(0)} µs/req)`);
    for (const [i, scenario] of scenarios.entries()) {
      const measured = runs[i]!.map((run) => run.measured);
      const ratios = runs[i]!.map((run) => run.ratio);
      const summary = { rps: median(measured.map((m) => m.rps)), p99: median(measured.map((m) => m.p99)), failures: measured.reduce((n, m) => n + m.failures, 0) };
      const failed = summary.failures > 0 ? `  FAILURES ${summary.failures}` : '';
      log(`${scenario.name.padEnd(44)} ${summary.rps.toFixed(0).padStart(7)} req/s  p99 ${String(summary.p99).padStart(4)} ms  ratio ${median(ratios).toFixed(2)}x (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})${failed}${scenario.goal}`);
      const cpu = runs[i]!.map((run) => run.measured.cpuUs);
      log(`${''.padEnd(44)} server CPU ${median(cpu).toFixed(0)} µs/req, CPU ratio ${median(runs[i]!.map((run) => run.cpuRatio)).toFixed(2)}x (anonymous CPU per request / this one's)`);
    }

    if (WARM_ONLY) return;
    await benchIntrospection(base, introspectionCaller, warmToken);

    // This service against a bare Apollo Server in its own process (bench/peers.ts).
    await withPeers(peerAuth, (peers) => comparePeers(base, peerScenarios, peers));

    // Token exchange for warm identities (each subject token verified and resolved before):
    // the cost is the membership read and the signature.
    const exchangeTokens = rotating.slice(0, 200);
    for (const token of exchangeTokens.slice(0, 20)) await exchangeOnce(base, token);
    await exchangeLoad(base, exchangeTokens, 1);
    const exchanges = await exchangeLoad(base, exchangeTokens, DURATION * 2);
    log('');
    log(`token exchange (POST /oauth/token, ES256, ${exchangeTokens.length} warm identities rotating): ${exchanges.rps.toFixed(0)} exchanges/s, p99 ${exchanges.p99} ms${exchanges.failures ? `, FAILURES ${exchanges.failures}` : ''}   goal >= 1000/s on PostgreSQL`);

    // API key creation: 20 users (warm) creating 50 keys each, 8 at a time.
    const creation = await keyCreationRate(base, rotating.slice(200, 220), 50);
    log('');
    log(`API key creation: ${creation.created} keys in ${creation.seconds.toFixed(2)} s = ${creation.rate.toFixed(0)} keys/s (8 concurrent, each with its audit row)`);

    // First logins: every token is new; each is sent twice, concurrently, to race itself.
    const doubled = firstLogins.flatMap((token) => [token, token]);
    const firsts = await load(base, viewerBody, doubled, { amount: doubled.length, connections: 32 });
    const rate = FIRST_LOGINS / firsts.seconds;
    const seen = new Set<string>();
    for (const token of firstLogins) seen.add((await gql(base, '{ viewer { id } }', token)).body.data?.viewer?.id);
    log('');
    log(`first logins: ${FIRST_LOGINS} new identities (each token twice, concurrently) in ${firsts.seconds.toFixed(2)} s = ${rate.toFixed(0)} identities/s, p99 ${firsts.p99} ms${firsts.failures ? `, FAILURES ${firsts.failures}` : ''}   goal >= 500/s on PostgreSQL`);
    log(`  distinct viewer ids afterwards: ${seen.size} of ${FIRST_LOGINS}${seen.size === FIRST_LOGINS ? ' (no duplicate)' : ' DUPLICATES OR MISSING'}`);
    if (admin) {
      const client = new pg.Client({ connectionString: admin.schemaUrl });
      await client.connect();
      const [users] = (await client.query(`select count(*)::int as n, count(distinct email)::int as d from users where email like $1`, [`first-${run}-%`])).rows;
      const [identities] = (await client.query(`select count(*)::int as n, count(distinct subject)::int as d from identities where subject like $1`, [`first-${run}|%`])).rows;
      await client.end();
      log(`  SQL: users ${users.n} (distinct emails ${users.d}), identities ${identities.n} (distinct subjects ${identities.d})${users.n === FIRST_LOGINS && identities.n === FIRST_LOGINS ? ' (no duplicate)' : ' MISMATCH'}`);
    }

    // A burst of concurrent requests signed with a key the service has not seen must cost one
    // JWKS fetch. The service fetched every issuer's keys at start (operations.md, key prefetch),
    // so the cold issuer rotates first, as an IdP does: the burst's kid is unknown to it.
    cold.rotate();
    const coldTokens = Array.from({ length: COLD_BURST }, (_, i) => cold.sign(userClaims(`cold-${run}`, i)));
    const before = cold.jwksRequests;
    const burst = await Promise.all(coldTokens.map((token) => gql(base, '{ viewer { id } }', token)));
    const ok = burst.filter((r) => r.status === 200 && r.body.data?.viewer?.id).length;
    log('');
    log(`cold key burst (the issuer rotated): ${COLD_BURST} concurrent requests, ${ok} answered 200, JWKS fetches ${cold.jwksRequests - before}   goal = 1`);

    // Memory: distinct ES256 tokens for a fixed population of 1,000 users (token i belongs to
    // user i % 1,000), RSS after the first 1,000 and after MEMORY_TOKENS. The first 1,000 sign in
    // every user, so what follows adds no rows: growth is what the caches keep, which must be bounded.
    const minted = performance.now();
    const memoryTokens = Array.from({ length: MEMORY_TOKENS }, (_, i) => es.sign({ ...userClaims(`mem-${run}`, i % 1000), jti: String(i) }));
    log('');
    log(`minted ${MEMORY_TOKENS} ES256 tokens in ${((performance.now() - minted) / 1000).toFixed(1)} s`);
    const first = await load(base, viewerBody, memoryTokens.slice(0, 1000), { amount: 1000 });
    await new Promise((r) => setTimeout(r, 500));
    const rssA = rssMb(pid);
    const rest = await load(base, viewerBody, memoryTokens.slice(1000), { amount: MEMORY_TOKENS - 1000 });
    await new Promise((r) => setTimeout(r, 500));
    const rssB = rssMb(pid);
    log(`memory: RSS after 1,000 distinct tokens ${rssA.toFixed(0)} MB, after ${MEMORY_TOKENS.toLocaleString('en')} ${rssB.toFixed(0)} MB, growth ${(rssB - rssA).toFixed(0)} MB   goal <= 50 MB`);
    log(`  (${MEMORY_TOKENS - 1000} cold tokens at ${((MEMORY_TOKENS - 1000) / rest.seconds).toFixed(0)} req/s, p99 ${rest.p99} ms${rest.failures + first.failures ? `, FAILURES ${rest.failures + first.failures}` : ''})`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (admin) {
      const client = new pg.Client({ connectionString: admin.url });
      await client.connect();
      await client.query(`drop schema ${admin.schema} cascade`);
      await client.end();
    }
    await Promise.all([rsa.close(), es.close(), cold.close(), introspection.close()]);
    // The scale scenario needs PostgreSQL (BENCH_SCALE=0 leaves it out).
    if (admin && !SKIP_MOST && !WARM_ONLY && process.env['BENCH_SCALE'] !== '0') await runScaleBench();
    log('');
    log(`bench finished in ${((performance.now() - totalStarted) / 1000).toFixed(0)} s`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
