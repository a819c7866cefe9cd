// Which writes this process makes, for caches of rows that have no store of their own to go
// through (memberships: services/scopes.ts). Every transaction and every statement that is not a
// plain `select` counts as a write: nothing read while one runs is kept, and nothing read before
// it ends is served after. Other processes' writes arrive as the database's change announcements
// (PostgreSQL, migration 012); apps sharing one database object in a process share one clock.
import type { Database, Queryable } from './queryable.js';

export interface WriteClock {
  /** Moves on at the end of every write this process makes (after its commit or rollback). */
  readonly version: number;
  /** Writes running now: while any does, nothing read may be kept. */
  readonly writing: number;
}

interface MutableClock {
  version: number;
  writing: number;
}

const clocks = new WeakMap<object, MutableClock>();

function clockOf(db: object): MutableClock {
  let clock = clocks.get(db);
  if (clock === undefined) {
    clock = { version: 0, writing: 0 };
    clocks.set(db, clock);
  }
  return clock;
}

const READ = /^\s*select\b/i;

/**
 * `db` with its writes counted on the clock `writesOf(db)` returns (the same for every wrapper
 * of one database object): transactions and non-`select` statements begin and end a write.
 */
export function countingWrites(db: Database): Database {
  const clock = clockOf(db);
  async function write<T>(work: () => Promise<T>): Promise<T> {
    clock.writing += 1;
    try {
      return await work();
    } finally {
      clock.writing -= 1;
      clock.version += 1;
    }
  }
  const counted: Database = Object.create(db) as Database;
  const writer = {
    query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
      return READ.test(text) ? db.query<Row>(text, params) : write(() => db.query<Row>(text, params));
    },
    exec: (script: string) => write(() => db.exec(script)),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => write(() => db.transaction(work)),
  };
  Object.assign(counted, writer);
  clocks.set(counted, clock);
  return counted;
}

/** The clock of a database `countingWrites` wrapped (a fresh one, never moved, otherwise). */
export function writesOf(db: Database): WriteClock {
  return clockOf(db);
}
