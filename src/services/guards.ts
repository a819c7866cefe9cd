// What every organization change checks first: who acts (a user, for the audit log), its
// input, the refusals with their public messages, and the organization lock with the caller's role.
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { effectiveRole, roleHolder, type InvitationRefusal, type MembershipRefusal } from '../domain/policy.js';
import type { Actor, MembershipRole, Principal } from '../domain/types.js';
import { findMembership } from '../db/memberships.js';
import { lockOrganization } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { isValidDomain, normalizeDomain } from '../domain/email.js';
import { fitName, MAX_ORGANIZATION_NAME_LENGTH } from '../domain/names.js';

const MAX_DOMAINS = 100;

/** Who did a change: under impersonation, the impersonated user with the actor alongside. */
export function actorOf(principal: Principal): Actor {
  if (principal.kind === 'user') return { type: 'user', id: principal.userId, impersonator: principal.impersonator };
  if (principal.kind === 'service') return { type: 'service', id: principal.claims.subject, impersonator: null };
  // An organization's API key: a machine acting for the organization, named by the key's id.
  if (principal.kind === 'api_key') return { type: 'service', id: `api_key:${principal.keyId}`, impersonator: null };
  return { type: 'system', id: null, impersonator: null };
}

/**
 * A user acting on their own account: through a personal API key only with the scope `user`.
 * @throws UNAUTHENTICATED (anonymous), FORBIDDEN user_required (a service), missing_scope (a key without `user`)
 */
export function requireSelfUser(principal: Principal): Extract<Principal, { kind: 'user' }> {
  const user = requireUser(principal);
  if (user.apiKey !== undefined && !user.apiKey.user) throw new AppError('FORBIDDEN', { message: 'This API key lacks the scope user.', reason: 'missing_scope' });
  return user;
}

/**
 * Who acts on an organization's members: a user, or an organization's API key. Returns the user
 * whose role counts (the key's creator for an organization key), `self` when it is the user.
 * @throws UNAUTHENTICATED (anonymous), FORBIDDEN user_required (a service)
 */
export function requireMemberActor(principal: Principal): { holderId: string; self: boolean } {
  if (principal.kind === 'api_key') return { holderId: principal.creatorId, self: false };
  const user = requireUser(principal);
  return { holderId: user.userId, self: true };
}

/** @throws UNAUTHENTICATED (anonymous), FORBIDDEN user_required (a service) */
export function requireUser(principal: Principal): Extract<Principal, { kind: 'user' }> {
  if (principal.kind === 'anonymous') throw authenticationRequired();
  if (principal.kind !== 'user') {
    throw new AppError('FORBIDDEN', { message: 'Only a user can do this; roles live in memberships.', reason: 'user_required' });
  }
  return principal;
}

const REFUSAL_MESSAGE: Record<MembershipRefusal | InvitationRefusal, string> = {
  role_required: 'Only an OWNER or ADMIN of this organization can manage its members.',
  owner_required: 'Only an OWNER can make, change or remove an OWNER.',
  LAST_OWNER: 'An organization keeps at least one OWNER: the last one can be neither demoted nor removed.',
  not_invitee: 'Only the invitee, signed in with the invited email verified, can answer this invitation.',
  invitation_expired: 'This invitation has expired; ask for a new one.',
  invitation_not_pending: 'This invitation has already been answered or revoked.',
};

/** @throws FORBIDDEN with `reason` unless it is null. */
export function refuse(reason: MembershipRefusal | InvitationRefusal | null): void {
  if (reason !== null) throw new AppError('FORBIDDEN', { message: REFUSAL_MESSAGE[reason], reason });
}

/** An organization's name as given: trimmed, not blank, not cut. @throws BAD_USER_INPUT (invalid_name) */
export function requireOrganizationName(raw: string): string {
  const { name, cut } = fitName(raw, MAX_ORGANIZATION_NAME_LENGTH);
  if (name === null) throw badInput('name must not be blank.', 'invalid_name');
  if (cut) throw badInput(`name is longer than ${MAX_ORGANIZATION_NAME_LENGTH} characters.`, 'invalid_name');
  return name;
}

export function optionalText(raw: string | null | undefined): string | null {
  const text = raw?.trim() ?? '';
  return text === '' ? null : text;
}

/** SSO domains: normalised, valid, deduplicated, sorted. @throws BAD_USER_INPUT */
export function cleanDomains(raw: readonly string[]): string[] {
  if (raw.length > MAX_DOMAINS) throw badInput(`At most ${MAX_DOMAINS} domains.`, 'invalid_domain');
  const domains = new Set<string>();
  for (const entry of raw) {
    const domain = normalizeDomain(entry);
    if (!isValidDomain(domain)) throw badInput('A domain is not a valid DNS name (e.g. bigcorp.com).', 'invalid_domain');
    domains.add(domain);
  }
  return [...domains].sort();
}

export function organizationNotFound(): AppError {
  return new AppError('NOT_FOUND', { message: 'No such organization.', reason: 'organization_not_found' });
}

/**
 * Locks the organization (NOT_FOUND when unknown) and reads the caller's current role (through an
 * API key, capped by it: policy.ts effectiveRole).
 */
export async function lockForChange(tx: Queryable, organizationId: string, principal: Principal): Promise<MembershipRole | null> {
  const organization = await lockOrganization(tx, organizationId);
  if (organization === null) throw organizationNotFound();
  return currentRole(tx, organizationId, principal);
}

/** The caller's role in an organization now, as its credential lets it act; null when none. */
export async function currentRole(q: Queryable, organizationId: string, principal: Principal): Promise<MembershipRole | null> {
  const holder = roleHolder(principal);
  if (holder === null) return null;
  return effectiveRole(principal, organizationId, (await findMembership(q, organizationId, holder))?.role ?? null);
}
