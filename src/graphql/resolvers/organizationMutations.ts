// Root mutations of organizations: thin wrappers over the organization service, which holds
// the rules; here only per-request loader caches are refreshed after a change.
import type { MutationResolvers } from '../generated/resolvers-types.js';

export const organizationMutations: MutationResolvers = {
  async createOrganization(_parent, { input }, { principal, loaders, services }) {
    const organization = await services.organizations.createOrganization(principal, { name: input.name });
    if (principal.kind === 'user') loaders.membershipsByUser.clear(principal.userId);
    loaders.organization.clear(organization.id).prime(organization.id, organization);
    return organization;
  },
  async addMember(_parent, { input }, { principal, loaders, services }) {
    const membership = await services.organizations.addMember(principal, input);
    loaders.membershipChanged(membership);
    loaders.forgetUser(membership.userId);
    return membership;
  },
  async updateMemberRole(_parent, { input }, { principal, loaders, services }) {
    const membership = await services.organizations.updateMemberRole(principal, input);
    loaders.membershipChanged(membership);
    return membership;
  },
  async removeMember(_parent, { membershipId }, { principal, loaders, services }) {
    const removed = await services.organizations.removeMember(principal, membershipId);
    loaders.membership.clearAll();
    loaders.membershipsByOrganization.clearAll();
    loaders.membershipsByUser.clearAll();
    loaders.sharesOrganizationWithViewer.clearAll();
    return removed;
  },
  async setOrganizationSso(_parent, { input }, { principal, loaders, services }) {
    const organization = await services.organizations.setOrganizationSso(principal, input);
    loaders.ssoByOrganization.clear(organization.id);
    return organization;
  },
};
