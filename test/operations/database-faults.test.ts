// The identity store failing or shared: PostgreSQL cut mid-run behind a TCP proxy (503
// IDENTITY_STORE_UNAVAILABLE within seconds, /readyz 503, recovery without a restart), and
// replicas sharing one database (migrations applied once, one user per identity under races).
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/db/migrate.js';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { migrate } from '../../src/db/migrate.js';
import { startTestApp, type GraphQLResult, type TestApp } from '../helpers/app.js';
import { openTestDatabase, TEST_DATABASE_URL, urlWithSchema, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { startTcpProxy, type CutMode, type TcpProxy } from '../helpers/tcpProxy.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

function userToken(sub = `user-${randomUUID()}`, email = `${randomUUID()}@example.com`): Promise<string> {
  return issuer.sign({ sub, aud: 'https://api.test', email, email_verified: true });
}

async function readyStatus(api: TestApp): Promise<number> {
  return (await fetch(`${api.url}/readyz`)).status;
}

/** Asserts a request made while the store is unreachable: 503, the code, no identity handed out. */
/** Sixteen concurrent first requests of one new identity, split across two replicas: one user, one identity. */
async function expectOneUserProvisioned(replicas: TestApp[]): Promise<void> {
  const sub = `user-${randomUUID()}`;
  const email = `${randomUUID()}@example.com`;
  const token = await userToken(sub, email);
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) => replicas[i % 2]!.gql('{ viewer { id } }', { token })));
  for (const result of results) expect(result.status).toBe(200);
  expect(new Set(results.map((r) => r.body.data.viewer.id)).size).toBe(1);
  const db = replicas[0]!.app.db;
  expect(await db.query('select id from users where email = $1', [email])).toHaveLength(1);
  expect(await db.query('select id from identities where subject = $1', [sub])).toHaveLength(1);
}

function expectStoreUnavailable(result: GraphQLResult<any>, sub: string): void {
  expect(result.status).toBe(503);
  expect(result.body.errors?.[0]?.extensions?.code).toBe('IDENTITY_STORE_UNAVAILABLE');
  expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(result.body.data?.viewer ?? null).toBeNull();
  expect(JSON.stringify(result.body)).not.toContain(sub);
}

