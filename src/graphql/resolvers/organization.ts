// Organization entity. Members are visible to members and to organization-reading services;
// the SSO binding, pending invitations and the audit log to OWNER and ADMIN.
import { canManageMembers, canSeeOrganization, canSeeSso } from '../../domain/policy.js';
import type { MembershipRole, Principal } from '../../domain/types.js';
import type { Loaders } from '../loaders.js';
import type { OrganizationResolvers } from '../generated/resolvers-types.js';

/** The caller's role in an organization, from the database; null when not a member. */
export async function viewerRole(principal: Principal, loaders: Loaders, organizationId: string): Promise<MembershipRole | null> {
  if (principal.kind !== 'user') return null;
  const memberships = await loaders.membershipsByUser.load(principal.userId);
  return memberships.find((m) => m.organizationId === organizationId)?.role ?? null;
}

export const Organization: OrganizationResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.organization.load(String((reference as { id?: unknown }).id ?? '')),
  async members(organization, _args, { principal, loaders }) {
    if (!canSeeOrganization(principal, await viewerRole(principal, loaders, organization.id))) return [];
    return loaders.membershipsByOrganization.load(organization.id);
  },
  async viewerMembership(organization, _args, { principal, loaders }) {
    if (principal.kind !== 'user') return null;
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
