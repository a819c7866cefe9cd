// A user's scopes, from this database only: `user`, then `org:<organizationId>:<role>` per
// membership. One implementation for the Router coprocessor's claims and platform tokens; an API
// key's are narrowed to the key and capped by its creator's roles now (domain/apiKeys.ts).
import { keyScopeString } from '../domain/apiKeys.js';
import type { Principal } from '../domain/types.js';
import { findMembershipsByUserIds } from '../db/memberships.js';
import type { Queryable } from '../db/queryable.js';

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
