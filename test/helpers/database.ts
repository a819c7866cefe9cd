// One database per test file, through the product's own drivers and migrations: PGlite in
// memory by default, or (TEST_DATABASE_URL) a fresh schema on a real PostgreSQL, so files
// running in parallel never see each other's rows; with TEST_PGBOUNCER=1, through a PgBouncer in
// transaction mode started for the file, set up as docs/operations.md says (listening straight
// to PostgreSQL, named statements off).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, readMigrations, type Migration } from '../../src/db/migrate.js';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { createPostgresDatabase, type PostgresOptions } from '../../src/db/postgres.js';
import type { Database, QueryObserver } from '../../src/db/queryable.js';
import { startPgBouncer } from './pgbouncer.js';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] || null;
export const databaseKind: 'postgres' | 'pglite' = TEST_DATABASE_URL ? 'postgres' : 'pglite';
/** The PostgreSQL tests through a real PgBouncer in transaction mode (the CI's pooler leg). */
export const TEST_PGBOUNCER = TEST_DATABASE_URL !== null && process.env['TEST_PGBOUNCER'] === '1';

export type ConnectionSettings = Pick<PostgresOptions, 'url' | 'listenUrl' | 'preparedStatements'>;

export interface TestDatabase {
  db: Database;
  /** The connection URL for a second pool on the same schema (replica tests); null on PGlite. */
  url: string | null;
  /** How a second pool or a server connects (url, listening URL, named statements); null on PGlite. */
  connection: ConnectionSettings | null;
  /** The same for a server process: DATABASE_URL, and DB_LISTEN_URL and DB_PREPARED_STATEMENTS behind PgBouncer. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A URL whose connections use `schema` as their search path. */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

/** `migrations`: those to apply (default all); a test of a migration applies the earlier ones first. */
export async function openTestDatabase(options: { onQuery?: QueryObserver; poolMax?: number; migrations?: Migration[] } = {}): Promise<TestDatabase> {
  const migrations = options.migrations ?? readMigrations();
  if (TEST_DATABASE_URL === null) {
    const db = await createPGliteDatabase({ dataDir: null, onQuery: options.onQuery });
    await migrate(db, migrations);
    return { db, url: null, connection: null, env: {}, close: () => db.close() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const direct = urlWithSchema(TEST_DATABASE_URL, schema);
  const bouncer = TEST_PGBOUNCER ? await startPgBouncer({ target: TEST_DATABASE_URL, schema }) : null;
  const connection: ConnectionSettings = bouncer === null ? { url: direct } : { url: bouncer.url, listenUrl: direct, preparedStatements: false };
  const url = connection.url;
  const env: Record<string, string> =
    bouncer === null ? { DATABASE_URL: url } : { DATABASE_URL: url, DB_LISTEN_URL: direct, DB_PREPARED_STATEMENTS: 'false' };
  const db = createPostgresDatabase({
    ...connection,
    max: options.poolMax ?? 10,
    connectTimeoutMs: 3000,
    queryTimeoutMs: 10_000,
    onQuery: options.onQuery,
  });
  await migrate(db, migrations);
  return {
    db,
    url,
    connection,
    env,
    async close() {
      await db.close();
      await bouncer?.close();
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL! });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}
