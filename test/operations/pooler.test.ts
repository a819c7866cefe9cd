// Behind a connection pooler (operations.md): the service through a real PgBouncer in
// transaction mode, set up the two ways operators get wrong and a stock one. A listening
// connection through the pooler hears nothing: the replica must not trust memory, must say so
// naming DB_LISTEN_URL, and must refuse to start in production. Named statements left on are
// lost between server connections: retried unnamed, one line naming DB_PREPARED_STATEMENTS=false,
// no request failing, a second replica starting. A refused startup parameter is logged with the
// server's own words. Runs on PostgreSQL with pgbouncer installed.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseTarget } from '../../src/config/index.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { databaseKind } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig } from '../helpers/issuer.js';
import { pgbouncerAvailable, startPgBouncer, type PgBouncer, type PgBouncerOptions } from '../helpers/pgbouncer.js';
import { capturingLogger, platformConfig } from '../helpers/platform.js';
import { freePort, startMain } from '../helpers/process.js';
import { useTestBed } from '../helpers/testBed.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const bed = useTestBed();
const bouncers: PgBouncer[] = [];
const apps: TestApp[] = [];

/** PostgreSQL itself, the file's schema (also when the suite's own pool goes through PgBouncer). */
const direct = () => bed.database.connection!.listenUrl ?? bed.database.url!;

async function pooler(options: Partial<PgBouncerOptions> = {}): Promise<PgBouncer> {
  const bouncer = await startPgBouncer({ target: direct(), ...options });
  bouncers.push(bouncer);
  return bouncer;
}

interface Replica extends TestApp {
  /** The replica's log so far, parsed. */
  log(): { level: number; msg: string; [field: string]: unknown }[];
}

/** A replica opening its own database as `npm start` does (its incidents logged), trusting the bed's issuer. */
async function replica(database: DatabaseTarget, options: { production?: boolean; platform?: boolean } = {}): Promise<Replica> {
  const lines: string[] = [];
  const app = await startTestApp({
    issuers: [issuerConfig(bed.issuer)],
    production: options.production,
    logger: capturingLogger(lines),
    config: { database, ...(options.platform === true ? { platform: platformConfig() } : {}) },
  });
  apps.push(app);
  return { ...app, log: () => lines.map((line) => JSON.parse(line)) };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(bouncers.splice(0).map((bouncer) => bouncer.close()));
});

const userToken = (subject = `user|${randomUUID()}`) => bed.issuer.sign({ sub: subject, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true });
const adminToken = () => {
  const client = `svc-${randomUUID()}`;
  return bed.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'users:admin' });
};

async function viewer(app: TestApp, token: string): Promise<{ status: number; id: string | undefined }> {
  const answer = await app.gql('{ viewer { id } }', { token });
  return { status: answer.status, id: answer.body.data?.viewer?.id };
}

async function readyz(app: TestApp): Promise<number> {
  return (await fetch(`${app.url}/readyz`)).status;
}

/** Waits for /readyz 200, as an orchestrator would: a replica is not ready until its start-up key fetch is done. */
async function becomesReady(app: TestApp): Promise<void> {
  await eventually(async () => expect(await readyz(app)).toBe(200));
}

/** Runs `tasks` with at most `concurrency` in flight. */
async function inParallel<T>(concurrency: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await tasks[index]!();
      }
    }),
  );
  return results;
}

const naming = (variable: string) => (line: { level: number; msg: string }) => line.level === 50 && line.msg.includes(variable);

