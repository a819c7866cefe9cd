// Membership entity: a user's role in an organization.
import { AppError } from '../../errors.js';
import type { MembershipResolvers } from '../generated/resolvers-types.js';
import type { LoaderContext } from '../context.js';

/** Reads only through the request's view and loaders (LoaderContext): outside the operation's scope (resolvers/index.ts). */
export const Membership: MembershipResolvers<LoaderContext> = {
  __resolveReference: (reference, { loaders }) => loaders.membership.load(String((reference as { id?: unknown }).id ?? '')),
  async user(membership, _args, { users }) {
    const user = await users.get(membership.userId);
    if (user === null) throw new AppError('NOT_FOUND');
    return user;
  },
  async organization(membership, _args, { loaders }) {
    const organization = await loaders.organization.load(membership.organizationId);
    if (organization === null) throw new AppError('NOT_FOUND');
    return organization;
  },
};
