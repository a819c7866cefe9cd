// Resolves a verified user token to the canonical user: from memory while the identity's binding
// is fresh (identityCache.ts), else from the database (userResolution.ts), with last-seen times
// written in batches (lastSeenStamps.ts).
import type { Actor, User, UserClaims } from '../domain/types.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { UserRowCache } from '../db/userCache.js';
import { singleFlight } from '../lib/singleFlight.js';
import { claimsFingerprint, identityKey, IdentityCache, type CachedIdentity } from './identityCache.js';
import { createLastSeenStamps } from './lastSeenStamps.js';
import { createUserResolution, type ResolvedUser } from './userResolution.js';

export type { ResolvedUser } from './userResolution.js';

export interface IdentityServiceOptions {
  db: Database;
  /** The process's user row cache: every write of users runs through it. */
  userRows: UserRowCache;
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
   * The email counts as verified. Inside a caller's transaction `tx`, the caller runs that
   * transaction through the row cache's `write`. @throws AppError BAD_USER_INPUT for a malformed email.
   */
  ensureUserByEmail(tx: Queryable | null, input: { email: string; name?: string | null }, actor: Actor): Promise<{ user: User; created: boolean }>;
  /** Writes the last-seen stamps still waiting (shutdown, tests); resolves when they are written or dropped. */
  flushStamps(): Promise<void>;
  /** Drops the cached binding of these claims' identity (its user was deleted): the next resolution reads the database. */
  forget(claims: UserClaims): void;
}

export function createIdentityService(options: IdentityServiceOptions): IdentityService {
  const now = options.now ?? Date.now;
  const seenIntervalMs = options.seenIntervalMs ?? 60_000;
  const identities = new IdentityCache({
    maxEntries: options.cacheMaxEntries ?? 50_000,
    seenIntervalMs,
    maxEntryAgeMs: options.maxEntryAgeMs ?? Infinity,
    now,
  });
  // A stamp not written (identity gone, database down) drops its entry: the next request resolves.
  const stamps = createLastSeenStamps<CachedIdentity>({
    db: options.db,
    delayMs: options.stampDelayMs ?? 1000,
    onNotWritten: (key, entry) => identities.drop(key, entry),
  });
  const resolution = createUserResolution({
    db: options.db,
    userRows: options.userRows,
    now,
    seenIntervalMs,
    adoptSubjectAsUserId: options.adoptSubjectAsUserId ?? new Set<string>(),
    onProvisioned: options.onProvisioned,
  });
  const resolving = singleFlight<string, ResolvedUser>();

  /**
   * A known identity back after a seen interval with the claims recorded last time and no
   * organization to join: its last-seen time is all there is to write, and the request need
   * not wait for it. The entry is renewed now; the stamp is written with the others due.
   */
  function stamped(key: string, entry: CachedIdentity): ResolvedUser {
    entry.freshUntil = identities.freshUntil();
    // Nothing is stamped for a suspended user (lifecycle.md).
    if (!options.isSuspended?.(entry.userId)) stamps.queue(key, entry);
    return { userId: entry.userId, created: false };
  }

  async function resolveFromDatabase(claims: UserClaims, key: string, fingerprint: string): Promise<ResolvedUser> {
    const result = await resolution.resolve(claims);
    identities.remember(key, claims, result.userId, fingerprint);
    return result;
  }

  // The same verified token hands back the same frozen claims object: no key to build.
  function cachedUser(claims: UserClaims): ResolvedUser | undefined {
    const memo = identities.ofClaims(claims);
    if (memo === undefined) return undefined;
    if (identities.isFresh(memo, claims)) return { userId: memo.userId, created: false };
    // Due: the memo was recorded with these claims; it must still be the identity's entry.
    const key = identityKey(claims);
    return identities.get(key) === memo && identities.stampOnly(memo, claims) ? stamped(key, memo) : undefined;
  }

  return {
    cachedUser,

    async resolveUser(claims) {
      const known = cachedUser(claims);
      if (known !== undefined) return known;
      const key = identityKey(claims);
      const fingerprint = claimsFingerprint(claims);
      const cached = identities.get(key);
      if (cached && (claims.impersonator !== null || (cached.fingerprint === fingerprint && identities.isFresh(cached, claims)))) {
        identities.tie(claims, cached);
        return { userId: cached.userId, created: false };
      }
      // One resolution per identity in flight in this process: a client's parallel first
      // requests provision once here (replicas still race, and the database settles it).
      // (An impersonated request resolves on its own: it never provisions.)
      if (claims.impersonator !== null) return resolveFromDatabase(claims, key, fingerprint);
      if (cached !== undefined && cached.fingerprint === fingerprint && identities.stampOnly(cached, claims)) {
        identities.tie(claims, cached);
        return stamped(key, cached);
      }
      let started = false;
      const resolved = await resolving.run(key, () => {
        started = true;
        return resolveFromDatabase(claims, key, fingerprint);
      });
      if (started) return resolved;
      // A request that joined another's resolution: the user existed already for it, and it gets
      // its own copy of the row (its loader holds it).
      const { userId, row } = resolved;
      return row === undefined ? { userId, created: false } : { userId, created: false, row: { ...row } };
    },

    ensureUserByEmail: (tx, input, actor) => resolution.ensureUserByEmail(tx, input, actor),
    flushStamps: () => stamps.flush(),
    forget: (claims) => identities.forget(claims),
  };
}
