// Applies src/db/migrations/*.sql in name order, each once, inside one transaction holding a
// transaction-level advisory lock, so replicas starting together apply them exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database, Queryable } from './queryable.js';

// From the package root, so src/db/migrate.ts and its build dist/db/migrate.js read the same
// files (the .sql files are never copied into dist).
const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
// Arbitrary constant naming this service's migration lock.
const MIGRATION_LOCK_KEY = 4_710_137_101;

export interface Migration {
  name: string;
  sql: string;
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(new URL(name, `file://${dir}`), 'utf8') }));
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(db: Database, migrations: Migration[] = readMigrations()): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
    );
    const applied = new Set((await tx.query<{ name: string }>('select name from schema_migrations')).map((r) => r.name));
    const pending = migrations.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (name) values ($1)', [migration.name]);
    }
    return pending.map((m) => m.name);
  });
}

/** True when every known migration has been applied (readiness). */
export async function migrationsApplied(db: Queryable, migrations: Migration[] = readMigrations()): Promise<boolean> {
  const rows = await db.query<{ name: string }>(
    "select name from schema_migrations where name = any($1::text[])",
    [migrations.map((m) => m.name)],
  );
  return rows.length === migrations.length;
}
