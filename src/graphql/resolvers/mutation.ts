// Root mutations owned by the core: ensureUser.
import { AppError } from '../../errors.js';
import { hasScope, SCOPES } from '../../domain/policy.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';

export const Mutation: MutationResolvers = {
  async ensureUser(_parent, { input }, { principal, loaders, services }) {
    if (principal.kind === 'anonymous') throw new AppError('UNAUTHENTICATED');
    if (input === null || input === undefined) {
      if (principal.kind !== 'user') {
        throw new AppError('BAD_USER_INPUT', { message: 'A service principal must pass input { email }.', reason: 'INPUT_REQUIRED' });
      }
      // The user was resolved (and provisioned if new) before this request reached GraphQL.
      const user = await loaders.user.load(principal.userId);
      if (user === null) throw new AppError('INTERNAL_SERVER_ERROR');
      return { user, created: principal.created };
    }
    if (!hasScope(principal, SCOPES.usersWrite)) throw new AppError('FORBIDDEN', { reason: 'MISSING_SCOPE' });
    const actor = { type: 'service' as const, id: principal.kind === 'service' ? principal.claims.subject : null, impersonator: null };
    const { user, created } = await services.identity.ensureUserByEmail(null, { email: input.email, name: input.name ?? null }, actor);
    loaders.user.prime(user.id, user);
    return { user, created };
  },
};
