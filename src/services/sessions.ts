// The one check every user principal passes: suspended users are refused (403 USER_SUSPENDED),
// revoked tokens too (401 `revoked`), from an in-memory view the lifecycle feed keeps current;
// while the view cannot be trusted each check reads the database instead (503 when it cannot).
import { AppError } from '../errors.js';
import type { UserClaims } from '../domain/types.js';
import type { LifecycleChange, LifecycleFeed } from '../db/lifecycleFeed.js';
import { findDeletedSince, findSuspendedUserIds } from '../db/lifecycle.js';
import type { Database } from '../db/queryable.js';
import { findLiveRevocations, findSessionFacts, purgeExpired, type Revocation } from '../db/revocations.js';

export interface SessionPolicyOptions {
  db: Database;
  /** How the view hears of lifecycle changes: this process's commits, other replicas' announcements. */
  feed: LifecycleFeed;
  /**
   * The longest accepted token age, seconds (MAX_TOKEN_AGE_SECONDS): user tokens whose `iat` is
   * older are refused, so a revocation can be forgotten this long after it was made.
   */
  maxTokenAgeSeconds: number;
  now?: () => number /* ms */;
  /** How often forgotten entries are pruned (and expired rows purged); default 60 s. */
  pruneIntervalMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * The view in memory: suspended users, revocations younger than the longest accepted token age,
 * recently deleted users; the warm path is a few map lookups.
 * - `admit(userId, claims)`: true when the principal may proceed; false when `userId` is a
 *   deleted tombstone and the token is newer than the deletion (the identity cache is stale:
 *   resolve the token again, without it). Throws AppError USER_SUSPENDED, UNAUTHENTICATED
 *   (reason `revoked`, `token_too_old`), IDENTITY_STORE_UNAVAILABLE. A value on the warm path;
 *   a promise while memory cannot be trusted.
 */
export interface SessionPolicy {
  admit(userId: string, claims: UserClaims): boolean | Promise<boolean>;
  /** Whether memory answers (loaded, and the database is heard). */
  readonly trusted: boolean;
  /** Suspended per memory (stamps skip them); false when unsure. */
  isSuspended(userId: string): boolean;
  /** Loads the view (start-up; retried by itself on failure). */
  start(): Promise<void>;
  readonly counts: { revocations: number; suspended: number; deleted: number };
  close(): void;
}

interface Horizon {
  /** Seconds: tokens with iat at or before it stop. */
  at: number;
  /** Milliseconds: forgotten after. */
  expiresAt: number;
}

const revoked = () => new AppError('UNAUTHENTICATED', { message: 'This token has been revoked.', reason: 'revoked' });
const suspended = () => new AppError('USER_SUSPENDED');

function bump(map: Map<string, Horizon>, key: string, at: number, expiresAt: number): void {
  const held = map.get(key);
  if (held === undefined || held.at < at || held.expiresAt < expiresAt) {
    map.set(key, { at: Math.max(at, held?.at ?? at), expiresAt: Math.max(expiresAt, held?.expiresAt ?? expiresAt) });
  }
}

/** Two-level map issuer → key → horizon: no key string is built per request. */
function nestedGet(map: Map<string, Map<string, Horizon>>, issuer: string, key: string): Horizon | undefined {
  return map.get(issuer)?.get(key);
}

function nestedBump(map: Map<string, Map<string, Horizon>>, issuer: string, key: string, at: number, expiresAt: number): void {
  let inner = map.get(issuer);
  if (inner === undefined) map.set(issuer, (inner = new Map()));
  bump(inner, key, at, expiresAt);
}

/** The IdP issuer a token's `sid` and sign-in belong to: its own, or a platform token's IdP. */
const sessionIssuerOf = (claims: UserClaims): string => claims.idpIssuer ?? claims.issuer;

/**
 * Seconds a token's issue time is compared with, exactly: an integer `iat` compares as with the
 * floor (a revocation at 12.7 s covers tokens of second 12), and an opaque session's first
 * acceptance (millisecond precision) accepted at 12.9 s is not covered.
 */
const seconds = (ms: number) => ms / 1000;

/** When a token counts as issued: its `iat`, else an opaque session's first acceptance, else before every revocation. */
const issuedAtOf = (claims: UserClaims): number => claims.issuedAt ?? claims.firstAcceptedAt ?? -Infinity;

class View {
  readonly users = new Map<string, Horizon>();
  /** IdP issuer → user id: that user's sign-ins at that IdP (a logout naming only the identity). */
  readonly usersAtIssuer = new Map<string, Map<string, Horizon>>();
  readonly identities = new Map<string, Map<string, Horizon>>();
  readonly sessions = new Map<string, Map<string, Horizon>>();
  readonly suspended = new Set<string>();
  readonly deleted = new Map<string, Horizon>();
  revocationCount = 0;

