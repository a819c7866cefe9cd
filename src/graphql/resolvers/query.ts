// Root queries owned by the core: viewer.
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  viewer: (_parent, _args, { principal, loaders }) => (principal.kind === 'user' ? loaders.user.load(principal.userId) : null),
};
