// Root queries of organizations: organization(id) for members and organization-reading
// services (a stranger gets null, learning nothing), and the public authDiscovery.
import { canSeeOrganization } from '../../domain/policy.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import { viewerRole } from './organization.js';

export const organizationQueries: QueryResolvers = {
  async organization(_parent, { id }, { principal, loaders }) {
    const organization = await loaders.organization.load(id);
    if (organization === null) return null;
    return canSeeOrganization(principal, await viewerRole(principal, loaders, organization.id)) ? organization : null;
  },
  authDiscovery: (_parent, { email }, { services, loaders }) => services.organizations.discover(email, (domain) => loaders.ssoByDomain.load(domain)),
};
