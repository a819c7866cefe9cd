// Which user an (issuer, subject) identity is bound to, remembered between requests: an entry
// answers without the database for a seen interval; then the identity is stamped or resynced.
import { LRUCache } from 'lru-cache';
import type { UserClaims } from '../domain/types.js';

export interface CachedIdentity {
  userId: string;
  /** The claims the database last recorded (claimsFingerprint): others must be synced. */
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

/** The (issuer, subject) key, and back. */
export function identityKey(claims: { issuer: string; subject: string }): string {
  return `${claims.issuer}\u0000${claims.subject}`;
}

export function splitIdentityKey(key: string): { issuer: string; subject: string } {
  const at = key.indexOf('\u0000');
  return { issuer: key.slice(0, at), subject: key.slice(at + 1) };
}

/** What a later sign-in must match to need no resync (the profile and the organization claim). */
export function claimsFingerprint(claims: UserClaims): string {
  return JSON.stringify([claims.email, claims.emailVerified, claims.name, claims.externalOrganizationId]);
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
  // Claims objects the verifier's cache keeps alive → their entry; gone with the token's entry.
  readonly #byClaims = new WeakMap<UserClaims, CachedIdentity>();
  readonly #options: IdentityCacheOptions;

  constructor(options: IdentityCacheOptions) {
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries });
  }

  get(key: string): CachedIdentity | undefined {
    return this.#entries.get(key);
  }

  /** The entry these very claims were answered with (the same verified token hands back the same frozen claims). */
  ofClaims(claims: UserClaims): CachedIdentity | undefined {
    return this.#byClaims.get(claims);
  }

  /** Ties these claims to an entry, so the next request with them needs no key. */
  tie(claims: UserClaims, entry: CachedIdentity): void {
    this.#byClaims.set(claims, entry);
  }

  /** Records a binding the database just confirmed. */
  remember(key: string, claims: UserClaims, userId: string, fingerprint: string): void {
    const entry = { userId, fingerprint, freshUntil: this.freshUntil(), resolvedAt: this.#options.now() };
    this.#entries.set(key, entry);
    this.#byClaims.set(claims, entry);
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
   * Whether an entry that came due, recorded with these very claims (same fingerprint), needs
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
    this.#byClaims.delete(claims);
  }
}
