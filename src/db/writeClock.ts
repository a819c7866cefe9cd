// Which writes this process makes, for caches of rows that have no store of their own to go
// through (memberships: services/scopes.ts). Every transaction and every statement that is not a
// plain `select` counts as a write: nothing read while one runs is kept, and nothing read before
// it ends is served after. Other processes' writes arrive as the database's change announcements
// (PostgreSQL, migrations 002 and 012).
import type { Database, Queryable, WriteClock } from './queryable.js';

const READ = /^\s*select\b/i;

/**
 * A new database object that counts its writes on `writes`; the drivers return it as they open a
 * database, so every holder of the database (the app, the commands, a test writing fixtures, a
 * wrapper of any of them) writes through it and is counted. `db` must be a plain object: its own
 * members are copied, and `db` itself is left as it is.
 */
export function countingWrites<D extends Omit<Database, 'writes'>>(db: D): D & { readonly writes: WriteClock } {
  const clock = { version: 0, writing: 0 };
  async function write<T>(work: () => Promise<T>): Promise<T> {
    clock.writing += 1;
    try {
      return await work();
    } finally {
      clock.writing -= 1;
      clock.version += 1;
    }
  }
  return {
    ...db,
    query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
      return READ.test(text) ? db.query<Row>(text, params) : write(() => db.query<Row>(text, params));
    },
    exec: (script: string) => write(() => db.exec(script)),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => write(() => db.transaction(work)),
    writes: clock,
  };
}
