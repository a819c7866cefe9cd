// One database per test file, through the product's own drivers and migrations: PGlite in
// memory by default, or (TEST_DATABASE_URL) a fresh schema on a real PostgreSQL, so files
// running in parallel never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, readMigrations, type Migration } from '../../src/db/migrate.js';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database, QueryObserver } from '../../src/db/queryable.js';

export const TEST_DATABASE_URL = process.env['TEST_DATABASE_URL'] || null;
export const databaseKind: 'postgres' | 'pglite' = TEST_DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDatabase {
  db: Database;
  /** The connection URL for a second pool on the same schema (replica tests); null on PGlite. */
  url: string | null;
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
    return { db, url: null, close: () => db.close() };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = urlWithSchema(TEST_DATABASE_URL, schema);
  const db = createPostgresDatabase({
    url,
    max: options.poolMax ?? 10,
    connectTimeoutMs: 3000,
    queryTimeoutMs: 10_000,
    onQuery: options.onQuery,
  });
  await migrate(db, migrations);
  return {
    db,
    url,
    async close() {
      await db.close();
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL! });
      await cleanup.connect();
      await cleanup.query(`drop schema ${schema} cascade`);
      await cleanup.end();
    },
  };
}
