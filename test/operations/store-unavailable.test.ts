// Spec "HTTP → Credentials": the identity store cannot be reached → HTTP 503
// IDENTITY_STORE_UNAVAILABLE within a few seconds, never an identity it could not resolve.
// Three ways a PostgreSQL can be unreachable, each behind the product's own pg driver: a
// closed port, a host that accepts TCP and never speaks, and a server that stalls on queries.
// Runs on both suites (these databases are PostgreSQL-protocol); with TEST_DATABASE_URL, a
// proxy to the real database is also cut and restored to prove the pool recovers.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, expectNoLeak, rawRequest, unique, uniqueEmail } from '../helpers/battery.js';

const CONNECT_TIMEOUT_MS = 500;
const QUERY_TIMEOUT_MS = 600;
// "Within a few seconds" is these deadlines: none of the three servers ever answers a query, so a
// 503 at all is one of them firing (counted as an event, not timed against the wall clock).

interface TcpServer {
  port: number;
  /** Destroys every open connection (the database "vanishes"). */
  cut(): void;
  close(): Promise<void>;
}

async function listen(onConnection: (socket: Socket) => void): Promise<TcpServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

/** Accepts TCP and never says a word: the connection handshake never completes. */
const startBlackhole = () => listen(() => undefined);

/** Completes PostgreSQL's start-up (AuthenticationOk, ReadyForQuery), then never answers a query. */
const startStalledPostgres = () =>
  listen((socket) => {
    let ready = false;
    socket.on('data', (chunk: Buffer) => {
      if (ready) return;
      if (chunk.length === 8 && chunk.readInt32BE(4) === 80877103) {
        socket.write('N'); // SSLRequest: no TLS here
        return;
      }
      ready = true;
      socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0])); // 'R' AuthenticationOk
      socket.write(Buffer.from([0x5a, 0, 0, 0, 5, 0x49])); // 'Z' ReadyForQuery (idle)
    });
  });

/** Forwards to a real PostgreSQL until cut; `blocked` refuses new connections. */
async function startProxy(target: { host: string; port: number }) {
  let blocked = false;
  const server = await listen((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return {
    ...server,
    block(value: boolean) {
      blocked = value;
      if (value) server.cut();
    },
  };
}

function postgresAt(port: number, database = 'identity'): Database {
  return createPostgresDatabase({
    url: `postgresql://identity:secret-password@127.0.0.1:${port}/${database}`,
    max: 4,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  });
}

let issuer: TestIssuer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await issuer?.close();
});

async function appOn(database: Database): Promise<TestApp> {
  const api = await startTestApp({ production: true, database, issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })] });
  closers.push(() => database.close(), () => api.close());
  return api;
}

function userToken(claims: Record<string, unknown> = {}): Promise<string> {
  return issuer.sign({ sub: unique('auth0|store'), aud: AUDIENCE, email: uniqueEmail('store'), email_verified: true, ...claims });
}

function serviceToken(scope: string): Promise<string> {
  const client = unique('svc');
  return issuer.sign({ sub: `${client}@clients`, azp: client, aud: AUDIENCE, gty: 'client-credentials', scope });
}

/** 503 IDENTITY_STORE_UNAVAILABLE with Retry-After, no data, nothing internal. */
async function expectStoreUnavailable(api: TestApp, query: string, options: { token?: string; variables?: Record<string, unknown> }, secrets: string[]) {
  const response = await rawRequest(api.url, {
    headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    body: { query, variables: options.variables },
  });
  expect(response.status, response.text).toBe(503);
  expect(response.body.errors[0].extensions.code).toBe('IDENTITY_STORE_UNAVAILABLE');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(response.body.data ?? null).toBeNull();
  expectNoLeak(response.text, [...secrets, ...(options.token ? [options.token] : []), 'secret-password', 'identity:']);
}

const scenarios: [string, () => Promise<TcpServer | { port: number }>][] = [
  ['a closed port', async () => ({ port: 1 })],
  ['a host that accepts TCP and never answers', startBlackhole],
  ['a server that stalls on every query', startStalledPostgres],
];

