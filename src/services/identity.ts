// Resolves a verified user token to the canonical user: finds the bound identity, or
// provisions user + identity (+ JIT membership) in one transaction. Races between replicas
// are settled by the database's unique keys, never by in-process locks: a losing
// transaction rolls back and the attempt is retried, which then finds the winner's row.
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { decideNewIdentity, profileChanged } from '../domain/linking.js';
import { isValidEmail, normalizeEmail } from '../domain/email.js';
import type { Actor, User, UserClaims } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { isUniqueViolation } from '../db/errors.js';
import { findIdentityWithUser, stampIdentitiesSeen, updateIdentitySeen } from '../db/identities.js';
import type { Database, Queryable } from '../db/queryable.js';
import { createUserWithIdentity, grantJitMembership, linkIdentityToHolder } from '../db/provisioning.js';
import { userRowCacheFor } from '../db/userCache.js';
import { findUserByVerifiedEmailForUpdate, insertUser, updateUserProfile, userIdTaken } from '../db/users.js';
import { isUuid } from '../domain/ids.js';
import { LRUCache } from 'lru-cache';

export interface ResolvedUser {
  userId: string;
  /** True when this call created the user. */
  created: boolean;
  /**
   * The user's row as this resolution wrote or read it, when it did (not from the id cache, and
   * not when it changed the profile): the request can answer with it instead of reading it again.
   */
  row?: User;
}

export interface IdentityServiceOptions {
  db: Database;
  /** Entries of the (issuer, sub) → user id cache; default 50,000. */
  cacheMaxEntries?: number;
  /** How often a known identity is resynced and its last-seen time written (45-60 s at random for 60 s); default 60 s. */
  seenIntervalMs?: number;
  /** How long last-seen stamps wait to be written together; default 1 s (500 waiting are written at once). */
  stampDelayMs?: number;
  now?: () => number;
  /** Called when a user or identity is provisioned (metrics). */
  onProvisioned?: (what: 'user' | 'identity') => void;
  /**
   * Issuer names whose UUID subjects become the id of the user their first sign-in creates
   * (`adoptSubjectAsUserId`, legacy-sessions.md); when that id is taken, a new one is generated.
   */
  adoptSubjectAsUserId?: ReadonlySet<string>;
  /** Users nothing is stamped for (suspended: sessions.ts); default none. */
  isSuspended?: (userId: string) => boolean;
  /**
   * How long an entry answers after the database last confirmed it, ms (then it is resolved
   * again, not just stamped): the session view remembers deletions this long. Default unbounded.
   */
  maxEntryAgeMs?: number;
}

export interface IdentityService {
  /**
   * The canonical user for a verified user token, provisioning it on first sight.
   * @throws AppError EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN, IDENTITY_STORE_UNAVAILABLE
   */
  resolveUser(claims: UserClaims): Promise<ResolvedUser>;
  /** The user id when these very claims were resolved recently (no promise); else undefined. */
  cachedUser(claims: UserClaims): ResolvedUser | undefined;
  /**
   * Get-or-create a user by email alone (a service's `ensureUser(input)`, `addMember` by email).
   * The email counts as verified. @throws AppError BAD_USER_INPUT for a malformed email.
   */
  ensureUserByEmail(tx: Queryable | null, input: { email: string; name?: string | null }, actor: Actor): Promise<{ user: User; created: boolean }>;
  /** Writes the last-seen stamps still waiting (shutdown, tests); resolves when they are written or dropped. */
  flushStamps(): Promise<void>;
  /** Drops the cached binding of these claims' identity (its user was deleted): the next resolution reads the database. */
  forget(claims: UserClaims): void;
}

const MAX_ATTEMPTS = 5;
const MAX_STAMP_BATCH = 500;

/** Thrown inside a transaction that lost a race; the attempt is retried. */
class LostRace extends Error {}

interface CachedIdentity {
  userId: string;
  fingerprint: string;
  /**
   * Until when the entry answers without a database round trip (then resync or stamp). Renewed
   * in place when a stamp is queued; -Infinity once the entry must not answer again (its stamp
   * found no identity, or could not be written).
   */
  freshUntil: number;
  /** When the database last confirmed the binding (ms). */
  resolvedAt: number;
}

/** The (issuer, sub) cache key, and back. */
function keyOf(claims: { issuer: string; subject: string }): string {
  return `${claims.issuer}\u0000${claims.subject}`;
}

