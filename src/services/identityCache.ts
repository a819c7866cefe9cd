// Which user an (issuer, subject) identity is bound to, remembered between requests: an entry
// answers without the database for a seen interval; then the identity is stamped or resynced.
import { LRUCache } from 'lru-cache';
import { recordedProfile } from '../domain/linking.js';
import type { UserClaims } from '../domain/types.js';

/** What a later sign-in must match to need no resync: the profile and the organization claim. */
type RecordedClaims = Pick<UserClaims, 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName' | 'externalOrganizationId'>;

export interface CachedIdentity {
  userId: string;
  /** The claims the database last recorded: a sign-in with others must be synced. */
  recorded: RecordedClaims;
  /**
   * Until when the entry answers without a database round trip (then resync or stamp). Renewed
   * in place when a stamp is queued; -Infinity once the entry must not answer again (its stamp
   * found no identity, or could not be written).
   */
  freshUntil: number;
  /** When the database last confirmed the binding (ms). */
  resolvedAt: number;
  /**
   * The last claims object found to match `recorded`: frozen, one per verified token, so a token's
   * later requests match by reference instead of field by field (1,000 users rotating under the
   * bench's load: the fields are cold in memory, 0.6 µs a request, 0.1 by reference). Null until
   * one matches.
   */
  matched: UserClaims | null;
}

/** The (issuer, subject) key, and back. */
export function identityKey(claims: { issuer: string; subject: string }): string {
  return `${claims.issuer}\u0000${claims.subject}`;
}

export function splitIdentityKey(key: string): { issuer: string; subject: string } {
  const at = key.indexOf('\u0000');
  return { issuer: key.slice(0, at), subject: key.slice(at + 1) };
}

/** Whether these claims are the ones recorded (compared field by field: nothing is built per request). */
export function sameClaims(recorded: RecordedClaims, claims: UserClaims): boolean {
  return (
    recorded.email === claims.email &&
    recorded.emailVerified === claims.emailVerified &&
    recorded.name === claims.name &&
    recorded.givenName === claims.givenName &&
    recorded.familyName === claims.familyName &&
    recorded.externalOrganizationId === claims.externalOrganizationId
  );
}

export interface IdentityCacheOptions {
  maxEntries: number;
  /** How often a known identity is resynced or stamped (45-60 s at random for 60 s). */
  seenIntervalMs: number;
  /** How long an entry answers after the database last confirmed it; then it is resolved again, not just stamped. */
  maxEntryAgeMs: number;
  now: () => number;
}

/**
 * Safe to cache: an identity, once bound, stays bound to its user. Only the id is cached, never
 * the profile, so no change made elsewhere can be served stale from here.
 */
export class IdentityCache {
  readonly #entries: LRUCache<string, CachedIdentity>;
  readonly #options: IdentityCacheOptions;

  constructor(options: IdentityCacheOptions) {
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries });
  }

  get(key: string): CachedIdentity | undefined {
    return this.#entries.get(key);
  }

  /** Whether these claims are the ones the entry recorded (by reference once a frozen claims object matched). */
  matches(entry: CachedIdentity, claims: UserClaims): boolean {
    if (entry.matched === claims) return true;
    if (!sameClaims(entry.recorded, claims)) return false;
    // Only an object nobody can change is remembered.
    if (Object.isFrozen(claims)) entry.matched = claims;
    return true;
  }

  /** Records a binding the database just confirmed, with the claims it recorded. */
  remember(key: string, claims: UserClaims, userId: string): void {
    const recorded = { ...recordedProfile(claims), externalOrganizationId: claims.externalOrganizationId };
    this.#entries.set(key, { userId, recorded, freshUntil: this.freshUntil(), resolvedAt: this.#options.now(), matched: null });
  }

  /**
   * A seen interval from now, less up to a quarter of it at random: identities that signed in
   * together (a deploy, a burst of logins) come due spread over seconds, not in one stall.
   */
  freshUntil(): number {
    return this.#options.now() + this.#options.seenIntervalMs * (1 - Math.random() / 4);
  }

  /** An impersonated request never writes; others resync the identity once a seen interval. */
  isFresh(entry: CachedIdentity, claims: UserClaims): boolean {
    return claims.impersonator !== null || this.#options.now() < entry.freshUntil;
  }

  /**
   * Whether an entry that came due, recorded with these very claims (sameClaims), needs
   * only a last-seen stamp: it was not dropped, it is not too old, and there is no organization to join.
   */
  stampOnly(entry: CachedIdentity, claims: UserClaims): boolean {
    return entry.freshUntil !== -Infinity && claims.externalOrganizationId === null && this.#options.now() - entry.resolvedAt < this.#options.maxEntryAgeMs;
  }

  /** The entry never answers again; the identity's next request resolves against the database. */
  drop(key: string, entry: CachedIdentity): void {
    entry.freshUntil = -Infinity;
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  /** Drops the binding of these claims' identity (its user was deleted). */
  forget(claims: UserClaims): void {
    const key = identityKey(claims);
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.drop(key, entry);
  }
}
