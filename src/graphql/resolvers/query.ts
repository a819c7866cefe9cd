// Root queries owned by the core: viewer.
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  viewer: (_parent, _args, { principal, loaders }) =>
    principal.kind === 'user' ? (loaders.cachedUser(principal.userId) ?? loaders.user.load(principal.userId)) : null,
};
