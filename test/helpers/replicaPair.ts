// Two replicas of the service over the file's database: on PostgreSQL each with its own pool and
// LISTEN connection (they hear each other only through the database); on PGlite two apps sharing
// the one embedded database and its lifecycle feed, as one process would.
import { randomBytes } from 'node:crypto';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import { eventually } from './eventually.js';

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
    const a = await startTestApp({ ...options, database: database.db, appOptions });
    const b = await startTestApp({ ...options, database: database.db, appOptions });
    return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
  }
  const second: Database = createPostgresDatabase({ ...database.connection, max: 5, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
  const a = await startTestApp({ ...options, database: database.db });
  const b = await startTestApp({ ...options, database: second });
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