describe.skipIf(TEST_DATABASE_URL === null)('on PostgreSQL', () => {
  describe('PostgreSQL unreachable at start (TCP proxy)', () => {
    it('serves 503 and /readyz 503, then applies the migrations and serves once the server answers', async () => {
      const database = await openTestDatabase();
      const target = new URL(TEST_DATABASE_URL!);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      proxy.cut('reset');
      const api = await startTestApp({
        issuers: [issuerConfig(issuer)],
        config: { database: { kind: 'postgres', url: proxy.proxied(database.url!) }, dbConnectTimeoutMs: 500, dbQueryTimeoutMs: 1000 },
      });
      try {
        expect(await readyStatus(api)).toBe(503);
        const sub = `user-${randomUUID()}`;
        expectStoreUnavailable(await api.gql('{ viewer { id } }', { token: await userToken(sub) }), sub);
        proxy.restore();
        await eventually(async () => expect(await readyStatus(api)).toBe(200), { timeoutMs: 10_000 });
        const result = await api.gql('{ viewer { id } }', { token: await userToken() });
        expect(result.status).toBe(200);
        expect(result.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
      } finally {
        await api.close();
        await proxy.close();
        await database.close();
      }
    });
  });

  describe('PostgreSQL cut mid-run (TCP proxy)', () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let api: TestApp;

    beforeAll(async () => {
      database = await openTestDatabase();
      const target = new URL(TEST_DATABASE_URL!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      api = await startTestApp({
        issuers: [issuerConfig(issuer)],
        config: {
          database: { kind: 'postgres', url: proxy.proxied(database.url!) },
          dbConnectTimeoutMs: 500,
          dbQueryTimeoutMs: 1000,
        },
      });
    });
    afterAll(async () => {
      await api?.close();
      await proxy?.close();
      await database?.close();
    });

    it.each<[CutMode]>([['reset'], ['blackhole']])('answers 503 (the pool deadline) when cut (%s), and recovers without a restart', async (mode) => {
      const known = await userToken();
      const knownResult = await api.gql('{ viewer { id } }', { token: known });
      expect(knownResult.status).toBe(200);
      const knownId = knownResult.body.data.viewer.id as string;
      expect(await readyStatus(api)).toBe(200);

      proxy.cut(mode);
      try {
        const sub = `user-${randomUUID()}`;
        // Cut, the database never answers (blackhole) or refuses (reset): a 503 at all is the
        // pool's deadline (dbConnectTimeoutMs/dbQueryTimeoutMs above), never a hung request.
        const result = await api.gql('{ viewer { id } }', { token: await userToken(sub) });
        expectStoreUnavailable(result, sub);

        // A known user asking for stored fields: never a wrong identity, the store's code if it fails.
        const profile = await api.gql('{ viewer { id email } }', { token: known });
        if (profile.status !== 200) expect(profile.body.errors?.[0]?.extensions?.code).toBe('IDENTITY_STORE_UNAVAILABLE');
        if (profile.body.data?.viewer) expect(profile.body.data.viewer.id).toBe(knownId);

        expect(await readyStatus(api)).toBe(503);
      } finally {
        proxy.restore();
      }

      // Recovery: the pool replaces its broken connections; no restart.
      const recovered = await eventually(async () => {
        const answer = await api.gql('{ viewer { id email } }', { token: await userToken() });
        expect(answer.status).toBe(200);
        return answer;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      expect(recovered.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await readyStatus(api)).toBe(200);
      expect((await api.gql('{ viewer { id } }', { token: known })).body.data.viewer.id).toBe(knownId);
    });
  });

  describe('two replicas on one PostgreSQL schema', () => {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    let url: string;
    let replicas: TestApp[] = [];

    beforeAll(async () => {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL! });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      url = urlWithSchema(TEST_DATABASE_URL!, schema);
    });
    afterAll(async () => {
      await Promise.all(replicas.map((r) => r.close()));
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL! });
      await admin.connect();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    });

    it('start together on an empty schema: migrations applied once, both ready', async () => {
      replicas = await Promise.all(
        [0, 1].map(() => startTestApp({ issuers: [issuerConfig(issuer)], config: { database: { kind: 'postgres', url } } })),
      );
      // Ready once each has applied or seen the migrations and heard its own notification (a busy
      // machine may take a moment after listening).
      for (const replica of replicas) await eventually(async () => expect(await readyStatus(replica)).toBe(200), { timeoutMs: 10_000 });
      const rows = await replicas[0]!.app.db.query<{ name: string }>('select name from schema_migrations order by name');
      expect(rows.map((r) => r.name)).toEqual(readMigrations().map((m) => m.name));
    });

    it('provision one user for concurrent first requests split across both', () => expectOneUserProvisioned(replicas));

    it('a profile change made through one replica is what the other serves once it is announced', async () => {
      const sub = `user-${randomUUID()}`;
      const first = await userToken(sub, `${randomUUID()}@example.com`);
      const [a, b] = replicas as [TestApp, TestApp];
      const before = await a.gql('{ viewer { id email } }', { token: first });
      expect(before.status).toBe(200);
      expect((await a.gql('{ viewer { email } }', { token: first })).body.data.viewer.email).toBe(before.body.data.viewer.email); // cached on a

      // The identity signs in on b with a new verified email: b updates the user row.
      const changedEmail = `${randomUUID()}@example.com`;
      const changed = await b.gql('{ viewer { id email } }', { token: await userToken(sub, changedEmail) });
      expect(changed.body.data.viewer).toEqual({ id: before.body.data.viewer.id, email: changedEmail });

      // a hears of it at b's commit; it never goes back to the old row after that.
      await eventually(async () => expect((await a.gql('{ viewer { email } }', { token: first })).body.data.viewer.email).toBe(changedEmail), {
        timeoutMs: 2000,
        intervalMs: 0,
      });
      for (let i = 0; i < 5; i += 1) expect((await a.gql('{ viewer { email } }', { token: first })).body.data.viewer.email).toBe(changedEmail);
    });
  });
});

describe.skipIf(TEST_DATABASE_URL !== null)('on PGlite', () => {
  describe('embedded PGlite gone', () => {
    it('answers 503 IDENTITY_STORE_UNAVAILABLE and /readyz 503 once the database is closed', async () => {
      const db = await createPGliteDatabase({ dataDir: null });
      await migrate(db);
      const api = await startTestApp({ issuers: [issuerConfig(issuer)], database: db });
      try {
        expect((await api.gql('{ viewer { id } }', { token: await userToken() })).status).toBe(200);
        await db.close();
        const sub = `user-${randomUUID()}`;
        expectStoreUnavailable(await api.gql('{ viewer { id } }', { token: await userToken(sub) }), sub);
        expect(await readyStatus(api)).toBe(503);
      } finally {
        await api.close();
      }
    });
  });

  describe('two app instances on one embedded database', () => {
    let database: TestDatabase;
    let replicas: TestApp[] = [];

    beforeAll(async () => {
      database = await openTestDatabase();
      replicas = await Promise.all([0, 1].map(() => startTestApp({ issuers: [issuerConfig(issuer)], database: database.db })));
    });
    afterAll(async () => {
      await Promise.all(replicas.map((r) => r.close()));
      await database?.close();
    });

    it('provision one user for concurrent first requests split across both', () => expectOneUserProvisioned(replicas));
  });
});

describe('readiness', () => {
  let database: TestDatabase;
  let api: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase();
    api = await startTestApp({ issuers: [issuerConfig(issuer)], database: database.db });
  });
  afterAll(async () => {
    await api?.close();
    await database?.close();
  });

  it('/readyz answers 503 while a known migration is not applied, 200 once it is; /healthz stays 200', async () => {
    expect(await readyStatus(api)).toBe(200);
    const last = readMigrations().at(-1)!.name;
    await database.db.query('delete from schema_migrations where name = $1', [last]);
    try {
      expect(await readyStatus(api)).toBe(503);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await database.db.query('insert into schema_migrations (name) values ($1)', [last]);
    }
    expect(await readyStatus(api)).toBe(200);
  });
});
