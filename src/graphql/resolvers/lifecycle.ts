// Lifecycle: user lookups for services, the lifecycle mutations, and the User fields only the
// user themselves and trusted services see (lifecycle.md, "Who may do what").
import { AppError } from '../../errors.js';
import { isSelf, isUserReader } from '../../domain/policy.js';
import type { Principal } from '../../domain/types.js';
import { findSsoByExternalOrganization } from '../../db/sso.js';
import { isUserAdmin } from '../../services/lifecycle.js';
import { listSecurityEvents, listUsers, lookUpUserByEmail } from '../../services/userDirectory.js';
import type { MutationResolvers, QueryResolvers, UserResolvers } from '../generated/resolvers-types.js';

const forbidden = () => new AppError('FORBIDDEN', { reason: 'MISSING_SCOPE' });

function requireReader(principal: Principal): void {
  if (!isUserReader(principal)) throw forbidden();
}

function requireSelfOrReader(principal: Principal, userId: string): void {
  if (!isSelf(principal, userId) && !isUserReader(principal)) throw forbidden();
}

export const lifecycleQueries: QueryResolvers = {
  user(_parent, { id }, { principal, users }) {
    requireReader(principal);
    return users.get(id);
  },
  userByEmail(_parent, { email }, { principal, users }) {
    requireReader(principal);
    return lookUpUserByEmail(users, email);
  },
  async users(_parent, args, { principal, services }) {
    if (!isUserAdmin(principal)) throw forbidden();
    return listUsers(services.db, args);
  },
};

export const lifecycleMutations: MutationResolvers = {
  suspendUser: (_parent, { userId, reason }, { principal, services }) => services.lifecycle.suspendUser(principal, userId, reason ?? null),
  reactivateUser: (_parent, { userId }, { principal, services }) => services.lifecycle.reactivateUser(principal, userId),
  revokeSessions: (_parent, { userId }, { principal, services }) => services.lifecycle.revokeSessions(principal, userId),
  deleteUser: (_parent, { userId }, { principal, services }) => services.lifecycle.deleteUser(principal, userId),
  signOutEverywhere: (_parent, _args, { principal, services }) => services.lifecycle.signOutEverywhere(principal),
  deleteViewer: (_parent, _args, { principal, services }) => services.lifecycle.deleteViewer(principal),
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
