// How the session views of one database object learn of lifecycle changes: this process's own
// commits (published right after them) and, on PostgreSQL, other replicas' commits (announced
// by migration 004's triggers, heard by userChanges.ts). Applying a change twice is harmless.
import type { Queryable } from './queryable.js';
import type { RevocationKind } from './revocations.js';

export type LifecycleChange =
  | { type: 'revocation'; kind: RevocationKind; issuer: string; subject: string; revokedAt: number; expiresAt: number }
  | { type: 'status'; userId: string; status: 'active' | 'suspended' | 'deleted'; deletedAt: number | null };

export interface LifecycleSubscriber {
  onChange(change: LifecycleChange): void;
  /** Listening (re)started: changes made meanwhile may have gone unheard; reload. */
  onRestart(): void;
}

const subscribers = new WeakMap<object, Set<LifecycleSubscriber>>();

function setOf(db: object): Set<LifecycleSubscriber> {
  let set = subscribers.get(db);
  if (set === undefined) {
    set = new Set();
    subscribers.set(db, set);
  }
  return set;
}

/** Subscribes to a database's lifecycle changes; returns the unsubscribe function. */
export function subscribeLifecycle(db: Queryable, subscriber: LifecycleSubscriber): () => void {
  const set = setOf(db);
  set.add(subscriber);
  return () => set.delete(subscriber);
}

export function publishLifecycle(db: object, change: LifecycleChange): void {
  for (const subscriber of subscribers.get(db) ?? []) subscriber.onChange(change);
}

export function publishRestart(db: object): void {
  for (const subscriber of subscribers.get(db) ?? []) subscriber.onRestart();
}

const KINDS = new Set(['user', 'identity', 'session']);
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
  if (value['type'] === 'status') {
    const { userId, status, deletedAt } = value;
    if (typeof userId !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) return null;
    return { type: 'status', userId, status: status as 'active', deletedAt: typeof deletedAt === 'number' ? deletedAt : null };
  }
  return null;
}
