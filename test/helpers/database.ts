// One database per test file, through the product's own drivers and migrations: PGlite in
// memory by default, or (TEST_DATABASE_URL) a fresh schema on a real PostgreSQL, so files
// running in parallel never see each other's rows; with TEST_PGBOUNCER=1, through a PgBouncer in
// transaction mode started for the file, set up as docs/operations.md says (listening straight
// to PostgreSQL, named statements off).
//
// PGlite's cost is its cluster start (initdb in WebAssembly, over a second), not the migrations:
// each file's database starts from a migrated data directory made once (a template, cached on
// disk by the hash of the migrations and the PGlite version), then migrate() confirms it is
// current. On PostgreSQL a schema plus the migrations takes some 50 ms: no template there.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate, readMigrations, type Migration } from '../../src/db/migrate.js';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { createPostgresDatabase, type PostgresOptions } from '../../src/db/postgres.js';
import type { Database, QueryObserver } from '../../src/db/queryable.js';
import { temporaryDirectory } from './files.js';
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

export interface TestDatabaseOptions {
  onQuery?: QueryObserver;
  poolMax?: number;
  /** Those to apply (default all); a test of a migration applies the earlier ones first. */
  migrations?: Migration[];
}

/** A URL whose connections use `schema` as their search path. */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export async function openTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const migrations = options.migrations ?? readMigrations();
  if (TEST_DATABASE_URL === null) {
    const db = await createPGliteDatabase({ dataDir: null, loadDataDir: await pgliteTemplate(migrations), onQuery: options.onQuery });
    // Nothing left to apply (the template holds them all); a stale template would be caught up here.
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

/**
 * A DATA_DIR already holding the migrated embedded database (the template's files), for the
 * commands and servers a test runs on a directory: their first open then starts PGlite on it
 * (~0.4 s) instead of creating a cluster on disk and migrating it (~8 s on a busy machine). A
 * first run on an empty DATA_DIR stays tested where it is the point (test/process/import.test.ts).
 */
export async function migratedDataDir(prefix: string): Promise<string> {
  const migrations = readMigrations();
  await pgliteTemplate(migrations);
  const dir = temporaryDirectory(prefix);
  // The dump was taken from a running cluster: its postmaster.pid is left out.
  const untar = spawnSync('tar', ['-xf', templatePath(migrations), '-C', dir, '--exclude=postmaster.pid'], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar could not unpack the PGlite template: ${untar.stderr}`);
  return dir;
}

const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/identity-subgraph-tests/', import.meta.url));
const KEEP_TEMPLATES = 4;
const PGLITE_VERSION = (JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }).version;
// Per worker: files sharing a worker (isolate: false) read the tarball once.
const templates = new Map<string, Promise<Blob>>();

function templatePath(migrations: Migration[]): string {
  const hash = createHash('sha256').update(`pglite ${PGLITE_VERSION} slim\n`);
  for (const migration of migrations) hash.update(`${migration.name}\n${migration.sql}\n`);
  return join(CACHE_DIR, `pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

function pgliteTemplate(migrations: Migration[]): Promise<Blob> {
  const key = templatePath(migrations);
  let template = templates.get(key);
  if (template === undefined) {
    template = loadOrMakeTemplate(key, migrations);
    templates.set(key, template);
    template.catch(() => templates.delete(key));
  }
  return template;
}

/**
 * The global setup's (test/helpers/build.ts): the migrated template made once before the workers
 * start, rather than by each worker's first file at the same time (a fresh clone, new migrations).
 */
export async function ensurePgliteTemplate(): Promise<void> {
  const migrations = readMigrations();
  if (!existsSync(templatePath(migrations))) await pgliteTemplate(migrations);
}

async function loadOrMakeTemplate(path: string, migrations: Migration[]): Promise<Blob> {
  try {
    return new Blob([readFileSync(path)]);
  } catch {
    // Not made yet (or unreadable): make it below.
  }
  const db = await createPGliteDatabase({ dataDir: null });
  try {
    await migrate(db, migrations);
    // A third smaller and some 120 ms quicker to load in every file: without the template
    // databases (nothing in the product or the suite creates a database) and checkpointed.
    // One statement each: DROP DATABASE refuses to run in a multi-statement script's transaction.
    for (const name of ['template0', 'template1']) {
      await db.exec(`alter database ${name} is_template false`);
      await db.exec(`drop database ${name}`);
    }
    await db.exec('checkpoint');
    const tarball = await db.dumpDataDir();
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written aside then renamed: a worker making the same template at the same time reads whole files only.
    const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, new Uint8Array(await tarball.arrayBuffer()));
    renameSync(partial, path);
    pruneTemplates();
    return tarball;
  } finally {
    await db.close();
  }
}

/** Keeps the newest few templates (each some 25 MB): older migrations' ones are dead weight. */
function pruneTemplates(): void {
  const files = readdirSync(CACHE_DIR)
    .filter((name) => /^pglite-[0-9a-f]+\.tar$/.test(name))
    .map((name) => ({ path: join(CACHE_DIR, name), mtime: statSync(join(CACHE_DIR, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of files.slice(KEEP_TEMPLATES)) rmSync(stale.path, { force: true });
}
