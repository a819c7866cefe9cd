// The process's lifecycle feed: one object, built by the composition root, that tells the session
// view of every change this process commits and, on PostgreSQL, of those other replicas announce
// (migration 004, heard by userChanges.ts). Applying a change twice is harmless.
import type { RevocationKind } from './revocations.js';

export type LifecycleChange =
  | { type: 'revocation'; kind: RevocationKind; issuer: string; subject: string; revokedAt: number; expiresAt: number }
  | { type: 'status'; userId: string; status: 'active' | 'suspended' | 'deleted'; deletedAt: number | null }
  /** An SSO binding or its domains changed (migration 012): cached bindings are dropped. */
  | { type: 'sso' }
  /** An API key revoked or removed (migration 010): every replica forgets it. */
  | { type: 'api_key'; publicId: string; createdBy: string };

export interface LifecycleSubscriber {
  onChange(change: LifecycleChange): void;
  /** Listening (re)started: changes made meanwhile may have gone unheard; reload. */
  onRestart(): void;
}

export interface LifecycleFeed {
  /** Returns the unsubscribe function. */
  subscribe(subscriber: LifecycleSubscriber): () => void;
  /** A change committed: by this process (right after its commit) or by another replica (its announcement). */
  publish(change: LifecycleChange): void;
  /** The database's announcements are heard again after a gap: subscribers reload. */
  restart(): void;
}

export function createLifecycleFeed(): LifecycleFeed {
  const subscribers = new Set<LifecycleSubscriber>();
  return {
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    publish(change) {
      for (const subscriber of subscribers) subscriber.onChange(change);
    },
    restart() {
      for (const subscriber of subscribers) subscriber.onRestart();
    },
  };
}

const KINDS = new Set(['user', 'identity', 'session', 'organization']);
const STATUSES = new Set(['active', 'suspended', 'deleted']);

/** An announcement's JSON (migration 004), or null when it is not one we understand. */
export function parseLifecycleAnnouncement(payload: string): LifecycleChange | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (value['type'] === 'revocation') {
    const { kind, issuer, subject, revokedAt, expiresAt } = value;
    if (typeof kind !== 'string' || !KINDS.has(kind) || typeof issuer !== 'string' || typeof subject !== 'string') return null;
    if (typeof revokedAt !== 'number' || typeof expiresAt !== 'number') return null;
    return { type: 'revocation', kind: kind as RevocationKind, issuer, subject, revokedAt, expiresAt };
  }
  if (value['type'] === 'sso') return { type: 'sso' };
  if (value['type'] === 'status') {
    const { userId, status, deletedAt } = value;
    if (typeof userId !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) return null;
    return { type: 'status', userId, status: status as 'active', deletedAt: typeof deletedAt === 'number' ? deletedAt : null };
  }
  if (value['type'] === 'api_key') {
    const { publicId, createdBy } = value;
    if (typeof publicId !== 'string' || typeof createdBy !== 'string') return null;
    return { type: 'api_key', publicId, createdBy };
  }
  return null;
}
