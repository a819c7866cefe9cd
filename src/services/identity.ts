// Resolves a verified user token to the canonical user: from memory while the identity's binding
// is fresh (identityCache.ts), else from the database (userResolution.ts), with last-seen times
// written in batches (lastSeenStamps.ts).
import type { UserClaims } from '../domain/types.js';
import type { Database } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { singleFlight } from '../lib/singleFlight.js';
import { identityKey, IdentityCache, type CachedIdentity } from './identityCache.js';
import { createLastSeenStamps } from './lastSeenStamps.js';
import { NO_SSO_EMAIL_TRUST, type SsoEmailTrust } from './ssoEmailTrust.js';
import { createUserResolution, type ResolvedUser, type UserResolution } from './userResolution.js';

export type { ResolvedUser } from './userResolution.js';

export interface IdentityServiceOptions {
  db: Database;
  /** The user store: users are read and written through it. */
  users: UserStore;
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
  /** PERSONAL_ORGANIZATIONS: a new user's first sign-in also creates their personal workspace; default false. */
  personalOrganizations?: boolean;
  /** Users nothing is stamped for (suspended: sessions.ts); default none. */
  isSuspended?: (userId: string) => boolean;
  /**
   * How long an entry answers after the database last confirmed it, ms (then it is resolved
   * again, not just stamped): the session view remembers deletions this long. Default unbounded.
   */
  maxEntryAgeMs?: number;
  /** emailTrust "ssoDomain": settles pending emails against the SSO bindings; default none pending. */
  ssoEmailTrust?: SsoEmailTrust;
}

export interface IdentityService {
  /**
   * The canonical user for a verified user token, provisioning it on first sight.
   * @throws AppError EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN, IDENTITY_STORE_UNAVAILABLE
   */
  resolveUser(claims: UserClaims): Promise<ResolvedUser>;
  /** The user id when these claims' identity was resolved recently, with these claims (no promise); else undefined. */
  cachedUser(claims: UserClaims): ResolvedUser | undefined;
  /**
   * As resolveUser, from the database whatever is cached: the cached binding named a user that
   * has been deleted since (the session view said so).
   */
  resolveUserAfresh(claims: UserClaims): Promise<ResolvedUser>;
  /** See UserResolution.ensureUserByEmail. */
  ensureUserByEmail: UserResolution['ensureUserByEmail'];
  /** Writes the last-seen stamps still waiting (shutdown, tests); resolves when they are written or dropped. */
  flushStamps(): Promise<void>;
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
    users: options.users,
    now,
    seenIntervalMs,
    adoptSubjectAsUserId: options.adoptSubjectAsUserId ?? new Set<string>(),
    personalOrganizations: options.personalOrganizations ?? false,
    onProvisioned: options.onProvisioned,
  });
  const resolving = singleFlight<string, ResolvedUser>();
  const emailTrust = options.ssoEmailTrust ?? NO_SSO_EMAIL_TRUST;

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

  function cachedAt(key: string, claims: UserClaims): ResolvedUser | undefined {
    const entry = identities.get(key);
    if (entry === undefined) return undefined;
    // An impersonated request never writes: the binding is all it needs.
    if (claims.impersonator !== null) return { userId: entry.userId, created: false };
    if (!identities.matches(entry, claims)) return undefined;
    if (identities.isFresh(entry, claims)) return { userId: entry.userId, created: false };
    return identities.stampOnly(entry, claims) ? stamped(key, entry) : undefined;
  }

  async function resolveFromDatabase(claims: UserClaims, key: string): Promise<ResolvedUser> {
    const result = await resolution.resolve(claims);
    identities.remember(key, claims, result.userId);
    return result;
  }

  /** The verified claims as the identity rules take them (an `ssoDomain` email settled). */
  async function settled(claims: UserClaims): Promise<UserClaims> {
    return emailTrust.peek(claims) ?? emailTrust.settle(claims);
  }

  async function resolveUser(verified: UserClaims): Promise<ResolvedUser> {
    const claims = await settled(verified);
    const key = identityKey(claims);
    const known = cachedAt(key, claims);
    if (known !== undefined) return known;
    // One resolution per identity in flight in this process: a client's parallel first
    // requests provision once here (replicas still race, and the database settles it).
    // (An impersonated request resolves on its own: it never provisions.)
    if (claims.impersonator !== null) return resolveFromDatabase(claims, key);
    let started = false;
    const resolved = await resolving.run(key, () => {
      started = true;
      return resolveFromDatabase(claims, key);
    });
    if (started) return resolved;
    // A request that joined another's resolution: the user existed already for it, and it gets
    // its own copy of the row (its view of users holds it).
    const { userId, row } = resolved;
    return row === undefined ? { userId, created: false } : { userId, created: false, row: { ...row } };
  }

  return {
    cachedUser(verified) {
      // The warm path: the bindings are in memory, so no promise and no statement.
      const claims = emailTrust.peek(verified);
      return claims === undefined ? undefined : cachedAt(identityKey(claims), claims);
    },
    resolveUser,
    resolveUserAfresh(claims) {
      identities.forget(claims);
      return resolveUser(claims);
    },
    ensureUserByEmail: (within, input, actor) => resolution.ensureUserByEmail(within, input, actor),
    flushStamps: () => stamps.flush(),
  };
}
