// API keys' rules (api-keys.md): which scopes a key may ask for, what it may do now (never more
// than its creator now), whether a presented key is admitted, and the scope string it carries in
// the Router coprocessor and platform tokens. Pure: facts come from the caller.
import type { KeyAccess, MembershipRole } from './types.js';

export const USER_SCOPE = 'user';
export const ADMIN_SCOPES: ReadonlySet<string> = new Set(['users:admin', 'organizations:admin']);
export const MAX_KEY_NAME_LENGTH = 100;
/** Keys not revoked, per user (personal) and per organization. */
export const MAX_ACTIVE_KEYS = 100;

const ORG_SCOPE = /^org:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}):(read|write)$/;

export interface KeyScopes {
  user: boolean;
  organizations: Map<string, KeyAccess>;
  admin: Set<string>;
}

/** Parsed scopes; null when one is not a scope a key can carry (`user`, `org:<uuid>:read|write`, the admin scopes). */
export function parseKeyScopes(scopes: readonly string[]): KeyScopes | null {
  const parsed: KeyScopes = { user: false, organizations: new Map(), admin: new Set() };
  for (const scope of scopes) {
    if (scope === USER_SCOPE) parsed.user = true;
    else if (ADMIN_SCOPES.has(scope)) parsed.admin.add(scope);
    else {
      const match = ORG_SCOPE.exec(scope);
      if (match === null) return null;
      const id = match[1]!.toLowerCase();
      // `write` implies `read`.
      if (parsed.organizations.get(id) !== 'write') parsed.organizations.set(id, match[2] as KeyAccess);
    }
  }
  return parsed;
}

/** The stored form: one entry per organization, sorted. */
export function formatKeyScopes(scopes: KeyScopes): string[] {
  const out: string[] = [];
  if (scopes.user) out.push(USER_SCOPE);
  for (const [id, access] of [...scopes.organizations].sort(([a], [b]) => a.localeCompare(b))) out.push(`org:${id}:${access}`);
  out.push(...[...scopes.admin].sort());
  return out;
}

const RANK: Record<MembershipRole, number> = { MEMBER: 1, ADMIN: 2, OWNER: 3 };

/** The role a key's access lets its holder act with: `read` → MEMBER, `write` → ADMIN (never OWNER). */
export const ACCESS_CAP: Record<KeyAccess, MembershipRole> = { read: 'MEMBER', write: 'ADMIN' };

/** The lower of a stored role and a key's cap; null without either. */
export function capRole(role: MembershipRole | null, access: KeyAccess | undefined): MembershipRole | null {
  if (role === null || access === undefined) return null;
  const cap = ACCESS_CAP[access];
  return RANK[role] <= RANK[cap] ? role : cap;
}

/** The access a role may hand to a key (OWNER/ADMIN: write; MEMBER: read). */
export function accessOfRole(role: MembershipRole): KeyAccess {
  return role === 'MEMBER' ? 'read' : 'write';
}

/** What the creator holds now, for a creation check. */
export interface CreatorFacts {
  roles: ReadonlyMap<string, MembershipRole>;
  isOperator: boolean;
}

export type ScopeRefusal = 'scope_not_held' | 'organization_key_scope';

/**
 * Why the scopes asked for a new key are refused (FORBIDDEN), or null. A personal key may carry
 * `user`, organizations the creator belongs to (`write` only as OWNER/ADMIN) and, for operators,
 * the admin scopes. An organization key (`organizationId`): only that organization's read or
 * write, by its OWNER or ADMIN. `within`: when the creator acts through a key, its reach too.
 */
export function scopeRefusal(scopes: KeyScopes, organizationId: string | null, creator: CreatorFacts, within?: KeyScopes): ScopeRefusal | null {
  if (organizationId !== null) {
    const role = creator.roles.get(organizationId);
    if (role !== 'OWNER' && role !== 'ADMIN') return 'scope_not_held';
    if (scopes.user || scopes.admin.size > 0 || scopes.organizations.size !== 1 || !scopes.organizations.has(organizationId)) return 'organization_key_scope';
  } else {
    if (scopes.admin.size > 0 && !creator.isOperator) return 'scope_not_held';
  }
  for (const [id, access] of scopes.organizations) {
    const role = creator.roles.get(id);
    if (role === undefined || (access === 'write' && accessOfRole(role) !== 'write')) return 'scope_not_held';
    const reach = within?.organizations.get(id);
    if (within !== undefined && (reach === undefined || (access === 'write' && reach !== 'write'))) return 'scope_not_held';
  }
  if (within !== undefined && [...scopes.admin].some((s) => !within.admin.has(s))) return 'scope_not_held';
  return null;
}

/**
 * What a platform token minted from a personal key still carries on /graphql: its `scope` claim
 * read back (`org:<id>:MEMBER` → read, ADMIN/OWNER → write). Admin scopes are dropped: operator
 * status is read from the database, never from a token.
 */
export function grantFromScopes(scopes: readonly string[], keyId: string, expiresAt: number | null): { keyId: string; user: boolean; organizations: Map<string, KeyAccess>; adminScopes: Set<string>; expiresAt: number | null } {
  const organizations = new Map<string, KeyAccess>();
  for (const scope of scopes) {
    const match = /^org:([0-9a-fA-F-]{36}):(OWNER|ADMIN|MEMBER)$/.exec(scope);
    if (match !== null) organizations.set(match[1]!.toLowerCase(), match[2] === 'MEMBER' ? 'read' : 'write');
  }
  return { keyId, user: scopes.includes(USER_SCOPE), organizations, adminScopes: new Set(), expiresAt };
}

/** The facts about a presented key's row and its creator. Times in ms. */
export interface KeyFacts {
  revokedAt: number | null;
  expiresAt: number | null;
  creatorStatus: 'active' | 'suspended' | 'deleted';
}

/**
 * - `admitted`;
 * - `revoked` (revoked, or its creator deleted), `expired`: 401 UNAUTHENTICATED;
 * - `suspended`: its creator is suspended, 403 USER_SUSPENDED.
 * Unknown keys and wrong secrets never get this far (401).
 */
export type KeyAdmission = 'admitted' | 'revoked' | 'expired' | 'suspended';

export function keyAdmission(facts: KeyFacts, nowMs: number): KeyAdmission {
  if (facts.revokedAt !== null || facts.creatorStatus === 'deleted') return 'revoked';
  if (facts.expiresAt !== null && facts.expiresAt <= nowMs) return 'expired';
  if (facts.creatorStatus === 'suspended') return 'suspended';
  return 'admitted';
}

/**
 * The usual scope string (Router coprocessor, platform tokens) of a key: `user` when it holds
 * it, `org:<id>:<role>` per organization with the role capped by the key and by the creator's
 * role now (`roles`), and the admin scopes it holds now.
 */
export function keyScopeString(reach: { user: boolean; organizations: ReadonlyMap<string, KeyAccess>; adminScopes: ReadonlySet<string> }, roles: ReadonlyMap<string, MembershipRole>): string[] {
  const out: string[] = reach.user ? [USER_SCOPE] : [];
  for (const [id, access] of reach.organizations) {
    const role = capRole(roles.get(id) ?? null, access);
    if (role !== null) out.push(`org:${id}:${role}`);
  }
  out.push(...reach.adminScopes);
  return out;
}
