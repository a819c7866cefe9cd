// Who may see or do what: every authorization predicate, services' and resolvers' alike. Pure:
// decisions from the principal and facts loaded from the database (roles live in the database; a
// token's role/permissions claims grant users nothing).
import type { Invitation, MembershipRole, Principal, User } from './types.js';

export const SCOPES = {
  usersRead: 'users:read',
  usersWrite: 'users:write',
  usersAdmin: 'users:admin',
  organizationsRead: 'organizations:read',
  organizationsAdmin: 'organizations:admin',
  /** POST /oauth/introspect (callers.md). */
  tokensIntrospect: 'tokens:introspect',
} as const;

export function hasScope(principal: Principal, scope: string): boolean {
  return principal.kind === 'service' && principal.claims.scopes.has(scope);
}

/** POST /oauth/introspect: services holding tokens:introspect. */
export function canIntrospectTokens(principal: Principal): boolean {
  return hasScope(principal, SCOPES.tokensIntrospect);
}

export function isSelf(principal: Principal, userId: string): boolean {
  return principal.kind === 'user' && principal.userId === userId;
}

/** Services holding users:read, or users:admin (which implies it): `user(id)`, `userByEmail`. */
export function isUserReader(principal: Principal): boolean {
  return hasScope(principal, SCOPES.usersRead) || hasScope(principal, SCOPES.usersAdmin);
}

/** Services holding users:admin: `users`, suspension, reactivation, revocation, deletion of anyone. */
export function isUserAdmin(principal: Principal): boolean {
  return hasScope(principal, SCOPES.usersAdmin);
}

/** `ensureUser(input)`: services holding users:write create or find users by email. */
export function canEnsureUsers(principal: Principal): boolean {
  return hasScope(principal, SCOPES.usersWrite);
}

/**
 * `User.email`: the user, members of a shared organization, services holding users:read, and
 * the caller that supplied this very email in the request (`ensureUser(input)`: showing it back
 * discloses nothing).
 */
export function canSeeEmail(principal: Principal, userId: string, sharesOrganization: boolean, suppliedByCaller = false): boolean {
  return suppliedByCaller || isSelf(principal, userId) || isUserReader(principal) || (principal.kind === 'user' && sharesOrganization);
}

/** `User.status`, `createdAt`, `lastSeenAt`: the user and services holding users:read. */
export function canSeeAccount(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || isUserReader(principal);
}

/** `User.securityEvents`: the user and services holding users:admin. */
export function canSeeSecurityEvents(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || isUserAdmin(principal);
}

/**
 * `User.memberships` in full: the user and services holding organizations:read; other users see
 * only those in organizations they belong to themselves, other services none.
 */
export function canSeeAllMemberships(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || hasScope(principal, SCOPES.organizationsRead);
}

/** `User.identities`: the user alone. */
export function canSeeIdentities(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId);
}

/**
 * `addMember` and `setOrganizationSso`: services holding organizations:admin only. Users invite
 * (adding someone directly would read their email and, by email, create an account nobody
 * proved), and never bind domains, owners included (an owner claiming bigcorp.com would capture
 * bigcorp's sign-ins).
 */
export function isOrganizationAdmin(principal: Principal): boolean {
  return hasScope(principal, SCOPES.organizationsAdmin);
}

/** Members, and services holding organizations:read, see an organization's members. */
export function canSeeOrganization(principal: Principal, viewerRole: MembershipRole | null): boolean {
  return viewerRole !== null || isOrganizationReader(principal);
}

export function canManageMembers(viewerRole: MembershipRole | null): boolean {
  return viewerRole === 'OWNER' || viewerRole === 'ADMIN';
}

/** Why a membership change is refused (FORBIDDEN's `reason`), or null when it is allowed. */
export type MembershipRefusal = 'ROLE_REQUIRED' | 'OWNER_REQUIRED' | 'LAST_OWNER';

/** Services holding organizations:read (or :admin, which implies it) read any organization. */
export function isOrganizationReader(principal: Principal): boolean {
  return hasScope(principal, SCOPES.organizationsRead) || hasScope(principal, SCOPES.organizationsAdmin);
}

