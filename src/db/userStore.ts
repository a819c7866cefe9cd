// The user store (as Lucia's adapter): the one way user rows are read and written, and the owner of
// their caching. A row is answered from memory only while no write of users has ended since it was
// read (userCache.ts); the store's own writes move that on themselves, so no caller invalidates.
import type { User } from '../domain/types.js';
import { findIdentityWithUser, type BoundIdentity } from './identities.js';
import { eraseUser, lockUser, setUserStatus } from './lifecycle.js';
import { createUserWithIdentity, type CreateOutcome, type NewIdentity, type NewWorkspace } from './provisioning.js';
import type { Database, Queryable } from './queryable.js';
import { writeIdpProfile, type IdpProfile } from './idpProfiles.js';
import { createUserRowCache } from './userCache.js';
import { findUserByEmail, searchUsers } from './userDirectory.js';
import { findOperators, findUserByVerifiedEmailForUpdate, findUsersByIds, insertUser, setUserOperator, updateUserProfile, userIdTaken, type NewUser } from './users.js';
import { createUserView, type UserView } from './userView.js';

export type { UserView } from './userView.js';

/** A user's profile as a sign-in brings it (the email taken only if no other user holds it verified). */
export interface ProfileUpdate {
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  givenName?: string | null;
  familyName?: string | null;
}

/**
 * Users inside one transaction of the store's (`UserStore.transaction`): the only way to write
 * them. The first write marks the transaction as a write of users; its end moves the cache on.
 */
export interface UsersInTransaction {
  /** The user (not a tombstone) as the transaction sees it; null when none. */
  find(id: string): Promise<User | null>;
  /** The same, locked for the rest of the transaction. */
  lock(id: string): Promise<User | null>;
  /** The user holding this verified email, locked for the rest of the transaction. */
  lockByVerifiedEmail(email: string): Promise<User | null>;
  insert(user: NewUser): Promise<User>;
  /** A later sign-in's profile (db/users.ts updateUserProfile); the row it leaves, null when none. */
  updateProfile(id: string, profile: ProfileUpdate): Promise<User | null>;
  setStatus(id: string, status: 'active' | 'suspended'): Promise<User | null>;
  /** The profile an IdP event decided (db/idpProfiles.ts); null when no such user. */
  writeIdpProfile(id: string, profile: IdpProfile): Promise<{ user: User; namesChanged: boolean } | null>;
  /** Grants or revokes operator status; the row it leaves, null when no such user. */
  setOperator(id: string, isOperator: boolean): Promise<User | null>;
  /** Erases the user's personal data, leaving the tombstone (db/lifecycle.ts eraseUser); the deletion time (ms). */
  erase(id: string): Promise<number>;
}

export interface UserStore {
  /** A copy of the user's current row from memory, else undefined; never reads the database. */
  peek(id: string): User | undefined;
  /** Users by id: current rows from memory, the others read in one statement (and kept). */
  findByIds(ids: readonly string[]): Promise<User[]>;
  /** The user holding this (normalised) email, a verified holder first; null when none. */
  findByEmail(email: string): Promise<User | null>;
  /** Users ordered by id after `afterId` whose email or name starts with `query` (null: everyone); at most `limit`. */
  search(options: { query: string | null; afterId: string | null; limit: number }): Promise<User[]>;
  /** Whether a row (a user, or a deleted user's tombstone) holds this id. */
  idTaken(id: string): Promise<boolean>;
  /** Every operator (never cached: read when listed). */
  operators(): Promise<User[]>;
  /** The identity (issuer, subject) with its user (kept), or null when it has never signed in. */
  findIdentity(issuer: string, subject: string): Promise<BoundIdentity | null>;
  /**
   * A first sign-in in one statement (db/provisioning.ts): the user with the identity, unless a
   * user holds the email verified (then nothing is written); with `workspace`, the user's personal
   * workspace too. The new row is kept.
   */
  provision(user: NewUser, identity: NewIdentity, workspace?: NewWorkspace | null): Promise<CreateOutcome>;
  /**
   * Runs `work` in one transaction of the database, with users read and written through `users`:
   * once it ends, no row cached before a write it made is answered again.
   */
  transaction<T>(work: (tx: Queryable, users: UsersInTransaction) => Promise<T>): Promise<T>;
  /** One request's view (userView.ts). */
  view(): UserView;
  /** Rows held in memory. */
  readonly size: number;
  /** Stops hearing the database's change announcements. */
  close(): void;
}

export interface UserStoreOptions {
  /** Rows held in memory; default 10,000. */
  maxEntries?: number;
}

export function createUserStore(db: Database, options: UserStoreOptions = {}): UserStore {
  const rows = createUserRowCache(db, options.maxEntries);

  function usersIn(tx: Queryable, writing: () => void): UsersInTransaction {
    const write = <T>(statement: () => Promise<T>): Promise<T> => {
      writing();
      return statement();
    };
    return {
      find: async (id) => (await findUsersByIds(tx, [id]))[0] ?? null,
      lock: (id) => lockUser(tx, id),
      lockByVerifiedEmail: (email) => findUserByVerifiedEmailForUpdate(tx, email),
      insert: (user) => write(() => insertUser(tx, user)),
      updateProfile: (id, profile) => write(() => updateUserProfile(tx, id, profile)),
      setStatus: (id, status) => write(() => setUserStatus(tx, id, status)),
      writeIdpProfile: (id, profile) => write(() => writeIdpProfile(tx, id, profile)),
      setOperator: (id, isOperator) => write(() => setUserOperator(tx, id, isOperator)),
      erase: (id) => write(() => eraseUser(tx, id)),
    };
  }

  const store: UserStore = {
    peek: (id) => rows.peek(id),
    findByIds: (ids) => rows.findByIds(ids),
    findByEmail: (email) => findUserByEmail(db, email),
    search: (options) => searchUsers(db, options),
    idTaken: (id) => userIdTaken(db, id),
    operators: () => findOperators(db),

    async findIdentity(issuer, subject) {
      const before = rows.version();
      const bound = await findIdentityWithUser(db, issuer, subject);
      // A sync that changes the row afterwards is a write: it moves the version, and this goes.
      if (bound !== null) rows.keep(bound.user, before);
      return bound;
    },

    provision: (user, identity, workspace) =>
      rows.write(
        () => createUserWithIdentity(db, user, identity, workspace ?? null),
        (outcome) => (outcome.created ? outcome.user : null),
      ),

    async transaction(work) {
      // Begun at the transaction's first write of users, if it makes one.
      const write: { start: number | null } = { start: null };
      const writing = () => {
        write.start ??= rows.beginWrite();
      };
      try {
        return await db.transaction((tx) => work(tx, usersIn(tx, writing)));
      } finally {
        // After the commit (or the rollback): what readers see from now on.
        if (write.start !== null) rows.endWrite(write.start);
      }
    },

    view: () => createUserView(store),
    get size() {
      return rows.size;
    },
    close: () => rows.close(),
  };
  return store;
}
