// Root mutations owned by the core: ensureUser.
import { AppError, authenticationRequired } from '../../errors.js';
import { hasScope, SCOPES } from '../../domain/policy.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';

// Requests whose provisioning an ensureUser already reported: with two ensureUser fields in one
// operation (aliases), only the first "call" created the user. Keyed by the request's context.
const creationReported = new WeakSet<object>();

export const Mutation: MutationResolvers = {
  async ensureUser(_parent, { input }, context) {
    const { principal, users, services } = context;
    if (principal.kind === 'anonymous') throw authenticationRequired();
    if (input === null || input === undefined) {
      if (principal.kind !== 'user') {
        throw new AppError('BAD_USER_INPUT', { message: 'A service principal must pass input { email }.', reason: 'INPUT_REQUIRED' });
      }
      // The user was resolved (and provisioned if new) before this request reached GraphQL.
      const user = await users.get(principal.userId);
      if (user === null) throw new AppError('INTERNAL_SERVER_ERROR');
      const created = principal.created && !creationReported.has(context);
      creationReported.add(context);
      return { user, created };
    }
    if (!hasScope(principal, SCOPES.usersWrite)) throw new AppError('FORBIDDEN', { reason: 'MISSING_SCOPE' });
    const actor = { type: 'service' as const, id: principal.kind === 'service' ? principal.claims.subject : null, impersonator: null };
    const { user, created } = await services.identity.ensureUserByEmail(null, { email: input.email, name: input.name ?? null }, actor);
    context.emailSuppliedFor.add(user.id);
    return { user, created };
  },
};
