// Organization entity. Members are visible to members and to organization-reading services;
// the SSO binding, pending invitations and the audit log to OWNER and ADMIN.
import { canManageMembers, canSeeOrganization, canSeeSso, effectiveRole, roleHolder } from '../../domain/policy.js';
import type { MembershipRole, Principal } from '../../domain/types.js';
import type { Loaders } from '../loaders.js';
import type { OrganizationResolvers } from '../generated/resolvers-types.js';

/**
 * The caller's role in an organization, from the database; null when not a member. Through an
 * API key: its role holder's role now, capped by the key (policy.ts effectiveRole).
 */
export async function viewerRole(principal: Principal, loaders: Loaders, organizationId: string): Promise<MembershipRole | null> {
  const holder = roleHolder(principal);
  if (holder === null) return null;
  const memberships = await loaders.membershipsByUser.load(holder);
  return effectiveRole(principal, organizationId, memberships.find((m) => m.organizationId === organizationId)?.role ?? null);
}

/** The organizations the caller acts in (a role there through its credential); empty for services. */
export async function viewerOrganizations(principal: Principal, loaders: Loaders): Promise<Set<string>> {
  const holder = roleHolder(principal);
  if (holder === null) return new Set();
  const memberships = await loaders.membershipsByUser.load(holder);
  return new Set(memberships.filter((m) => effectiveRole(principal, m.organizationId, m.role) !== null).map((m) => m.organizationId));
}

export const Organization: OrganizationResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.organization.load(String((reference as { id?: unknown }).id ?? '')),
  async members(organization, _args, { principal, loaders }) {
    if (!canSeeOrganization(principal, await viewerRole(principal, loaders, organization.id))) return [];
    return loaders.membershipsByOrganization.load(organization.id);
  },
  async viewerMembership(organization, _args, { principal, loaders }) {
    if (principal.kind !== 'user') return null;
    if (principal.apiKey !== undefined && (await viewerRole(principal, loaders, organization.id)) === null) return null;
    const memberships = await loaders.membershipsByUser.load(principal.userId);
    return memberships.find((m) => m.organizationId === organization.id) ?? null;
  },
  async sso(organization, _args, { principal, loaders }) {
    if (!canSeeSso(principal, await viewerRole(principal, loaders, organization.id))) return null;
    return loaders.ssoByOrganization.load(organization.id);
  },
  async invitations(organization, _args, { principal, loaders }) {
    if (!canManageMembers(await viewerRole(principal, loaders, organization.id))) return [];
    return loaders.invitationsByOrganization.load(organization.id);
  },
  auditEvents: (organization, args, { principal, services }) => services.organizations.auditEvents(principal, organization.id, args),
};