  constructor(readonly retentionMs: number) {}

  apply(change: LifecycleChange): void {
    if (change.type === 'revocation') {
      this.addRevocation(change);
      return;
    }
    if (change.status === 'suspended') this.suspended.add(change.userId);
    else this.suspended.delete(change.userId);
    if (change.status === 'deleted' && change.deletedAt !== null) {
      this.deleted.set(change.userId, { at: seconds(change.deletedAt), expiresAt: change.deletedAt + this.retentionMs });
    }
  }

  addRevocation(revocation: Omit<Revocation, 'kind'> & { kind: Revocation['kind'] }): void {
    const at = seconds(revocation.revokedAt);
    if (revocation.kind === 'user' && revocation.issuer === '') bump(this.users, revocation.subject, at, revocation.expiresAt);
    else if (revocation.kind === 'user') nestedBump(this.usersAtIssuer, revocation.issuer, revocation.subject, at, revocation.expiresAt);
    else nestedBump(revocation.kind === 'identity' ? this.identities : this.sessions, revocation.issuer, revocation.subject, at, revocation.expiresAt);
  }

  count(): number {
    let n = this.users.size;
    for (const nested of [this.usersAtIssuer, this.identities, this.sessions]) for (const inner of nested.values()) n += inner.size;
    return n;
  }

