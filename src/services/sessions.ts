// The facts every user principal is admitted on (domain/admission.ts decides): suspended users,
// revocations and deletions, from an in-memory view the lifecycle feed keeps current; while the
// view cannot be trusted each check reads the database instead (503 when it cannot).
import { admission, NOTHING_AGAINST, tokenTooOld, type Admission, type AdmissionFacts } from '../domain/admission.js';
import type { UserClaims } from '../domain/types.js';
import type { LifecycleChange, LifecycleFeed } from '../db/lifecycleFeed.js';
import { findDeletedSince, findSuspendedUserIds } from '../db/lifecycle.js';
import type { Database } from '../db/queryable.js';
import { findLiveRevocations, findSessionFacts, organizationSubject, purgeExpired, type Revocation } from '../db/revocations.js';

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
 * recently deleted users; the warm path is a few map lookups. Both feeds answer with the one
 * decision, `admission(facts, claims)`.
 */
export interface SessionPolicy {
  /** The decision for the user `userId` resolved from these claims, from memory; undefined while memory cannot be trusted. */
  admitFromMemory(userId: string, claims: UserClaims): Admission | undefined;
  /** The same, from the database when memory cannot answer. @throws AppError IDENTITY_STORE_UNAVAILABLE */
  admit(userId: string, claims: UserClaims): Promise<Admission>;
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
export const sessionIssuerOf = (claims: UserClaims): string => claims.idpIssuer ?? claims.issuer;

/** The later of a revocation time and a horizon's (null: none). */
const latest = (at: number | null, horizon: Horizon | undefined): number | null => (horizon === undefined || (at !== null && at >= horizon.at) ? at : horizon.at);

/**
 * Seconds a token's issue time is compared with, exactly: an integer `iat` compares as with the
 * floor (a revocation at 12.7 s covers tokens of second 12), and an opaque session's first
 * acceptance (millisecond precision) accepted at 12.9 s is not covered.
 */
const seconds = (ms: number) => ms / 1000;

class View {
  readonly users = new Map<string, Horizon>();
  /** IdP issuer → user id: that user's sign-ins at that IdP (a logout naming only the identity). */
  readonly usersAtIssuer = new Map<string, Map<string, Horizon>>();
  readonly identities = new Map<string, Map<string, Horizon>>();
  readonly sessions = new Map<string, Map<string, Horizon>>();
  /** Token `iss` → organizationSubject(user, org_id): memberships the IdP removed. */
  readonly organizations = new Map<string, Map<string, Horizon>>();
  readonly suspended = new Set<string>();
  readonly deleted = new Map<string, Horizon>();
  revocationCount = 0;

  constructor(readonly retentionMs: number) {}

  apply(change: LifecycleChange): void {
    // API keys are the key view's (services/apiKeyAuth.ts).
    if (change.type === 'api_key') return;
    if (change.type === 'revocation') {
      this.addRevocation(change);
      return;
    }
    if (change.type === 'sso') return; // SSO bindings: ssoEmailTrust.ts's, not a session fact
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
    else if (revocation.kind === 'organization') nestedBump(this.organizations, revocation.issuer, revocation.subject, at, revocation.expiresAt);
    else nestedBump(revocation.kind === 'identity' ? this.identities : this.sessions, revocation.issuer, revocation.subject, at, revocation.expiresAt);
  }

  count(): number {
    let n = this.users.size;
    for (const nested of [this.usersAtIssuer, this.identities, this.sessions, this.organizations]) for (const inner of nested.values()) n += inner.size;
    return n;
  }

  prune(nowMs: number): void {
    const drop = (map: Map<string, Horizon>) => {
      for (const [key, horizon] of map) if (horizon.expiresAt <= nowMs || horizon.at * 1000 < nowMs - this.retentionMs) map.delete(key);
    };
    drop(this.users);
    drop(this.deleted);
    for (const nested of [this.usersAtIssuer, this.identities, this.sessions, this.organizations]) {
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

  /** What memory holds against this token; the shared NOTHING_AGAINST when nothing (no allocation). */
  function factsInMemory(current: View, userId: string, claims: UserClaims): AdmissionFacts {
    const suspended = current.suspended.size !== 0 && current.suspended.has(userId);
    let revokedThrough: number | null = null;
    let sessionRevoked = false;
    if (current.revocationCount !== 0) {
      const sessionIssuer = sessionIssuerOf(claims);
      revokedThrough = latest(latest(latest(null, current.users.get(userId)), nestedGet(current.identities, claims.issuer, claims.subject)), nestedGet(current.usersAtIssuer, sessionIssuer, userId));
      sessionRevoked = claims.sessionId !== null && nestedGet(current.sessions, sessionIssuer, claims.sessionId) !== undefined;
      const removed = claims.externalOrganizationId === null ? undefined : current.organizations.get(claims.issuer);
      if (removed !== undefined) revokedThrough = latest(revokedThrough, removed.get(organizationSubject(userId, claims.externalOrganizationId!)));
    }
    const deleted = current.deleted.size === 0 ? undefined : current.deleted.get(userId);
    if (!suspended && revokedThrough === null && !sessionRevoked && deleted === undefined) return NOTHING_AGAINST;
    return { status: suspended ? 'suspended' : deleted !== undefined ? 'deleted' : 'active', deletedAt: deleted?.at ?? null, revokedThrough, sessionRevoked };
  }

  async function factsFromDatabase(userId: string, claims: UserClaims): Promise<AdmissionFacts> {
    if (!loaded && !closed) load().catch((error: unknown) => options.onError?.(error));
    const found = await findSessionFacts(db, {
      userId,
      issuer: claims.issuer,
      subject: claims.subject,
      sessionId: claims.sessionId,
      sessionIssuer: sessionIssuerOf(claims),
      externalOrganizationId: claims.externalOrganizationId,
    });
    const revocations = [found.userRevokedAt, found.identityRevokedAt, found.userAtIssuerRevokedAt, found.organizationRevokedAt].filter((at) => at !== null);
    return {
      status: found.status ?? 'deleted',
      deletedAt: found.deletedAt === null ? null : seconds(found.deletedAt),
      revokedThrough: revocations.length === 0 ? null : seconds(Math.max(...revocations)),
      sessionRevoked: found.sessionRevoked,
    };
  }

  function admitFromMemory(userId: string, claims: UserClaims): Admission | undefined {
    if (!loaded || !hearing()) return undefined;
    return admission(factsInMemory(view, userId, claims), claims, Math.floor(now() / 1000), maxTokenAgeSeconds);
  }

  return {
    admitFromMemory,
    async admit(userId, claims) {
      const remembered = admitFromMemory(userId, claims);
      if (remembered !== undefined) return remembered;
      const nowSeconds = Math.floor(now() / 1000);
      // Refused on its age alone: the database is not asked.
      if (tokenTooOld(claims, nowSeconds, maxTokenAgeSeconds)) return 'token_too_old';
      return admission(await factsFromDatabase(userId, claims), claims, nowSeconds, maxTokenAgeSeconds);
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
