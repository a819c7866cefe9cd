// Users by id through a bounded row cache: a row is served from memory only while the store's
// users version (usersVersion.ts) is the one it was read under. On PGlite this process is the
// only writer, so a change is never served stale. On PostgreSQL a change made by another
// replica reaches this one as a notification at its commit: this replica may serve the old row
// for that delivery time (typically well under a millisecond on one host), and caches nothing
// while it cannot hear notifications.
import type { User } from '../domain/types.js';
import { LRUCache } from 'lru-cache';
import type { Queryable } from './queryable.js';
import { findUsersByIds } from './users.js';
import { versionAfterOwnWrite } from './usersVersion.js';

interface Versioned extends Queryable {
  usersVersion?(): number | null;
}

export interface UserRowCache {
  findByIds(ids: readonly string[]): Promise<User[]>;
  /** The row if a current copy is held (a copy of it), else undefined; never reads the database. */
  peek(id: string): User | undefined;
  /** The users version now (null: nothing is cached); read it just before sending a statement whose row may be kept. */
  version(): number | null;
  /**
   * Keeps a row one statement of this process, outside a transaction, wrote and returned, given
   * the version read just before it was sent: only if nothing else changed users meanwhile.
   */
  keepWritten(user: User, before: number | null): void;
  /** Keeps a row one statement read, given the version read just before it was sent: only if no change to users ran meanwhile. */
  keepRead(user: User, before: number | null): void;
  readonly size: number;
}

/** A copy for one request (callers may tag it); a literal, so every copy shares one shape. */
function copyOf(user: User): User {
  return { id: user.id, email: user.email, emailVerified: user.emailVerified, name: user.name, createdAt: user.createdAt, status: user.status };
}

export function createUserRowCache(db: Versioned, maxEntries = 10_000): UserRowCache {
  const rows = new LRUCache<string, { user: User; version: number }>({ max: maxEntries });
  /** A copy of the row if it was read under `version` (callers may tag it: federation adds __typename). */
  const current = (id: string, version: number): User | undefined => {
    const hit = rows.get(id);
    return hit !== undefined && hit.version === version ? copyOf(hit.user) : undefined;
  };
  const keepAt = (user: User, version: number) => {
    if (db.usersVersion?.() === version) rows.set(user.id, { user: copyOf(user), version });
  };
  return {
    get size() {
      return rows.size;
    },
    version: () => db.usersVersion?.() ?? null,
    keepWritten(user, before) {
      if (before !== null) keepAt(user, versionAfterOwnWrite(before));
    },
    keepRead(user, before) {
      if (before !== null) keepAt(user, before);
    },
    peek(id) {
      const version = db.usersVersion?.() ?? null;
      return version === null ? undefined : current(id, version);
    },
    async findByIds(ids) {
      const version = db.usersVersion?.() ?? null;
      if (version === null) return findUsersByIds(db, ids);
      const found: User[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const hit = current(id, version);
        if (hit !== undefined) found.push(hit);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      const fetched = await findUsersByIds(db, missing);
      // A write that ran while we read makes the rows unfit to keep (they are still this
      // request's answer: the read was consistent when it ran).
      for (const user of fetched) {
        keepAt(user, version);
        found.push(user);
      }
      return found;
    },
  };
}

const caches = new WeakMap<Queryable, UserRowCache>();

/** The process-wide cache of this database (one per database object). */
export function userRowCacheFor(db: Queryable): UserRowCache {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = createUserRowCache(db);
    caches.set(db, cache);
  }
  return cache;
}
