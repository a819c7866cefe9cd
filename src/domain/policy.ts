// Who may see or do what. Pure: decisions from the principal and facts loaded from the
// database (roles live in the database; a token's role/permissions claims grant users nothing).
import type { MembershipRole, Principal } from './types.js';

export const SCOPES = {
  usersRead: 'users:read',
  usersWrite: 'users:write',
  organizationsRead: 'organizations:read',
  organizationsAdmin: 'organizations:admin',
} as const;

export function hasScope(principal: Principal, scope: string): boolean {
  return principal.kind === 'service' && principal.claims.scopes.has(scope);
}

export function isSelf(principal: Principal, userId: string): boolean {
  return principal.kind === 'user' && principal.userId === userId;
}

/** `User.email`: the user, members of a shared organization, services holding users:read. */
export function canSeeEmail(principal: Principal, userId: string, sharesOrganization: boolean): boolean {
  return isSelf(principal, userId) || hasScope(principal, SCOPES.usersRead) || (principal.kind === 'user' && sharesOrganization);
}

/** `User.identities`: the user alone. */
export function canSeeIdentities(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId);
}

/** Members, and services holding organizations:read, see an organization's members. */
export function canSeeOrganization(principal: Principal, viewerRole: MembershipRole | null): boolean {
  return viewerRole !== null || hasScope(principal, SCOPES.organizationsRead);
}

export function canManageMembers(viewerRole: MembershipRole | null): boolean {
  return viewerRole === 'OWNER' || viewerRole === 'ADMIN';
}
