// The user store's row cache (userStore.ts is its only user): rows kept under a version that every
// write of users the store makes and every change another replica announces moves on, so a kept
// row is never older than them.
import { LRUCache } from 'lru-cache';
import type { User } from '../domain/types.js';
import type { Database } from './queryable.js';
import { findUsersByIds } from './users.js';

export interface UserRowCache {
  /** Users by id: current rows from memory, the others read (and kept, unless a write overlapped). */
  findByIds(ids: readonly string[]): Promise<User[]>;
  /** A copy of the row if a current one is held, else undefined; never reads the database. */
  peek(id: string): User | undefined;
  /** The version now (null: nothing may be kept); read it just before a read whose row you keep. */
  version(): number | null;
  /** Keeps a row read by a statement sent under `before`, unless users changed or were being written since. */
  keep(user: User, before: number | null): void;
  /**
   * Runs `work`, a write of users (one statement, or a whole transaction: its commit is what
   * readers see): no row read while it runs is kept, and none read before it is served after.
   * `written`: the row the write leaves, kept when nothing else changed users meanwhile.
   */
  write<T>(work: () => Promise<T>, written?: (result: T) => User | null): Promise<T>;
  /** `write` in two halves, for a transaction that learns only as it runs that it writes users: returns the version at the start. */
  beginWrite(): number;
  /** Ends a write begun at `start` (its transaction has ended); `row` as `written`'s. */
  endWrite(start: number, row?: User | null): void;
  readonly size: number;
  /** Stops hearing the database's change announcements. */
  close(): void;
}

/** A copy for one request (callers may tag it: federation adds __typename); a literal, so every copy shares one shape. */
function copyOf(user: User): User {
  return { id: user.id, email: user.email, emailVerified: user.emailVerified, name: user.name, givenName: user.givenName, familyName: user.familyName, createdAt: user.createdAt, status: user.status };
}

/**
 * On PGlite this process is the only writer, so its own writes are the whole story. On
 * PostgreSQL another replica's change arrives as an announcement at its commit (userChanges.ts);
 * nothing is cached while the database cannot hear announcements.
 */
export function createUserRowCache(db: Database, maxEntries = 10_000): UserRowCache {
  const rows = new LRUCache<string, { user: User; version: number }>({ max: maxEntries });
  const changes = db.userChanges;
  let version = 0;
  let writing = 0;
  const unsubscribe = changes?.onChange(() => (version += 1));

  const current = (): number | null => (changes === undefined || changes.listening ? version : null);
  const keepAt = (user: User, at: number) => {
    if (writing === 0 && current() === at) rows.set(user.id, { user: copyOf(user), version: at });
  };
  const beginWrite = (): number => {
    writing += 1;
    return version;
  };
  const endWrite = (start: number, row?: User | null): void => {
    writing -= 1;
    version += 1;
    if (row != null && version === start + 1) keepAt(row, version);
  };
  const held = (id: string, at: number): User | undefined => {
    const hit = rows.get(id);
    return hit !== undefined && hit.version === at ? copyOf(hit.user) : undefined;
  };

  return {
    get size() {
      return rows.size;
    },
    version: current,
    keep(user, before) {
      if (before !== null) keepAt(user, before);
    },
    peek(id) {
      const at = current();
      return at === null ? undefined : held(id, at);
    },
    async findByIds(ids) {
      const at = current();
      if (at === null) return findUsersByIds(db, ids);
      const found: User[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const hit = held(id, at);
        if (hit !== undefined) found.push(hit);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      // Rows a write overlapped are still this request's answer (the read was consistent when it
      // ran), only not kept.
      for (const user of await findUsersByIds(db, missing)) {
        keepAt(user, at);
        found.push(user);
      }
      return found;
    },
    beginWrite,
    endWrite,
    async write(work, written) {
      const start = beginWrite();
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work();
      } catch (error) {
        endWrite(start);
        throw error;
      }
      endWrite(start, written?.(result));
      return result;
    },
    close() {
      unsubscribe?.();
    },
  };
}