for (const [name, start] of scenarios) {
  describe(`the identity store is ${name}`, () => {
    let api: TestApp;
    let port: number;
    beforeAll(async () => {
      const server = await start();
      if ('close' in server) closers.push(() => server.close());
      port = server.port;
      api = await appOn(postgresAt(port));
    });

    it('a user request answers 503 IDENTITY_STORE_UNAVAILABLE quickly, never an identity', async () => {
      const sub = unique('auth0|nostore');
      const [a, b, c] = await Promise.all([userToken({ sub }), userToken(), userToken()]);
      await Promise.all([
        expectStoreUnavailable(api, '{ viewer { id } }', { token: a }, [String(port), sub]),
        expectStoreUnavailable(api, '{ __typename }', { token: b }, [String(port)]),
        expectStoreUnavailable(api, 'mutation { ensureUser { created user { id } } }', { token: c }, [String(port)]),
      ]);
    });

    it('concurrent user requests all answer 503 (no queue of unbounded waits)', async () => {
      const tokens = await Promise.all(Array.from({ length: 8 }, () => userToken()));
      await Promise.all(tokens.map((token) => expectStoreUnavailable(api, '{ viewer { id } }', { token }, [String(port)])));
    });

    it('a service resolving entities or ensuring a user answers 503, not null entities', async () => {
      await expectStoreUnavailable(api, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', {
        token: await serviceToken('users:read'),
        variables: { r: [{ __typename: 'User', id: randomUUID() }] },
      }, [String(port)]);
      await expectStoreUnavailable(api, 'mutation($e: String!) { ensureUser(input: { email: $e }) { user { id } } }', {
        token: await serviceToken('users:write'),
        variables: { e: uniqueEmail('svc') },
      }, [String(port)]);
    });

    it('readiness fails while liveness holds; an anonymous request needs no store', async () => {
      const ready = await rawRequest(api.url, { method: 'GET', path: '/readyz' });
      expect(ready.status).toBe(503);
      expectNoLeak(ready.text, [String(port)]);
      expect((await rawRequest(api.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
      const anonymous = await api.gql('{ viewer { id } }');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body.data).toEqual({ viewer: null });
    });

    it('a bad token is still a 401, not a 503 (verification comes first)', async () => {
      const forged = await issuer.sign({ sub: unique('auth0|forged'), aud: AUDIENCE }, { key: 'other' });
      const response = await api.gql('{ viewer { id } }', { token: forged });
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });
}

// Only a real PostgreSQL can come back: the pool must heal after the outage.
describe.skipIf(TEST_DATABASE_URL === null)('on PostgreSQL', () => {
  describe('a real PostgreSQL behind a proxy that is cut, then restored', () => {
    let database: TestDatabase;
    let proxy: Awaited<ReturnType<typeof startProxy>>;
    let api: TestApp;
    beforeAll(async () => {
      database = await openTestDatabase();
      const target = new URL(database.url!);
      proxy = await startProxy({ host: target.hostname, port: Number(target.port || 5432) });
      target.host = `127.0.0.1:${proxy.port}`;
      const db = createPostgresDatabase({ url: target.toString(), max: 4, connectTimeoutMs: CONNECT_TIMEOUT_MS, queryTimeoutMs: QUERY_TIMEOUT_MS });
      api = await startTestApp({ production: true, database: db, issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })] });
      closers.push(() => database.close(), () => proxy.close(), () => db.close(), () => api.close());
    });

    it('serves, answers 503 during the outage (known user included), and recovers', async () => {
      const sub = unique('auth0|known');
      const email = uniqueEmail('known');
      const before = await api.gql('{ viewer { id } }', { token: await userToken({ sub, email }) });
      expect(before.status).toBe(200);
      const id = before.body.data.viewer.id;
      proxy.block(true);
      // Memory may answer until the replica notices it no longer hears the database: at once
      // when the listening socket's reset is read, within 1 s of a missed round trip at the
      // latest (operations.md). The cut and the next request race inside this process, so the
      // known user's 503 is awaited for that bound, not expected at the instant of the cut.
      const knownUser = await userToken({ sub, email });
      await expect
        .poll(async () => (await api.gql('{ viewer { id } }', { token: knownUser })).status, { timeout: 3_000, interval: 100 })
        .toBe(503);
      // Unchanged claims: the cached (issuer, sub) → id lets the request reach the resolver.
      await expectStoreUnavailable(api, '{ viewer { id email } }', { token: await userToken({ sub, email }) }, [String(proxy.port)]);
      await expectStoreUnavailable(api, '{ viewer { id } }', { token: await userToken({ sub, email, name: 'Changed' }) }, [String(proxy.port)]);
      await expectStoreUnavailable(api, '{ viewer { id } }', { token: await userToken() }, [String(proxy.port)]);
      proxy.block(false);
      const after = await api.gql('{ viewer { id } }', { token: await userToken({ sub, email }) });
      expect(after.status).toBe(200);
      expect(after.body.data.viewer.id).toBe(id);
      expect((await api.gql('{ viewer { id } }', { token: await userToken() })).status).toBe(200);
    });
  });
});
