// Opens the configured database and brings its schema up to date (in the background while a
// PostgreSQL server cannot be reached at start: the process serves, /readyz answers 503).
import type { DatabaseTarget } from '../config/index.js';
import { isAppError } from '../errors.js';
import type { DatabaseIncident } from './incidents.js';
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
  /** What an operator must know about the connection (a deaf listener, a pooler's faults); see incidents.ts. */
  onIncident?: (incident: DatabaseIncident) => void;
  /**
   * Set: a PostgreSQL that cannot be reached at start does not fail the start; migrations are
   * retried every `migrationRetryMs` (default 1000) and this is told of each failed attempt.
   */
  onMigrationPending?: (error: unknown) => void;
  onMigrated?: () => void;
  migrationRetryMs?: number;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db =
    options.target.kind === 'postgres'
      ? createPostgresDatabase({
          url: options.target.url,
          listenUrl: options.target.listenUrl,
          preparedStatements: options.target.preparedStatements,
          max: options.poolMax,
          connectTimeoutMs: options.connectTimeoutMs,
          queryTimeoutMs: options.queryTimeoutMs,
          onQuery: options.onQuery,
          onError: options.onPoolError,
          onIncident: options.onIncident,
        })
      : await createPGliteDatabase({ dataDir: options.target.dataDir, onQuery: options.onQuery });
  const onPending = options.onMigrationPending;
  if (options.target.kind !== 'postgres' || onPending === undefined) {
    await migrate(db);
    await checkStatementTimeout(db, options);
    return db;
  }
  try {
    await migrate(db);
    await checkStatementTimeout(db, options);
    return db;
  } catch (error) {
    // Only an unreachable server is waited for; anything else (a failing migration) stops the start.
    if (!isAppError(error) || error.code !== 'IDENTITY_STORE_UNAVAILABLE') {
      await db.close().catch(() => undefined);
      throw error;
    }
    onPending(error);
  }
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const retry = (): void => {
    timer = setTimeout(() => {
      migrate(db).then(
        () => {
          options.onMigrated?.();
          void checkStatementTimeout(db, options);
        },
        (error: unknown) => {
          if (closed) return;
          onPending(error);
          retry();
        },
      );
    }, options.migrationRetryMs ?? 1000);
    timer.unref();
  };
  retry();
  return {
    ...db,
    async close() {
      closed = true;
      clearTimeout(timer);
      await db.close();
    },
  };
}

/**
 * A pooler that drops the statement_timeout startup parameter (ignore_startup_parameters) leaves
 * the server's connections without one unless the role sets it: said once, at start.
 */
async function checkStatementTimeout(db: Database, options: OpenDatabaseOptions): Promise<void> {
  if (db.kind !== 'postgres' || options.onIncident === undefined) return;
  try {
    const [row] = await db.query<{ value: string }>("select current_setting('statement_timeout') as value");
    if (row?.value === '0') options.onIncident({ kind: 'server-statement-timeout-off', queryTimeoutMs: options.queryTimeoutMs });
  } catch {
    // Unreachable again: the requests say so.
  }
}

export type { Database, Queryable } from './queryable.js';
