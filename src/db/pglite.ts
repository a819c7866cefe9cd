// Embedded PostgreSQL (PGlite): in memory, or persisted in a directory. One connection, so
// transactions are serialised by PGlite itself; the same SQL as on a real PostgreSQL.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { toDatabaseError } from './errors.js';
import type { Database, QueryObserver, Queryable } from './queryable.js';
import { mayChangeUserRows } from './usersVersion.js';

export interface PGliteOptions {
  /** Directory to persist in; null keeps the database in memory. */
  dataDir: string | null;
  onQuery?: QueryObserver;
}

export async function createPGliteDatabase(options: PGliteOptions): Promise<Database> {
  if (options.dataDir !== null) mkdirSync(options.dataDir, { recursive: true });
  const db = options.dataDir === null ? new PGlite() : new PGlite(options.dataDir);
  await db.waitReady;
  let active = 0;
  // See usersVersion.ts: this process is the only writer, so local bumps are the whole story.
  let usersVersion = 0;

  const run = async <Row>(target: PGlite | Transaction, text: string, params?: readonly unknown[], onWrite?: () => void) => {
    options.onQuery?.(text);
    const writes = mayChangeUserRows(text);
    if (writes) {
      usersVersion += 1;
      onWrite?.();
    }
    active += 1;
    try {
      const result = await target.query<Row>(text, params as unknown[] | undefined);
      return result.rows;
    } catch (error) {
      throw toDatabaseError(error);
    } finally {
      active -= 1;
      if (writes) usersVersion += 1;
    }
  };

  return {
    kind: 'pglite',
    query: (text, params) => run(db, text, params),
    async exec(script) {
      usersVersion += 1;
      try {
        await db.exec(script);
      } catch (error) {
        throw toDatabaseError(error);
      } finally {
        usersVersion += 1;
      }
    },
    async transaction(work) {
      let failedInWork = false;
      // Bumped at the end of a transaction that wrote users: the commit is what readers see.
      let wroteUsers = false;
      const onWrite = () => {
        wroteUsers = true;
      };
      try {
        return await db.transaction(async (transaction) => {
          const tx: Queryable = {
            query: (text, params) => run(transaction, text, params, onWrite),
            exec: async (script) => {
              onWrite();
              try {
                await transaction.exec(script);
              } catch (error) {
                throw toDatabaseError(error);
              }
            },
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
      } finally {
        if (wroteUsers) usersVersion += 1;
      }
    },
    usersVersion: () => usersVersion,
    poolStats: () => ({ total: 1, idle: active === 0 ? 1 : 0, waiting: Math.max(0, active - 1) }),
    close: () => db.close(),
  };
}
