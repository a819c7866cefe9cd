// Two replicas of the service over the file's database. In process (`startReplicaPair`): on
// PostgreSQL each app with its own pool and LISTEN connection (they hear each other only through
// the database); on PGlite two apps sharing the one embedded database and its lifecycle feed, as
// one process would. As processes (`startReplicaProcess`): `npm start`'s command line on loopback.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import { eventually } from './eventually.js';
import { freePort, startMain, waitForOutput, type MainProcess } from './process.js';

export interface ReplicaPair {
  a: TestApp;
  b: TestApp;
  close(): Promise<void>;
}

export async function startReplicaPair(database: TestDatabase, given: Omit<Parameters<typeof startTestApp>[0], 'database'>): Promise<ReplicaPair> {
  // Replicas share their configuration: API_KEY_PEPPERS included (each test app has its own DATA_DIR).
  const options = { ...given, config: { apiKeyPeppers: [{ kid: 'replicas', key: randomBytes(32) }], ...given.config } };
  if (database.connection === null) {
    const appOptions = { ...options.appOptions, lifecycleFeed: createLifecycleFeed() };
    // Started together, as replicas are (platform keys: the two race to create the first).
    const [a, b] = await Promise.all([startTestApp({ ...options, database: database.db, appOptions }), startTestApp({ ...options, database: database.db, appOptions })]);
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }
  const second: Database = createPostgresDatabase({ ...database.connection, max: 5, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
  const [a, b] = await Promise.all([startTestApp({ ...options, database: database.db }), startTestApp({ ...options, database: second })]);
  // B trusts its memory only once it hears the database.
  await eventually(() => second.userChanges?.listening === true);
  await eventually(() => database.db.userChanges?.listening === true);
  return {
    a,
    b,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await second.close();
    },
  };
}

/**
 * Registers the hooks of a pair started before the tests of the enclosing file or describe and
 * closed after them; `options` is called in its beforeAll (after the test bed's). `a` and `b` are
 * filled in then.
 */
export function useReplicaPair(database: () => TestDatabase, options: () => Omit<Parameters<typeof startTestApp>[0], 'database'>): Pick<ReplicaPair, 'a' | 'b'> {
  let pair: ReplicaPair | undefined;
  beforeAll(async () => {
    pair = await startReplicaPair(database(), options());
  });
  afterAll(async () => pair?.close());
  return {
    get a() {
      return pair!.a;
    },
    get b() {
      return pair!.b;
    },
  };
}

export interface ReplicaProcess {
  main: MainProcess;
  /** http://127.0.0.1:<port> */
  url: string;
}

/** A production server process on loopback, `env` added to its environment; resolves once it listens. */
export async function startReplicaProcess(env: Record<string, string>): Promise<ReplicaProcess> {
  const port = await freePort();
  const main = startMain({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), ...env });
  await waitForOutput(main, (out) => out.includes('identity subgraph listening'), 60_000);
  return { main, url: `http://127.0.0.1:${port}` };
}

/** SIGTERM to each process started, one after another; resolves when they have exited. */
export async function stopReplicaProcesses(replicas: readonly (ReplicaProcess | undefined)[]): Promise<void> {
  for (const replica of replicas) {
    replica?.main.child.kill('SIGTERM');
    await replica?.main.exited;
  }
}

/** POST /graphql on `baseUrl` with `token` as the bearer: the status and the parsed body. */
export async function graphqlAt(baseUrl: string, query: string, token: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as any };
}
