// The one seam between SQL modules and a database driver: run a parameterised statement,
// run a function inside a transaction. PGlite and pg both sit behind it.
import type { LifecycleSubscriber } from './lifecycleFeed.js';

export interface Queryable {
  /** Runs one parameterised statement; returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Connections in use and waiting (pg pool); a single connection for PGlite. */
  poolStats(): PoolStats;
  /**
   * How this process hears of user rows other processes change (PostgreSQL: their commits'
   * announcements, userChanges.ts); absent when this process is the only writer (PGlite).
   */
  readonly userChanges?: UserChangeFeed;
  /** This process's writes through this object (writeClock.ts): what memory may keep of rows read. */
  readonly writes: WriteClock;
  close(): Promise<void>;
}

export interface WriteClock {
  /** Moves on at the end of every write made through the database object (after its commit or rollback). */
  readonly version: number;
  /** Writes running now: while any does, nothing read may be kept. */
  readonly writing: number;
}

export interface UserChangeFeed {
  /**
   * True while changes are heard (the process's own notification, sent through its pool,
   * arrived on its listening connection within the heartbeat's deadline): only then may
   * anything about users be trusted from memory.
   */
  readonly listening: boolean;
  /** Calls `onChange` at every change heard and whenever listening (re)starts; returns the unsubscribe. */
  onChange(onChange: () => void): () => void;
  /**
   * Calls `onChange` at every membership change heard (migration 012) and whenever listening
   * (re)starts; returns the unsubscribe. Absent: membership changes are not heard.
   */
  onMembershipChange?(onChange: () => void): () => void;
  /**
   * Calls `onChange` with each lifecycle change another process announces (migration 004) and
   * `onRestart` whenever listening (re)starts; returns the unsubscribe.
   */
  onLifecycle(subscriber: LifecycleSubscriber): () => void;
  /**
   * Calls `onProof('heard')` whenever a round trip arrives after none had, `onProof('unheard')`
   * when one was committed and never arrived (once per outage); returns the unsubscribe.
   */
  onProof(onProof: (outcome: 'heard' | 'unheard') => void): () => void;
}

/** Optional observer of every statement (tests count round trips; metrics time them). */
export type QueryObserver = (text: string) => void;
