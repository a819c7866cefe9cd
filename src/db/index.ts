// Opens the configured database and brings its schema up to date.
import type { DatabaseTarget } from '../config.js';
import { migrate } from './migrate.js';
import { createPGliteDatabase } from './pglite.js';
import { createPostgresDatabase } from './postgres.js';
import type { Database, QueryObserver } from './queryable.js';

export interface OpenDatabaseOptions {
  target: DatabaseTarget;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  onQuery?: QueryObserver;
  onPoolError?: (error: Error) => void;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db =
    options.target.kind === 'postgres'
      ? createPostgresDatabase({
          url: options.target.url,
          max: options.poolMax,
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.queryTimeoutMs,
          onQuery: options.onQuery,
          onError: options.onPoolError,
        })
      : await createPGliteDatabase({ dataDir: options.target.dataDir, onQuery: options.onQuery });
  await migrate(db);
  return db;
}

export type { Database, Queryable } from './queryable.js';
