// API keys: the mutations and lists (services/apiKeys.ts holds the rules) and the ApiKey type.
import { apiKeyPrefix } from '../../domain/apiKeyFormat.js';
import type { ApiKeyResolvers, MutationResolvers, OrganizationResolvers, UserResolvers } from '../generated/resolvers-types.js';

const iso = (at: Date | null) => (at === null ? null : at.toISOString());

export const apiKeyMutations: MutationResolvers = {
  createApiKey: (_parent, { input }, { principal, services }) => services.apiKeys.create(principal, input),
  revokeApiKey: (_parent, { id }, { principal, services }) => services.apiKeys.revoke(principal, id),
};

export const apiKeyUserFields: UserResolvers = {
  apiKeys: (user, _args, { principal, services }) => services.apiKeys.personalKeys(principal, user.id),
};

export const apiKeyOrganizationFields: OrganizationResolvers = {
  apiKeys: (organization, _args, { principal, services }) => services.apiKeys.organizationKeys(principal, organization.id),
};

export const ApiKey: ApiKeyResolvers = {
  prefix: (key) => apiKeyPrefix(key.publicId),
  organization: (key, _args, { loaders }) => (key.organizationId === null ? null : loaders.organization.load(key.organizationId)),
  createdBy: (key, _args, { users }) => users.get(key.createdBy),
  createdAt: (key) => key.createdAt.toISOString(),
  lastUsedAt: (key) => iso(key.lastUsedAt),
  expiresAt: (key) => iso(key.expiresAt),
  revokedAt: (key) => iso(key.revokedAt),
};
