// Root queries owned by the core: viewer.
import type { QueryResolvers } from '../generated/resolvers-types.js';

export const Query: QueryResolvers = {
  // From the request's view of users: without a promise when the row is held or cached (every request).
  viewer: (_parent, _args, { principal, users }) => (principal.kind === 'user' ? users.get(principal.userId) : null),
};
