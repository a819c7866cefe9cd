// A user's scopes, from this database only: `user`, then `org:<organizationId>:<role>` per
// membership. One implementation for the Router coprocessor's claims, platform tokens and token
// introspection; `createUserScopes` keeps them in memory as the user store keeps rows. An API
// key's are narrowed to the key and capped by its creator's roles now (domain/apiKeys.ts).
import { LRUCache } from 'lru-cache';
import { keyScopeString } from '../domain/apiKeys.js';
import { operatorScopes } from '../domain/policy.js';
import { findMembershipsByUserIds } from '../db/memberships.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { MembershipRole, Principal } from '../domain/types.js';

export async function findUserScopes(db: Queryable, userId: string): Promise<string[]> {
  const memberships = await findMembershipsByUserIds(db, [userId]);
  return ['user', ...memberships.map((m) => `org:${m.organizationId}:${m.role}`)];
}

/** The scopes of a user or an API key (personal or an organization's), as the coprocessor and platform tokens carry them. */
export async function findKeyAwareScopes(db: Queryable, principal: Extract<Principal, { kind: 'user' | 'api_key' }>): Promise<string[]> {
  if (principal.kind === 'user' && principal.apiKey === undefined) return findUserScopes(db, principal.userId);
  const holder = principal.kind === 'user' ? principal.userId : principal.creatorId;
  const roles = new Map((await findMembershipsByUserIds(db, [holder])).map((m) => [m.organizationId, m.role]));
  if (principal.kind === 'user') return keyScopeString(principal.apiKey!, roles);
  return keyScopeString({ user: false, organizations: new Map([[principal.organizationId, principal.access]]), adminScopes: new Set() }, roles);
}

/** A user's scopes: from memory while current (no promise), else read. */
export interface UserScopes {
  (userId: string): readonly string[] | Promise<readonly string[]>;
}

/**
 * Scopes kept per user under a version that every write this process makes (db/writeClock.ts) and
 * every change another replica announces (PostgreSQL: memberships are announced, migration 012)
 * moves on, so a kept answer is never older than a membership change; nothing is kept while the
 * database cannot hear announcements.
 */
export function createUserScopes(db: Database, maxEntries = 10_000): UserScopes & { close(): void } {
  const changes = db.userChanges;
  const clock = db.writes;
  let heard = 0;
  const unsubscribe = changes?.onMembershipChange?.(() => (heard += 1));
  // Another process's membership changes must be heard before anything is kept (PGlite: no other process).
  const hears = changes === undefined || unsubscribe !== undefined;
  /** Memory may answer: no write of ours running, and other processes' changes heard. */
  const trusted = () => clock.writing === 0 && hears && (changes === undefined || changes.listening);
  const kept = new LRUCache<string, { scopes: readonly string[]; clock: number; heard: number }>({ max: maxEntries });

  async function load(userId: string, clockAt: number, heardAt: number): Promise<readonly string[]> {
    const scopes = Object.freeze(await findUserScopes(db, userId));
    if (trusted() && clock.version === clockAt && heard === heardAt) {
      kept.set(userId, { scopes, clock: clockAt, heard: heardAt });
    }
    return scopes;
  }

  const scopesOf = (userId: string): readonly string[] | Promise<readonly string[]> => {
    const hit = kept.get(userId);
    if (hit !== undefined && hit.clock === clock.version && hit.heard === heard && trusted()) return hit.scopes;
    return load(userId, clock.version, heard);
  };
  return Object.assign(scopesOf, { close: () => unsubscribe?.() });
}

/**
 * The scope string the Router coprocessor puts in its claims, and token introspection answers:
 * a service keeps its token's scopes; a user's come from this database, cut to the token's own
 * when the token narrows them (a platform token minted with fewer).
 */
export function principalScope(scopes: UserScopes, principal: Exclude<Principal, { kind: 'anonymous' }>): string | Promise<string> {
  if (principal.kind === 'service') return [...principal.claims.scopes].join(' ');
  if (principal.kind === 'api_key' || principal.apiKey !== undefined) return keyScope(scopes, principal);
  const narrowing = principal.claims.tokenScopes;
  // An operator's own requests carry the operator scopes too (policy.ts), read at authentication.
  const extra = operatorScopes(principal);
  const build = (held: readonly string[]): string => {
    const all = extra.length === 0 ? held : [...held, ...extra];
    return (narrowing === undefined ? all : all.filter((s) => narrowing.includes(s))).join(' ');
  };
  const held = scopes(principal.userId);
  return held instanceof Promise ? held.then(build) : build(held);
}

/** An API key's scope string: the key's reach, each role capped by its creator's role now (from `scopes`). */
async function keyScope(scopes: UserScopes, principal: Extract<Principal, { kind: 'user' | 'api_key' }>): Promise<string> {
  const holder = principal.kind === 'user' ? principal.userId : principal.creatorId;
  const roles = new Map<string, MembershipRole>();
  for (const scope of await scopes(holder)) {
    const [kind, id, role] = scope.split(':');
    if (kind === 'org' && id !== undefined && role !== undefined) roles.set(id, role as MembershipRole);
  }
  const reach =
    principal.kind === 'user'
      ? principal.apiKey!
      : { user: false, organizations: new Map([[principal.organizationId, principal.access]]), adminScopes: new Set<string>() };
  return keyScopeString(reach, roles).join(' ');
}
