// Root mutations of organizations: thin wrappers over the organization service, which holds the rules.
import type { MutationResolvers } from '../generated/resolvers-types.js';

export const organizationMutations: MutationResolvers = {
  createOrganization: (_parent, { input }, { principal, services }) => services.organizations.createOrganization(principal, { name: input.name }),
  addMember: (_parent, { input }, { principal, services }) => services.organizations.addMember(principal, input),
  updateMemberRole: (_parent, { input }, { principal, services }) => services.organizations.updateMemberRole(principal, input),
  removeMember: (_parent, { membershipId }, { principal, services }) => services.organizations.removeMember(principal, membershipId),
  setOrganizationSso: (_parent, { input }, { principal, services }) => services.organizations.setOrganizationSso(principal, input),
};
