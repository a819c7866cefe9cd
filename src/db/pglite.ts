// Embedded PostgreSQL (PGlite): in memory, or persisted in a directory. One connection, so
// transactions are serialised by PGlite itself; the same SQL as on a real PostgreSQL.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { toDatabaseError } from './errors.js';
import type { Database, QueryObserver, Queryable } from './queryable.js';

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
  // Bumped before and after every statement that may change `users` (and at the end of a
  // transaction that ran one): a row cached under an older version is never served.
  let usersVersion = 0;
  const mayWriteUsers = (text: string) => !/^\s*select\b/i.test(text) && /users/i.test(text);

  const run = async <Row>(target: PGlite | Transaction, text: string, params?: readonly unknown[], onWrite?: () => void) => {
    options.onQuery?.(text);
    const writes = mayWriteUsers(text);
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
      // Errors thrown by `work` (a lost race, a refusal) go up untouched; only PGlite's own
      // begin/commit failures are classified here.
      let workError: { error: unknown } | null = null;
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
            workError = { error };
            throw error;
          }
        });
      } catch (error) {
        if (workError !== null && (workError as { error: unknown }).error === error) throw error;
        throw toDatabaseError(error);
      } finally {
        // The commit (or rollback) is what other readers see: cached rows older than it go.
        if (wroteUsers) usersVersion += 1;
      }
    },
    usersVersion: () => usersVersion,
    poolStats: () => ({ total: 1, idle: active === 0 ? 1 : 0, waiting: Math.max(0, active - 1) }),
    close: () => db.close(),
  };
}