  prune(nowMs: number): void {
    const drop = (map: Map<string, Horizon>) => {
      for (const [key, horizon] of map) if (horizon.expiresAt <= nowMs || horizon.at * 1000 < nowMs - this.retentionMs) map.delete(key);
    };
    drop(this.users);
    drop(this.deleted);
    for (const nested of [this.usersAtIssuer, this.identities, this.sessions]) {
      for (const [issuer, inner] of nested) {
        drop(inner);
        if (inner.size === 0) nested.delete(issuer);
      }
    }
    this.revocationCount = this.count();
  }
}

export function createSessionPolicy(options: SessionPolicyOptions): SessionPolicy {
  const { db, feed, maxTokenAgeSeconds } = options;
  const now = options.now ?? Date.now;
  const retentionMs = maxTokenAgeSeconds * 1000;
  let view = new View(retentionMs);
  let loaded = false;
  let loading: Promise<void> | null = null;
  // Changes heard while a load runs: applied to the loaded view too (idempotent).
  let heardDuringLoad: LifecycleChange[] | null = null;
  let closed = false;

  const hearing = (): boolean => db.userChanges?.listening ?? true;

  async function loadOnce(): Promise<void> {
    heardDuringLoad = [];
    try {
      const fresh = new View(retentionMs);
      const [revocations, suspendedIds, deleted] = await Promise.all([
        findLiveRevocations(db, maxTokenAgeSeconds),
        findSuspendedUserIds(db),
        findDeletedSince(db, maxTokenAgeSeconds),
      ]);
      for (const revocation of revocations) fresh.addRevocation(revocation);
      for (const id of suspendedIds) fresh.suspended.add(id);
      for (const { userId, deletedAt } of deleted) fresh.deleted.set(userId, { at: seconds(deletedAt), expiresAt: deletedAt + retentionMs });
      for (const change of heardDuringLoad) fresh.apply(change);
      fresh.revocationCount = fresh.count();
      view = fresh;
      loaded = true;
    } finally {
      heardDuringLoad = null;
    }
  }

  function load(): Promise<void> {
    loading ??= loadOnce().finally(() => (loading = null));
    return loading;
  }

  const unsubscribe = feed.subscribe({
    onChange(change) {
      heardDuringLoad?.push(change);
      view.apply(change);
      if (change.type === 'revocation') view.revocationCount = view.count();
    },
    onRestart() {
      // Changes made while unheard are unknown: memory is not trusted until reloaded.
      loaded = false;
      load().catch((error: unknown) => options.onError?.(error));
    },
  });

  const prune = setInterval(() => {
    view.prune(now());
    purgeExpired(db).catch(() => undefined);
  }, options.pruneIntervalMs ?? 60_000);
  prune.unref();

  function tooOld(claims: UserClaims, nowSeconds: number): boolean {
    return claims.issuedAt !== null && claims.issuedAt < nowSeconds - maxTokenAgeSeconds;
  }

  async function admitFromDatabase(userId: string, claims: UserClaims): Promise<boolean> {
    if (!loaded && !closed) load().catch((error: unknown) => options.onError?.(error));
    const facts = await findSessionFacts(db, { userId, issuer: claims.issuer, subject: claims.subject, sessionId: claims.sessionId, sessionIssuer: sessionIssuerOf(claims) });
    const iat = issuedAtOf(claims);
    if (facts.status === 'suspended') throw suspended();
    if (facts.sessionRevoked) throw revoked();
    if (facts.userRevokedAt !== null && iat <= seconds(facts.userRevokedAt)) throw revoked();
    if (facts.identityRevokedAt !== null && iat <= seconds(facts.identityRevokedAt)) throw revoked();
    if (facts.userAtIssuerRevokedAt !== null && iat <= seconds(facts.userAtIssuerRevokedAt)) throw revoked();
    if (facts.status === 'deleted' || facts.status === null) {
      if (facts.deletedAt !== null && iat <= seconds(facts.deletedAt)) throw revoked();
      return false;
    }
    return true;
  }

  return {
    admit(userId, claims) {
      const nowMs = now();
      if (tooOld(claims, Math.floor(nowMs / 1000))) throw new AppError('UNAUTHENTICATED', { reason: 'token_too_old' });
      if (!loaded || !hearing()) return admitFromDatabase(userId, claims);
      const current = view;
      if (current.suspended.size !== 0 && current.suspended.has(userId)) throw suspended();
      const iat = issuedAtOf(claims);
      if (current.revocationCount !== 0) {
        const user = current.users.get(userId);
        if (user !== undefined && iat <= user.at) throw revoked();
        const identity = nestedGet(current.identities, claims.issuer, claims.subject);
        if (identity !== undefined && iat <= identity.at) throw revoked();
        const sessionIssuer = sessionIssuerOf(claims);
        const userAtIssuer = nestedGet(current.usersAtIssuer, sessionIssuer, userId);
        if (userAtIssuer !== undefined && iat <= userAtIssuer.at) throw revoked();
        if (claims.sessionId !== null && nestedGet(current.sessions, sessionIssuer, claims.sessionId) !== undefined) throw revoked();
      }
      if (current.deleted.size !== 0) {
        const deleted = current.deleted.get(userId);
        if (deleted !== undefined) {
          if (iat <= deleted.at) throw revoked();
          return false;
        }
      }
      return true;
    },
    get trusted() {
      return loaded && hearing();
    },
    isSuspended: (userId) => view.suspended.has(userId) || !loaded,
    async start() {
      try {
        await load();
      } catch (error) {
        // Not migrated yet, or unreachable: checks read the database until a load succeeds.
        options.onError?.(error);
      }
    },
    get counts() {
      return { revocations: view.revocationCount, suspended: view.suspended.size, deleted: view.deleted.size };
    },
    close() {
      closed = true;
      clearInterval(prune);
      unsubscribe();
    },
  };
}
