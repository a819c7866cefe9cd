// Which writes this process makes, for caches of rows that have no store of their own to go
// through (memberships: services/scopes.ts). Every transaction and every statement that is not a
// plain `select` counts as a write: nothing read while one runs is kept, and nothing read before
// it ends is served after. Other processes' writes arrive as the database's change announcements
// (PostgreSQL, migrations 002 and 012).
import type { Database, Queryable } from './queryable.js';

export interface WriteClock {
  /** Moves on at the end of every write made through the database object (after its commit or rollback). */
  readonly version: number;
  /** Writes running now: while any does, nothing read may be kept. */
  readonly writing: number;
}

const clocks = new WeakMap<Database, WriteClock>();
const READ = /^\s*select\b/i;

/**
 * The database object's write clock. The first call makes the object count its writes, in place,
 * so that every holder of it (the app, the commands, a test writing fixtures) is counted.
 */
export function countWrites(db: Database): WriteClock {
  const known = clocks.get(db);
  if (known !== undefined) return known;
  const clock = { version: 0, writing: 0 };
  const { query, exec, transaction } = db;
  async function write<T>(work: () => Promise<T>): Promise<T> {
    clock.writing += 1;
    try {
      return await work();
    } finally {
      clock.writing -= 1;
      clock.version += 1;
    }
  }
  const counted = {
    query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
      return READ.test(text) ? query.call(db, text, params) as Promise<Row[]> : write(() => query.call(db, text, params) as Promise<Row[]>);
    },
    exec: (script: string) => write(() => exec.call(db, script)),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => write(() => transaction.call(db, work) as Promise<T>),
  };
  Object.assign(db, counted);
  clocks.set(db, clock);
  return clock;
}