function splitKey(key: string): { issuer: string; subject: string } {
  const at = key.indexOf('\u0000');
  return { issuer: key.slice(0, at), subject: key.slice(at + 1) };
}

function fingerprint(claims: UserClaims): string {
  return JSON.stringify([claims.email, claims.emailVerified, claims.name, claims.externalOrganizationId]);
}

export function createIdentityService(options: IdentityServiceOptions): IdentityService {
  const { db } = options;
  const now = options.now ?? Date.now;
  const seenIntervalMs = options.seenIntervalMs ?? 60_000;
  const adoptFrom = options.adoptSubjectAsUserId ?? new Set<string>();
  const maxEntryAgeMs = options.maxEntryAgeMs ?? Infinity;
  // Safe to cache: an identity, once bound, stays bound to its user. Only the id is cached,
  // never the profile, so no change made elsewhere can be served stale from here.
  const cache = new LRUCache<string, CachedIdentity>({ max: options.cacheMaxEntries ?? 50_000 });
  // Claims objects the verifier's cache keeps alive → their entry; gone with the token's entry.
  const byClaims = new WeakMap<UserClaims, CachedIdentity>();
  const resolving = new Map<string, Promise<ResolvedUser>>();
  // Where the rows this service writes or reads are kept for the requests that follow.
  const rowCache = userRowCacheFor(db);
  // Last-seen stamps waiting to be written together (key → the entry they renewed).
  const stampDelayMs = options.stampDelayMs ?? 1000;
  let dueStamps = new Map<string, CachedIdentity>();
  let stampTimer: ReturnType<typeof setTimeout> | null = null;
  let stampsWriting: Promise<void> = Promise.resolve();

  /**
   * Writes the waiting stamps in one statement. An identity the statement does not find (an
   * operator deleted it) and every identity of a statement that failed (the database is down)
   * leave the cache: their next request resolves against the database, as a first one does.
   */
  function writeStamps(): Promise<void> {
    if (stampTimer !== null) clearTimeout(stampTimer);
    stampTimer = null;
    if (dueStamps.size === 0) return stampsWriting;
    const batch = dueStamps;
    dueStamps = new Map();
    const forget = (key: string, entry: CachedIdentity) => {
      entry.freshUntil = -Infinity;
      if (cache.get(key) === entry) cache.delete(key);
    };
    const written = stampsWriting.then(async () => {
      try {
        const found = new Set((await stampIdentitiesSeen(db, [...batch.keys()].map(splitKey))).map(keyOf));
        for (const [key, entry] of batch) if (!found.has(key)) forget(key, entry);
      } catch {
        for (const [key, entry] of batch) forget(key, entry);
      }
    });
    stampsWriting = written;
    return written;
  }

  /**
   * A known identity back after a seen interval with the claims recorded last time and no
   * organization to join: its last-seen time is all there is to write, and the request need
   * not wait for it. The entry is renewed now; the stamp waits up to `stampDelayMs` to share
   * one statement with the others due (every active identity comes due once a minute, and on
   * PGlite each statement runs on this thread).
   */
  function queueStamp(key: string, entry: CachedIdentity): ResolvedUser {
    entry.freshUntil = freshUntil();
    // Nothing is stamped for a suspended user (lifecycle.md).
    if (options.isSuspended?.(entry.userId)) return { userId: entry.userId, created: false };
    dueStamps.set(key, entry);
    if (dueStamps.size >= MAX_STAMP_BATCH) void writeStamps();
    else if (stampTimer === null) {
      stampTimer = setTimeout(() => void writeStamps(), stampDelayMs);
      // A stamp never keeps the process alive; shutdown flushes what is waiting.
      stampTimer.unref();
    }
    return { userId: entry.userId, created: false };
  }

  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i += 1) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof LostRace || isUniqueViolation(error);
        if (!retryable || i >= MAX_ATTEMPTS) throw retryable ? new AppError('INTERNAL_SERVER_ERROR', { cause: error }) : error;
      }
    }
  }

  /**
   * Binds a never-seen identity: one atomic statement creates the user with it, unless a user
   * holds the email verified; then the linking rule decides on that holder (a second statement
   * links, re-checking the holder under a lock). A lost race throws for the caller to retry.
   */
  async function provision(claims: UserClaims): Promise<ResolvedUser> {
    const identity = {
      identityId: randomUUID(),
      provider: claims.provider,
      issuer: claims.issuer,
      subject: claims.subject,
      email: claims.email,
      emailVerified: claims.emailVerified,
      name: claims.name,
      externalOrganizationId: claims.externalOrganizationId,
      membershipId: randomUUID(),
    };
    const fresh = decideNewIdentity(claims, null);
    if (fresh.action !== 'create') throw new Error('a new identity without a holder must create a user');
    const userId = await newUserId(claims);
    const before = rowCache.version();
    const outcome = await createUserWithIdentity(db, { id: userId, email: fresh.email, emailVerified: fresh.emailVerified, name: claims.name }, identity);
    if (outcome.created) {
      // The user's next requests answer from memory too, not only this one.
      rowCache.keepWritten(outcome.user, before);
      return { userId, created: true, row: outcome.user };
    }
    // A suspended user gains no identity (nothing is provisioned for them).
    if (outcome.holder.status !== 'active') throw new AppError('USER_SUSPENDED');
    const decision = decideNewIdentity(claims, outcome.holder);
    if (decision.action !== 'link' || outcome.holder.email === null) throw new LostRace();
    if (!(await linkIdentityToHolder(db, { id: decision.userId, email: outcome.holder.email }, identity))) throw new LostRace();
    return { userId: decision.userId, created: false };
  }

  /**
   * A legacy id is kept only while no user holds it (an imported user without this identity, a
   * deleted user's tombstone): an identity is bound by the identity rules, never by its id.
   * A concurrent sign-in taking it meanwhile fails the insert, and the retry decides again.
   */
  async function newUserId(claims: UserClaims): Promise<string> {
    if (adoptFrom.has(claims.provider) && isUuid(claims.subject)) {
      const id = claims.subject.toLowerCase();
      if (!(await userIdTaken(db, id))) return id;
    }
    return randomUUID();
  }

  /** Records a later sign-in; true when it may have changed the user's row. */
  async function syncKnownIdentity(claims: UserClaims, bound: NonNullable<Awaited<ReturnType<typeof findIdentityWithUser>>>): Promise<boolean> {
    const changed = profileChanged(bound, claims);
    const needsJit = claims.externalOrganizationId !== null;
    if (!changed && !needsJit) {
      if (now() - bound.lastSeenAt.getTime() > seenIntervalMs) await updateIdentitySeen(db, bound.identityId, claims);
      return false;
    }
    const userId = bound.user.id;
    const actor: Actor = { type: 'user', id: userId, impersonator: null };
    await db.transaction(async (tx) => {
      await updateIdentitySeen(tx, bound.identityId, claims);
      if (changed) {
        const updated = await updateUserProfile(tx, userId, claims);
        if (updated && (updated.email !== bound.user.email || updated.name !== bound.user.name || updated.emailVerified !== bound.user.emailVerified)) {
          await appendAudit(tx, actor, {
            action: 'user.updated',
            targetType: 'User',
            targetId: userId,
            details: { provider: claims.provider, emailChanged: updated.email !== bound.user.email, nameChanged: updated.name !== bound.user.name },
          });
        }
      }
      if (claims.externalOrganizationId !== null) {
        // The same statement as a first sign-in's: a member once, never re-created after removal.
        await grantJitMembership(tx, { userId, provider: claims.provider, externalOrganizationId: claims.externalOrganizationId, membershipId: randomUUID() });
      }
    });
    return changed;
  }

  async function resolveUncached(claims: UserClaims, key: string, print: string): Promise<ResolvedUser> {
    const result = await withRetries(async () => {
      const before = rowCache.version();
      const bound = await findIdentityWithUser(db, claims.issuer, claims.subject);
      if (bound !== null) {
        let rowChanged = false;
        // Impersonation never writes: the actor is not the user; nor is a suspended user stamped.
        if (claims.impersonator === null && bound.user.status === 'active') {
          try {
            rowChanged = await syncKnownIdentity(claims, bound);
          } catch (error) {
            // A profile email another user holds verified is simply not taken (the partial
            // unique index settles a race); the identity still resolves to its own user.
            if (!isUniqueViolation(error)) throw error;
            rowChanged = true;
          }
        }
        if (rowChanged) return { userId: bound.user.id, created: false };
        rowCache.keepRead(bound.user, before);
        return { userId: bound.user.id, created: false, row: bound.user };
      }
      if (claims.impersonator !== null) throw new AppError('IMPERSONATION_TARGET_UNKNOWN');
      const provisioned = await provision(claims);
      options.onProvisioned?.('identity');
      if (provisioned.created) options.onProvisioned?.('user');
      return provisioned;
    });
    const entry = { userId: result.userId, fingerprint: print, freshUntil: freshUntil(), resolvedAt: now() };
    cache.set(key, entry);
    byClaims.set(claims, entry);
    return result;
  }

  /**
   * A seen interval from now, less up to a quarter of it at random: identities that signed in
   * together (a deploy, a burst of logins) come due spread over seconds, not in one stall.
   */
  function freshUntil(): number {
    return now() + seenIntervalMs * (1 - Math.random() / 4);
  }

  /** An impersonated request never writes; others resync the identity once a seen interval. */
  function isFresh(entry: CachedIdentity, claims: UserClaims): boolean {
    return claims.impersonator !== null || now() < entry.freshUntil;
  }

  /**
   * Whether an entry that came due, recorded with these very claims (same fingerprint), needs
   * only a last-seen stamp (see queueStamp): it was not dropped, and there is no organization to join.
   */
  function stampOnly(entry: CachedIdentity, claims: UserClaims): boolean {
    return entry.freshUntil !== -Infinity && claims.externalOrganizationId === null && now() - entry.resolvedAt < maxEntryAgeMs;
  }

  // The same verified token hands back the same frozen claims object: no key to build.
  function cachedUser(claims: UserClaims): ResolvedUser | undefined {
    const memo = byClaims.get(claims);
    if (memo === undefined) return undefined;
    if (isFresh(memo, claims)) return { userId: memo.userId, created: false };
    // Due: the memo was recorded with these claims; it must still be the identity's entry.
    const key = keyOf(claims);
    return cache.get(key) === memo && stampOnly(memo, claims) ? queueStamp(key, memo) : undefined;
  }

  return {
    cachedUser,

    async resolveUser(claims) {
      const known = cachedUser(claims);
      if (known !== undefined) return known;
      const key = keyOf(claims);
      const print = fingerprint(claims);
      const cached = cache.get(key);
      if (cached && (claims.impersonator !== null || (cached.fingerprint === print && isFresh(cached, claims)))) {
        byClaims.set(claims, cached);
        return { userId: cached.userId, created: false };
      }
      // One resolution per identity in flight in this process: a client's parallel first
      // requests provision once here (replicas still race, and the database settles it).
      // (An impersonated request resolves on its own: it never provisions.)
      if (claims.impersonator !== null) return resolveUncached(claims, key, print);
      const pending = resolving.get(key);
      if (pending !== undefined) {
        const { userId, row } = await pending;
        return row === undefined ? { userId, created: false } : { userId, created: false, row: { ...row } };
      }
      if (cached !== undefined && cached.fingerprint === print && stampOnly(cached, claims)) {
        byClaims.set(claims, cached);
        return queueStamp(key, cached);
      }
      const resolution = resolveUncached(claims, key, print);
      resolving.set(key, resolution);
      try {
        return await resolution;
      } finally {
        resolving.delete(key);
      }
    },

    async ensureUserByEmail(outer, input, actor) {
      const email = normalizeEmail(input.email);
      if (email === null || !isValidEmail(email)) throw new AppError('BAD_USER_INPUT', { message: 'email is not a valid email address.', reason: 'INVALID_EMAIL' });
      const name = input.name?.trim() || null;
      const work = async (tx: Queryable) => {
        const existing = await findUserByVerifiedEmailForUpdate(tx, email);
        if (existing !== null) return { user: existing, created: false };
        const user = await insertUser(tx, { id: randomUUID(), email, emailVerified: true, name });
        await appendAudit(tx, actor, { action: 'user.provisioned', targetType: 'User', targetId: user.id, details: { via: 'email' } });
        options.onProvisioned?.('user');
        return { user, created: true };
      };
      // Inside a caller's transaction (addMember) a lost race aborts that transaction, so the
      // caller retries; on its own it retries here.
      return outer !== null ? work(outer) : withRetries(() => db.transaction(work));
    },

    flushStamps: () => writeStamps(),

    forget(claims) {
      const key = keyOf(claims);
      const entry = cache.get(key);
      if (entry !== undefined) {
        entry.freshUntil = -Infinity;
        cache.delete(key);
      }
      byClaims.delete(claims);
    },
  };
}
