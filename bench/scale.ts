// `npm run bench:scale` (and the end of `npm run bench` on PostgreSQL): the same per-request
// work on a database of BENCH_SCALE_USERS (default 1,000,000) imported users as on 1,000, side
// by side: `npm run import` time and peak memory, first logins, warm viewer, `_entities`, and
// the query plans of the hot paths (no sequential scan of a table that grows with the users).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { migrate } from '../src/db/migrate.js';
import { insertOrganization } from '../src/db/organizations.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { explainStatements, LARGE_TABLES } from './plans.js';
import { gql, issuerJson, load, log, prepareDatabase, startServer, DURATION } from './harness.js';
import { startBenchIssuer, type BenchIssuer } from './issuer.js';

const LARGE = Number(process.env['BENCH_SCALE_USERS'] ?? 1_000_000);
const SMALL = 1000;
const FIRST_LOGINS = Number(process.env['BENCH_SCALE_FIRST_LOGINS'] ?? 1000);
const SAMPLE = 1000;

interface SizeResult {
  users: number;
  importSeconds: number;
  importPeakMb: number;
  firstLogins: number;
  anonymous: number;
  viewer: number;
  entities: number;
  searchOne: string;
  searchMany: string;
  explained: number;
  seqScans: string[];
}

/** Writes `users` lines (streamed) and returns a sample of their ids. */
async function writeUsers(path: string, users: number, organizationId: string): Promise<string[]> {
  const out = createWriteStream(path);
  const sample: string[] = [];
  for (let i = 0; i < users; i += 1) {
    const id = randomUUID();
    if (sample.length < SAMPLE && i % Math.max(1, Math.floor(users / SAMPLE)) === 0) sample.push(id);
    // One in ten belongs to the organization, so memberships grow with the users too.
    const memberships = i % 10 === 0 ? [{ organizationId, role: 'MEMBER' }] : [];
    const line = `${JSON.stringify({ id, email: `user${i}@scale.bench`, emailVerified: true, name: `User ${i}`, identities: [{ issuer: 'bench', subject: `legacy|${i}` }], memberships })}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return sample;
}

/** Runs `npm run import` (its command, without npm) and samples its resident memory. */
async function importFile(file: string, env: Record<string, string>): Promise<{ seconds: number; peakMb: number; output: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let peakKb = 0;
  const sampler = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // Exited.
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`import exited with ${code}: ${output}`);
  return { seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024, output };
}

/** Runs the hot paths in-process with every statement recorded, then explains them. */
async function checkPlans(env: Record<string, string>, issuer: BenchIssuer, ids: string[]): Promise<{ explained: number; seqScans: string[] }> {
  const statements: string[] = [];
  const app = await createApp(loadConfig({ ...env, NODE_ENV: 'production', LOG_LEVEL: 'silent' }), { onQuery: (text) => statements.push(text) });
  try {
    const base = await app.listen(0, '127.0.0.1');
    const joining = issuer.sign({ sub: `sso|${randomUUID()}`, aud: 'https://api.bench', email: 'user7@scale.bench', email_verified: true });
    for (const token of [joining, joining]) await gql(base, '{ viewer { id email identities { subject } memberships { role } } }', token);
    await gql(base, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }', undefined, { r: ids.slice(0, 100).map((id) => ({ __typename: 'User', id })) });
    const admin = issuer.sign({ sub: 'scale-admin', client_id: 'scale-admin', aud: 'https://api.bench', scope: 'users:admin' });
    for (const query of ['user77', 'User 77']) await gql(base, `{ users(first: 10, query: ${JSON.stringify(query)}) { edges { node { id } } pageInfo { endCursor } } }`, admin);
    const explained = await explainStatements(app.db, statements);
    return { explained: explained.length, seqScans: explained.flatMap((s) => s.seqScans.map((scan) => `${scan}: ${s.text.slice(0, 100)}`)) };
  } finally {
    await app.close();
  }
}

async function measure(users: number, issuer: BenchIssuer, dir: string): Promise<SizeResult> {
  const { databaseUrl, admin } = await prepareDatabase();
  if (admin === null) throw new Error('the scale bench needs PostgreSQL: set DATABASE_URL');
  const env = { DATABASE_URL: databaseUrl, AUTH_ISSUERS: JSON.stringify([{ ...issuerJson('bench', issuer), serviceScopes: ['users:admin'] }]) };
  try {
    const organizationId = randomUUID();
    const db = createPostgresDatabase({ url: databaseUrl, listenUrl: null, max: 1, connectTimeoutMs: 5000, queryTimeoutMs: 60_000 });
    await migrate(db);
    await insertOrganization(db, { id: organizationId, name: 'Scale' });
    await db.close();
    const file = join(dir, `users-${users}.jsonl`);
    const ids = await writeUsers(file, users, organizationId);
    const imported = await importFile(file, env);
    rmSync(file);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('analyze');
    await client.end();

    const { child, base } = await startServer(env);
    try {
      const run = randomUUID().slice(0, 8);
      const anonymousBody = JSON.stringify({ query: '{ __typename }' });
      const viewerBody = JSON.stringify({ query: '{ viewer { id email } }' });
      // First logins of imported people through SSO: a new identity joining its user by email.
      const firsts = Array.from({ length: FIRST_LOGINS }, (_, i) => issuer.sign({ sub: `sso-${run}|${i}`, aud: 'https://api.bench', email: `user${i}@scale.bench`, email_verified: true }));
      const first = await load(base, viewerBody, firsts, { amount: firsts.length, connections: 16 });
      const warm = issuer.sign({ sub: `sso-${run}|0`, aud: 'https://api.bench', email: 'user0@scale.bench', email_verified: true });
      await load(base, viewerBody, [warm], { duration: 1 });
      const entitiesBody = JSON.stringify({
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }',
        variables: { r: ids.slice(0, 100).map((id) => ({ __typename: 'User', id })) },
      });
      const anonymous = await load(base, anonymousBody, null);
      const viewer = await load(base, viewerBody, [warm]);
      const entities = await load(base, entitiesBody, null);
      // An administrator's search (users:admin, a client-credentials token), twice: one email
      // (one match at either size: the same work), and a page of 10 of the users whose email
      // starts with "user77" (1 match at 1,000 users, 11,111 at 1,000,000: more to choose from).
      const admin = issuer.sign({ sub: 'scale-admin', client_id: 'scale-admin', aud: 'https://api.bench', scope: 'users:admin' });
      const searchRate = async (prefix: string) => {
        const query = `{ users(first: 10, query: ${JSON.stringify(prefix)}) { edges { node { id email } } } }`;
        const check = await gql(base, query, admin);
        if (check.status !== 200 || !(check.body.data?.users?.edges?.length > 0)) throw new Error(`users(query) check failed: ${JSON.stringify(check.body)}`);
        const measured = await load(base, JSON.stringify({ query }), [admin]);
        return `${measured.rps.toFixed(0)} req/s (${(measured.rps / anonymous.rps).toFixed(2)}x)`;
      };
      const searchOne = await searchRate('user777@');
      const searchMany = await searchRate('user77');
      const plans = await checkPlans(env, issuer, ids);
      return {
        users,
        importSeconds: imported.seconds,
        importPeakMb: imported.peakMb,
        firstLogins: FIRST_LOGINS / first.seconds,
        anonymous: anonymous.rps,
        viewer: viewer.rps,
        entities: entities.rps,
        searchOne,
        searchMany,
        explained: plans.explained,
        seqScans: plans.seqScans,
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  } finally {
    const client = new pg.Client({ connectionString: admin.url });
    await client.connect();
    await client.query(`drop schema ${admin.schema} cascade`);
    await client.end();
  }
}

export async function runScaleBench(): Promise<void> {
  const issuer = await startBenchIssuer('RS256');
  const dir = mkdtempSync(join(tmpdir(), 'identity-scale-'));
  try {
    log('');
    log(`scale: ${SMALL.toLocaleString('en')} vs ${LARGE.toLocaleString('en')} imported users on PostgreSQL (${DURATION} s per scenario; first logins join imported users by email)`);
    const results = [await measure(SMALL, issuer, dir), await measure(LARGE, issuer, dir)];
    const cell = (f: (r: SizeResult) => string) => results.map((r) => f(r).padStart(26)).join('');
    log(`${''.padEnd(30)}${results.map((r) => `${r.users.toLocaleString('en')} users`.padStart(26)).join('')}`);
    log(`${'npm run import'.padEnd(30)}${cell((r) => `${r.importSeconds.toFixed(1)} s, ${(r.users / r.importSeconds).toFixed(0)} lines/s`)}`);
    log(`${'  peak resident memory'.padEnd(30)}${cell((r) => `${r.importPeakMb.toFixed(0)} MB`)}`);
    log(`${'first logins (join by email)'.padEnd(30)}${cell((r) => `${r.firstLogins.toFixed(0)}/s`)}`);
    log(`${'anonymous { __typename }'.padEnd(30)}${cell((r) => `${r.anonymous.toFixed(0)} req/s`)}`);
    log(`${'warm viewer { id email }'.padEnd(30)}${cell((r) => `${r.viewer.toFixed(0)} req/s (${(r.viewer / r.anonymous).toFixed(2)}x)`)}`);
    log(`${'_entities, 100 users'.padEnd(30)}${cell((r) => `${r.entities.toFixed(0)} req/s (${(r.entities / r.anonymous).toFixed(2)}x)`)}`);
    log(`${'users(query) "user777@"'.padEnd(30)}${cell((r) => r.searchOne)}`);
    log(`${'users(query) "user77", 10'.padEnd(30)}${cell((r) => r.searchMany)}`);
    log(`${'plans: statements explained'.padEnd(30)}${cell((r) => `${r.explained}, seq scans ${r.seqScans.length}`)}`);
    for (const r of results) for (const scan of r.seqScans) log(`  SEQUENTIAL SCAN at ${r.users} users (${LARGE_TABLES.join('/')}): ${scan}`);
    log('  (a table of a few pages is rightly scanned whole: the plans that matter are those at the larger size)');
    log(`  goals: import of 1,000,000 <= 180 s and <= 400 MB; the per-request figures alike at both sizes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await issuer.close();
  }
}

if (process.argv[1]?.endsWith('scale.ts')) {
  runScaleBench().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
