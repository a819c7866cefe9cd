// Who may see or do what: every authorization predicate, services' and resolvers' alike. Pure:
// decisions from the principal and facts loaded from the database (roles live in the database; a
// token's role/permissions claims grant users nothing).
import { capRole } from './apiKeys.js';
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

/** What an operator's own user requests carry (api-keys.md, Operators): status from the database. */
export const OPERATOR_SCOPES: readonly string[] = [SCOPES.usersAdmin, SCOPES.organizationsAdmin];

/** A service's token scopes; a user holds only the operator scopes, and only while an operator. */
export function hasScope(principal: Principal, scope: string): boolean {
  if (principal.kind === 'service') return principal.claims.scopes.has(scope);
  if (principal.kind !== 'user') return false;
  // An operator's personal API key: only the admin scopes it was given (and its creator holds now).
  if (principal.apiKey !== undefined) return principal.apiKey.adminScopes.has(scope);
  return principal.operator === true && OPERATOR_SCOPES.includes(scope);
}

/** The scopes a user principal adds to their database roles (the coprocessor's scope string); a key's come from the key. */
export function operatorScopes(principal: Principal): readonly string[] {
  return principal.kind === 'user' && principal.apiKey === undefined && principal.operator === true ? OPERATOR_SCOPES : [];
}

/** `grantOperator` / `revokeOperator`: operators and services holding users:admin. */
export function canManageOperators(principal: Principal): boolean {
  return isUserAdmin(principal);
}

/** `User.isOperator`: the user and services holding users:read (as `status`). */
export function canSeeOperatorStatus(principal: Principal, userId: string): boolean {
  return canSeeAccount(principal, userId);
}

/** `userByIdentity`: services holding users:read (or users:admin, which implies it), operators. */
export function canLookUpIdentities(principal: Principal): boolean {
  return isUserReader(principal);
}

/** POST /oauth/introspect: services holding tokens:introspect. */
export function canIntrospectTokens(principal: Principal): boolean {
  return hasScope(principal, SCOPES.tokensIntrospect);
}

/** The user themselves; through a personal API key only when it holds the scope `user`. */
export function isSelf(principal: Principal, userId: string): boolean {
  return principal.kind === 'user' && principal.userId === userId && (principal.apiKey === undefined || principal.apiKey.user);
}

/** The user whose memberships give the caller its roles: the user, or an organization key's creator; null for others. */
export function roleHolder(principal: Principal): string | null {
  if (principal.kind === 'user') return principal.userId;
  if (principal.kind === 'api_key') return principal.creatorId;
  return null;
}

/**
 * The caller's role in an organization as its credential lets it act, from its role holder's
 * stored role now: a user's own; through an API key capped by the key (`read` → MEMBER, `write` →
 * ADMIN; no scope for it → none); an organization key has none outside its organization.
 */
export function effectiveRole(principal: Principal, organizationId: string, stored: MembershipRole | null): MembershipRole | null {
  if (principal.kind === 'user') return principal.apiKey === undefined ? stored : capRole(stored, principal.apiKey.organizations.get(organizationId));
  if (principal.kind === 'api_key') return principal.organizationId === organizationId ? capRole(stored, principal.access) : null;
  return null;
}

/** Whether the caller reaches other users' organizations only through an API key's scopes. */
export function isKeyLimited(principal: Principal): boolean {
  return principal.kind === 'api_key' || (principal.kind === 'user' && principal.apiKey !== undefined);
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
  return suppliedByCaller || isSelf(principal, userId) || isUserReader(principal) || (roleHolder(principal) !== null && sharesOrganization);
}

/** `User.status`, `createdAt`, `lastSeenAt`: the user and services holding users:read. */
export function canSeeAccount(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || isUserReader(principal);
}

/** `User.securityEvents`: the user and services holding users:admin. */
export function canSeeSecurityEvents(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || isUserAdmin(principal);
}

/** `User.sessions`: the user and services holding users:admin; anyone else FORBIDDEN. */
export function canSeeSessions(principal: Principal, userId: string): boolean {
  return isSelf(principal, userId) || isUserAdmin(principal);
}

/**
 * `revokeSession`: the session's user and services holding users:admin. Anyone else is answered
 * as for an unknown session (NOT_FOUND), so that session ids reveal nothing.
 */
export function canRevokeSession(principal: Principal, sessionUserId: string): boolean {
  return isSelf(principal, sessionUserId) || isUserAdmin(principal);
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
export type MembershipRefusal = 'role_required' | 'owner_required' | 'LAST_OWNER';

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
  if (!canManageMembers(actorRole)) return 'role_required';
  if (role === 'OWNER' && actorRole !== 'OWNER') return 'owner_required';
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
  if (!canManageMembers(actorRole)) return 'role_required';
  if ((from === 'OWNER' || to === 'OWNER') && actorRole !== 'OWNER') return 'owner_required';
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
    if (!canManageMembers(actorRole)) return 'role_required';
    if (target === 'OWNER' && actorRole !== 'OWNER') return 'owner_required';
  }
  if (target === 'OWNER' && owners <= 1) return 'LAST_OWNER';
  return null;
}

/** Why an invitee's answer (or a revocation) is refused (FORBIDDEN's `reason`). */
export type InvitationRefusal = 'not_invitee' | 'invitation_expired' | 'invitation_not_pending';

/**
 * The invitee: a user whose VERIFIED email equals the invitation's. An unverified copy of the
 * address proves nothing (anyone can type it into an IdP profile).
 */
export function isInvitee(invitation: Invitation, user: User | null): boolean {
  return user !== null && user.emailVerified && user.email !== null && user.email === invitation.email;
}

/**
 * Accepting or declining: the invitee only (anyone else, and an unknown invitation, learns
 * nothing more than not_invitee); an expired or closed invitation is refused. Accepting an
 * accepted one, or declining a declined one, is allowed: the caller answers it idempotently.
 */
export function responseRefusal(invitation: Invitation | null, user: User | null, response: 'accept' | 'decline'): InvitationRefusal | null {
  if (invitation === null || !isInvitee(invitation, user)) return 'not_invitee';
  switch (invitation.status) {
    case 'PENDING':
      return null;
    case 'EXPIRED':
      return 'invitation_expired';
    case 'ACCEPTED':
      return response === 'accept' ? null : 'invitation_not_pending';
    case 'DECLINED':
      return response === 'decline' ? null : 'invitation_not_pending';
    default:
      return 'invitation_not_pending';
  }
}

/**
 * Revoking: OWNER or ADMIN of the invitation's organization (an unknown invitation answers as
 * if the caller were not: role_required). Pending, expired and revoked ones can be revoked;
 * an answered one cannot.
 */
export function revokeRefusal(actorRole: MembershipRole | null, invitation: Invitation | null): MembershipRefusal | InvitationRefusal | null {
  if (invitation === null || !canManageMembers(actorRole)) return 'role_required';
  if (invitation.status === 'ACCEPTED' || invitation.status === 'DECLINED') return 'invitation_not_pending';
  return null;
}
