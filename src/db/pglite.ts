// Embedded PostgreSQL (PGlite): in memory, or persisted in a directory. One connection, so
// transactions are serialised by PGlite itself; the same SQL as on a real PostgreSQL.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { claimDataDir } from './dataDirLock.js';
import { toDatabaseError } from './errors.js';
import type { Database, QueryObserver, Queryable } from './queryable.js';
import { countingWrites } from './writeClock.js';

export interface PGliteOptions {
  /** Directory to persist in; null keeps the database in memory. */
  dataDir: string | null;
  /** A data directory to start from (a `dumpDataDir` tarball) instead of an empty cluster. */
  loadDataDir?: Blob;
  onQuery?: QueryObserver;
}

export interface PGliteDatabase extends Database {
  /** The whole data directory as a tarball, for `loadDataDir` (the suite's migrated template). */
  dumpDataDir(): Promise<Blob>;
}

export async function createPGliteDatabase(options: PGliteOptions): Promise<PGliteDatabase> {
  if (options.dataDir !== null) mkdirSync(options.dataDir, { recursive: true });
  const db = new PGlite({ dataDir: options.dataDir ?? undefined, loadDataDir: options.loadDataDir });
  await db.waitReady;
  // PGlite does not lock its directory: commands check this record before opening it.
  const release = options.dataDir === null ? () => undefined : claimDataDir(options.dataDir);
  let active = 0;

  const run = async <Row>(target: PGlite | Transaction, text: string, params?: readonly unknown[]) => {
    options.onQuery?.(text);
    active += 1;
    try {
      return (await target.query<Row>(text, params as unknown[] | undefined)).rows;
    } catch (error) {
      throw toDatabaseError(error);
    } finally {
      active -= 1;
    }
  };

  const runScript = async (target: PGlite | Transaction, script: string) => {
    try {
      await target.exec(script);
    } catch (error) {
      throw toDatabaseError(error);
    }
  };

  return countingWrites({
    kind: 'pglite',
    query: (text, params) => run(db, text, params),
    exec: (script) => runScript(db, script),
    async transaction(work) {
      let failedInWork = false;
      try {
        return await db.transaction(async (transaction) => {
          const tx: Queryable = {
            query: (text, params) => run(transaction, text, params),
            exec: (script) => runScript(transaction, script),
          };
          try {
            return await work(tx);
          } catch (error) {
            failedInWork = true;
            throw error;
          }
        });
      } catch (error) {
        // The caller's own errors (a lost race it retries) reach it unchanged.
        throw failedInWork ? error : toDatabaseError(error);
      }
    },
    poolStats: () => ({ total: 1, idle: active === 0 ? 1 : 0, waiting: Math.max(0, active - 1) }),
    dumpDataDir: () => db.dumpDataDir('none'),
    close: async () => {
      await db.close();
      release();
    },
  } satisfies Omit<PGliteDatabase, 'writes'>);
}
