// Lifecycle: user lookups for services, the lifecycle mutations (both through services, which
// authorize), and the User fields only the user themselves and trusted services see
// (lifecycle.md, "Who may do what"; the predicates are domain/policy.ts's).
import { AppError } from '../../errors.js';
import { canSeeAccount, isSelf } from '../../domain/policy.js';
import type { Principal } from '../../domain/types.js';
import type { MutationResolvers, QueryResolvers, UserResolvers } from '../generated/resolvers-types.js';

function requireAccountReader(principal: Principal, userId: string): void {
  if (!canSeeAccount(principal, userId)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
}

export const lifecycleQueries: QueryResolvers = {
  user: (_parent, { id }, { principal, services, users }) => services.directory.user(principal, id, users),
  userByEmail: (_parent, { email }, { principal, services, users }) => services.directory.userByEmail(principal, email, users),
  users: (_parent, args, { principal, services }) => services.directory.users(principal, args),
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
    requireAccountReader(principal, user.id);
    return user.status === 'suspended' ? 'SUSPENDED' : 'ACTIVE';
  },
  createdAt(user, _args, { principal }) {
    requireAccountReader(principal, user.id);
    return user.createdAt.toISOString();
  },
  async lastSeenAt(user, _args, { principal, loaders }) {
    if (!canSeeAccount(principal, user.id)) return null;
    return (await loaders.lastSeen.load(user.id))?.toISOString() ?? null;
  },
  // The organization the viewer's own token signed in to (its organization claim), if a member.
  async currentOrganization(user, _args, { principal, loaders }) {
    if (!isSelf(principal, user.id) || principal.kind !== 'user') return null;
    const externalId = principal.claims.externalOrganizationId;
    if (externalId === null) return null;
    const binding = await loaders.ssoBySignIn.load(`${principal.claims.provider}\u0000${externalId}`);
    if (binding === null) return null;
    const memberships = await loaders.membershipsByUser.load(user.id);
    if (!memberships.some((m) => m.organizationId === binding.organizationId)) return null;
    return loaders.organization.load(binding.organizationId);
  },
  securityEvents: (user, args, { principal, services }) => services.directory.securityEvents(principal, user.id, args),
};