describe.skipIf(!pgbouncerAvailable)('DB_LISTEN_URL through a transaction pooler', () => {
  it('another replica refuses a suspended user within 1 s, and says once that DB_LISTEN_URL hears nothing', async () => {
    const bouncer = await pooler();
    // Two server connections behind B: its listening connection and its pool often share one.
    const small = await pooler({ poolSize: 2 });
    // A: the documented set-up. B: the listening connection through the pooler as well.
    const a = await replica({ kind: 'postgres', url: bouncer.url, listenUrl: direct(), preparedStatements: false });
    const b = await replica({ kind: 'postgres', url: small.url, listenUrl: small.url, preparedStatements: false });
    const token = await userToken();
    let userId = '';
    for (const app of [a, b, a, b, b]) {
      const seen = await viewer(app, token);
      expect(seen.status).toBe(200);
      userId = seen.id!;
    }
    // B's own notifications never come back: it says so, naming the variable, within 1 s of its first round trip.
    await eventually(() => expect(b.log().filter(naming('DB_LISTEN_URL'))).toHaveLength(1), { timeoutMs: 2000 });
    expect(a.app.db.userChanges?.listening).toBe(true);
    // Not even by chance under traffic (a pooler hands a notification to whichever client runs a
    // query on the server that LISTENed): B never believes it hears.
    let believed = 0;
    const sampler = setInterval(() => (believed += b.app.db.userChanges?.listening === true ? 1 : 0), 5);
    try {
      await inParallel(12, Array.from({ length: 240 }, (_, i) => () => viewer(i % 2 === 0 ? a : b, token)));
    } finally {
      clearInterval(sampler);
    }
    expect(believed).toBe(0);

    const suspended = await a.gql('mutation ($id: ID!) { suspendUser(userId: $id) { id } }', { token: await adminToken(), variables: { id: userId } });
    expect(suspended.body.errors).toBeUndefined();
    await eventually(async () => expect((await viewer(b, token)).status).toBe(403), { timeoutMs: 1000, intervalMs: 10 });
    await a.gql('mutation ($id: ID!) { reactivateUser(userId: $id) { id } }', { token: await adminToken(), variables: { id: userId } });
    await eventually(async () => expect((await viewer(b, token)).status).toBe(200), { timeoutMs: 1000, intervalMs: 10 });
    await a.gql('mutation ($id: ID!) { revokeSessions(userId: $id) }', { token: await adminToken(), variables: { id: userId } });
    await eventually(async () => expect((await viewer(b, token)).status).toBe(401), { timeoutMs: 1000, intervalMs: 10 });
    // Once per outage, however many round trips went unheard since.
    expect(b.log().filter(naming('DB_LISTEN_URL'))).toHaveLength(1);
  }, 30_000);

  it('in production, the process exits non-zero within 10 s naming DB_LISTEN_URL; listening straight to PostgreSQL it starts', async () => {
    const bouncer = await pooler();
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      AUTH_ISSUERS: JSON.stringify([{ name: 'test', kind: 'oidc', issuer: bed.issuer.url, audience: AUDIENCE, jwksUri: bed.issuer.jwksUri }]),
      DATABASE_URL: bouncer.url,
      DB_PREPARED_STATEMENTS: 'false',
    };
    const main = startMain({ ...env, PORT: String(await freePort()) });
    let deadline: NodeJS.Timeout | undefined;
    const code = await Promise.race([main.exited, new Promise((resolve) => (deadline = setTimeout(() => resolve('still running after 10 s'), 10_000)))]);
    clearTimeout(deadline);
    if (code === 'still running after 10 s') {
      main.child.kill('SIGKILL');
      await main.exited;
    }
    expect(code).not.toBe('still running after 10 s');
    expect(code).not.toBe(0);
    const lines = main.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.filter(naming('DB_LISTEN_URL'))).toHaveLength(1);
    expect(lines.find((line) => line.level === 60)?.msg).toContain('DB_LISTEN_URL');

    // The documented set-up passes the same check (in process: the verdict itself).
    const fixed = await replica({ kind: 'postgres', url: bouncer.url, listenUrl: direct(), preparedStatements: false }, { production: true });
    expect(await fixed.app.startupCheck).toBeNull();
    const off = await replica({ kind: 'postgres', url: bouncer.url, listenUrl: null, preparedStatements: false }, { production: true });
    expect(await off.app.startupCheck).toBeNull();
  }, 30_000);
});

