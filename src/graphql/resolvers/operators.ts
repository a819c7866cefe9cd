// Operators and the lookup by external identity: thin wrappers over the operator service, which
// authorizes; `User.isOperator` shown to the user and users:read (policy.ts).
import { AppError } from '../../errors.js';
import { canSeeOperatorStatus } from '../../domain/policy.js';
import type { MutationResolvers, QueryResolvers, UserResolvers } from '../generated/resolvers-types.js';

export const operatorQueries: QueryResolvers = {
  userByIdentity: (_parent, { issuer, subject }, { principal, services, users }) => services.operators.userByIdentity(principal, issuer, subject, users),
};

export const operatorMutations: MutationResolvers = {
  grantOperator: (_parent, { userId }, { principal, services }) => services.operators.grantOperator(principal, userId),
  revokeOperator: (_parent, { userId }, { principal, services }) => services.operators.revokeOperator(principal, userId),
};

export const operatorUserFields: UserResolvers = {
  isOperator(user, _args, { principal }) {
    if (!canSeeOperatorStatus(principal, user.id)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
    return user.isOperator;
  },
};
