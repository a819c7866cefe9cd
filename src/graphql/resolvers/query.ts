// Root queries owned by the core: viewer.
import type { QueryResolvers } from '../generated/resolvers-types.js';
import type { LoaderContext } from '../context.js';

/** Reads only through the request's view (LoaderContext): outside the operation's scope (resolvers/index.ts). */
export const Query: QueryResolvers<LoaderContext> = {
  // From the request's view of users: without a promise when the row is held or cached (every request).
  viewer: (_parent, _args, { principal, users }) => (principal.kind === 'user' ? users.get(principal.userId) : null),
};