describe.skipIf(!pgbouncerAvailable)('named statements left on behind a transaction pooler', () => {
  it('no request fails under concurrent load, and one line says DB_PREPARED_STATEMENTS=false', async () => {
    // Few server connections for many client ones: a statement named on one is soon missing on another.
    const bouncer = await pooler({ poolSize: 2 });
    const app = await replica({ kind: 'postgres', url: bouncer.url, listenUrl: direct(), preparedStatements: true });
    const users = await Promise.all(Array.from({ length: 60 }, () => userToken()));
    const admin = await adminToken();
    const tasks = users.flatMap((token) => [
      () => app.gql('{ viewer { id email } }', { token }),
      () => app.gql('{ viewer { id memberships { id } } }', { token }),
      () => app.gql('mutation ($name: String!) { createOrganization(input: { name: $name }) { id } }', { token, variables: { name: `Org ${randomUUID().slice(0, 8)}` } }),
      () => app.gql('{ viewer { id organizations: memberships { organization { id name } } } }', { token }),
      () => app.gql('query ($first: Int!) { users(first: $first) { edges { node { id } } } }', { token: admin, variables: { first: 5 } }),
    ]);
    const answers = await inParallel(25, tasks);
    expect(answers.length).toBeGreaterThanOrEqual(300);
    const failures = answers.filter((answer) => answer.status >= 500 || answer.body.errors !== undefined);
    expect(failures.map((answer) => answer.body.errors?.[0]?.extensions?.['code'] ?? answer.status)).toEqual([]);
    expect(app.log().filter(naming('DB_PREPARED_STATEMENTS=false'))).toHaveLength(1);
    expect(app.log().filter((line) => line.level >= 50)).toHaveLength(1);
  }, 60_000);

  it('a second replica starts and becomes ready (the migration lock included), and npm run keys works', async () => {
    // One server connection: whatever the first replica named, the second finds already there.
    const bouncer = await pooler({ poolSize: 1 });
    const database: DatabaseTarget = { kind: 'postgres', url: bouncer.url, listenUrl: direct(), preparedStatements: true };
    const first = await replica(database, { platform: true });
    await becomesReady(first);
    const second = await replica(database, { platform: true });
    await becomesReady(second);
    expect(second.log().filter(naming('DB_PREPARED_STATEMENTS=false'))).toHaveLength(1);
    expect((await viewer(second, await userToken())).status).toBe(200);

    const keys = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', 'list'], {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? '',
          DATABASE_URL: bouncer.url,
          PLATFORM_ISSUER: 'https://identity.platform.test',
          PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        },
      });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('exit', (code) => resolve({ code, err }));
    });
    expect(keys.code).toBe(0);
    expect(keys.err).toContain('DB_PREPARED_STATEMENTS=false');
  }, 60_000);
});

describe.skipIf(!pgbouncerAvailable)('a stock PgBouncer (no ignore_startup_parameters)', () => {
  it("logs the server's refusal verbatim, connects without statement_timeout, and still bounds every query", async () => {
    const bouncer = await pooler({ ignoreStartupParameters: [] });
    const app = await replica({ kind: 'postgres', url: bouncer.url, listenUrl: direct(), preparedStatements: false });
    await becomesReady(app);
    expect((await viewer(app, await userToken())).status).toBe(200);
    const refused = app.log().filter((line) => line.level === 50 && line['serverMessage'] === 'unsupported startup parameter: statement_timeout');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.msg).toContain('unsupported startup parameter: statement_timeout');
    // Without the parameter the server applies none (the role sets none here): said at start.
    expect(app.log().filter((line) => line.level === 40 && line.msg.includes('ALTER ROLE'))).toHaveLength(1);

    // The client-side bound holds: a statement outliving DB_QUERY_TIMEOUT_MS fails, as unavailable.
    const db = createPostgresDatabase({ url: bouncer.url, listenUrl: null, max: 1, connectTimeoutMs: 1000, queryTimeoutMs: 300 });
    try {
      await expect(db.query('select pg_sleep(5)')).rejects.toMatchObject({ code: 'IDENTITY_STORE_UNAVAILABLE' });
    } finally {
      await db.close();
    }
  }, 30_000);
});

describe.skipIf(databaseKind !== 'postgres')('a connection PostgreSQL refuses', () => {
  it("is logged with the server's message, not only its code", async () => {
    const url = new URL(direct());
    const missing = `identity_missing_${randomBytes(4).toString('hex')}`;
    url.pathname = `/${missing}`;
    const app = await replica({ kind: 'postgres', url: url.toString(), listenUrl: null });
    expect(await readyz(app)).toBe(503);
    const pending = app.log().find((line) => line.level === 40 && line.msg.includes('migrations pending'));
    expect(JSON.stringify(pending)).toContain(`"serverMessage":"database \\"${missing}\\" does not exist"`);
    const answer = await viewer(app, await userToken());
    expect(answer.status).toBe(503);
  }, 30_000);
});

afterAll(async () => {
  await Promise.all(bouncers.splice(0).map((bouncer) => bouncer.close()));
});