/** `Organization.sso`: OWNER and ADMIN, and organization-reading services. */
export function canSeeSso(principal: Principal, viewerRole: MembershipRole | null): boolean {
  return canManageMembers(viewerRole) || isOrganizationReader(principal);
}

/** `Organization.auditEvents`: OWNER and ADMIN only. */
export function canSeeAuditLog(viewerRole: MembershipRole | null): boolean {
  return canManageMembers(viewerRole);
}

/** Inviting a member: OWNER or ADMIN; only an OWNER invites an OWNER. */
export function inviteRefusal(actorRole: MembershipRole | null, role: MembershipRole): MembershipRefusal | null {
  if (!canManageMembers(actorRole)) return 'ROLE_REQUIRED';
  if (role === 'OWNER' && actorRole !== 'OWNER') return 'OWNER_REQUIRED';
  return null;
}

/**
 * Changing a member's role: OWNER or ADMIN; only an OWNER makes or unmakes an OWNER; the last
 * OWNER is never demoted. `owners` must be counted under the organization lock.
 */
export function roleChangeRefusal(
  actorRole: MembershipRole | null,
  from: MembershipRole,
  to: MembershipRole,
  owners: number,
): MembershipRefusal | null {
  if (!canManageMembers(actorRole)) return 'ROLE_REQUIRED';
  if ((from === 'OWNER' || to === 'OWNER') && actorRole !== 'OWNER') return 'OWNER_REQUIRED';
  if (from === 'OWNER' && to !== 'OWNER' && owners <= 1) return 'LAST_OWNER';
  return null;
}

/**
 * Removing a membership: the member leaving, or an OWNER/ADMIN; only an OWNER removes an
 * OWNER; the last OWNER is never removed.
 */
export function removalRefusal(
  actorRole: MembershipRole | null,
  target: MembershipRole,
  leaving: boolean,
  owners: number,
): MembershipRefusal | null {
  if (!leaving) {
    if (!canManageMembers(actorRole)) return 'ROLE_REQUIRED';
    if (target === 'OWNER' && actorRole !== 'OWNER') return 'OWNER_REQUIRED';
  }
  if (target === 'OWNER' && owners <= 1) return 'LAST_OWNER';
  return null;
}

/** Why an invitee's answer (or a revocation) is refused (FORBIDDEN's `reason`). */
export type InvitationRefusal = 'NOT_INVITEE' | 'INVITATION_EXPIRED' | 'INVITATION_NOT_PENDING';

/**
 * The invitee: a user whose VERIFIED email equals the invitation's. An unverified copy of the
 * address proves nothing (anyone can type it into an IdP profile).
 */
export function isInvitee(invitation: Invitation, user: User | null): boolean {
  return user !== null && user.emailVerified && user.email !== null && user.email === invitation.email;
}

/**
 * Accepting or declining: the invitee only (anyone else, and an unknown invitation, learns
 * nothing more than NOT_INVITEE); an expired or closed invitation is refused. Accepting an
 * accepted one, or declining a declined one, is allowed: the caller answers it idempotently.
 */
export function responseRefusal(invitation: Invitation | null, user: User | null, response: 'accept' | 'decline'): InvitationRefusal | null {
  if (invitation === null || !isInvitee(invitation, user)) return 'NOT_INVITEE';
  switch (invitation.status) {
    case 'PENDING':
      return null;
    case 'EXPIRED':
      return 'INVITATION_EXPIRED';
    case 'ACCEPTED':
      return response === 'accept' ? null : 'INVITATION_NOT_PENDING';
    case 'DECLINED':
      return response === 'decline' ? null : 'INVITATION_NOT_PENDING';
    default:
      return 'INVITATION_NOT_PENDING';
  }
}

/**
 * Revoking: OWNER or ADMIN of the invitation's organization (an unknown invitation answers as
 * if the caller were not: ROLE_REQUIRED). Pending, expired and revoked ones can be revoked;
 * an answered one cannot.
 */
export function revokeRefusal(actorRole: MembershipRole | null, invitation: Invitation | null): MembershipRefusal | InvitationRefusal | null {
  if (invitation === null || !canManageMembers(actorRole)) return 'ROLE_REQUIRED';
  if (invitation.status === 'ACCEPTED' || invitation.status === 'DECLINED') return 'INVITATION_NOT_PENDING';
  return null;
}
