// Lifecycle: user lookups for services, the lifecycle mutations, and the User fields only the
// user themselves and trusted services see (lifecycle.md, "Who may do what").
import { AppError } from '../../errors.js';
import { isSelf, isUserReader } from '../../domain/policy.js';
import type { Principal } from '../../domain/types.js';
import { findSsoByExternalOrganization } from '../../db/sso.js';
import { isUserAdmin } from '../../services/lifecycle.js';
import { listSecurityEvents, listUsers, lookUpUserByEmail } from '../../services/userDirectory.js';
import type { MutationResolvers, QueryResolvers, UserResolvers } from '../generated/resolvers-types.js';
import type { GraphQLContext } from '../context.js';

const forbidden = () => new AppError('FORBIDDEN', { reason: 'MISSING_SCOPE' });

function requireReader(principal: Principal): void {
  if (!isUserReader(principal)) throw forbidden();
}

function requireSelfOrReader(principal: Principal, userId: string): void {
  if (!isSelf(principal, userId) && !isUserReader(principal)) throw forbidden();
}

/** After a change to a user, this request's loaders read it again. */
function forgetUser(context: GraphQLContext, userId: string): void {
  context.loaders.forgetUser(userId);
}

export const lifecycleQueries: QueryResolvers = {
  user(_parent, { id }, { principal, loaders }) {
    requireReader(principal);
    return loaders.user.load(id);
  },
  async userByEmail(_parent, { email }, { principal, services, loaders }) {
    requireReader(principal);
    const user = await lookUpUserByEmail(services.db, email);
    if (user !== null) loaders.holdUser(user);
    return user;
  },
  async users(_parent, args, { principal, services }) {
    if (!isUserAdmin(principal)) throw forbidden();
    return listUsers(services.db, args);
  },
};

export const lifecycleMutations: MutationResolvers = {
  async suspendUser(_parent, { userId, reason }, context) {
    const user = await context.services.lifecycle.suspendUser(context.principal, userId, reason ?? null);
    forgetUser(context, user.id);
    return user;
  },
  async reactivateUser(_parent, { userId }, context) {
    const user = await context.services.lifecycle.reactivateUser(context.principal, userId);
    forgetUser(context, user.id);
    return user;
  },
  revokeSessions: (_parent, { userId }, { principal, services }) => services.lifecycle.revokeSessions(principal, userId),
  async deleteUser(_parent, { userId }, context) {
    const deleted = await context.services.lifecycle.deleteUser(context.principal, userId);
    forgetUser(context, userId);
    return deleted;
  },
  signOutEverywhere: (_parent, _args, { principal, services }) => services.lifecycle.signOutEverywhere(principal),
  async deleteViewer(_parent, _args, context) {
    const deleted = await context.services.lifecycle.deleteViewer(context.principal);
    if (context.principal.kind === 'user') forgetUser(context, context.principal.userId);
    return deleted;
  },
};

export const lifecycleUserFields: UserResolvers = {
  status(user, _args, { principal }) {
    requireSelfOrReader(principal, user.id);
    return user.status === 'suspended' ? 'SUSPENDED' : 'ACTIVE';
  },
  createdAt(user, _args, { principal }) {
    requireSelfOrReader(principal, user.id);
    return user.createdAt.toISOString();
  },
  async lastSeenAt(user, _args, { principal, loaders }) {
    if (!isSelf(principal, user.id) && !isUserReader(principal)) return null;
    return (await loaders.lastSeen.load(user.id))?.toISOString() ?? null;
  },
  async currentOrganization(user, _args, { principal, services, loaders }) {
    if (principal.kind !== 'user' || principal.userId !== user.id) return null;
    const externalId = principal.claims.externalOrganizationId;
    if (externalId === null) return null;
    const binding = await findSsoByExternalOrganization(services.db, principal.claims.provider, externalId);
    if (binding === null) return null;
    const memberships = await loaders.membershipsByUser.load(user.id);
    if (!memberships.some((m) => m.organizationId === binding.organizationId)) return null;
    return loaders.organization.load(binding.organizationId);
  },
  async securityEvents(user, args, { principal, services }) {
    if (!isSelf(principal, user.id) && !isUserAdmin(principal)) throw forbidden();
    return listSecurityEvents(services.db, user.id, args);
  },
};
