// All resolvers, by type.
import type { MutationResolvers, Resolvers } from '../generated/resolvers-types.js';
import type { GraphQLContext } from '../context.js';
import { ApiKey, apiKeyMutations, apiKeyOrganizationFields, apiKeyUserFields } from './apiKeys.js';
import { AuditEvent, OrganizationSso } from './audit.js';
import { Invitation, invitationMutations } from './invitation.js';
import { lifecycleMutations, lifecycleQueries, lifecycleUserFields } from './lifecycle.js';
import { Membership } from './membership.js';
import { operatorMutations, operatorQueries, operatorUserFields } from './operators.js';
import { Mutation } from './mutation.js';
import { Organization } from './organization.js';
import { organizationMutations } from './organizationMutations.js';
import { organizationQueries } from './organizationQueries.js';
import { Query } from './query.js';
import { Session, sessionMutations, sessionUserFields } from './sessions.js';
import { User } from './user.js';

type Resolve = (parent: unknown, args: unknown, context: GraphQLContext, info: unknown) => unknown;
type ResolveReference = (reference: unknown, context: GraphQLContext, info: unknown) => unknown;

/**
 * Tracing on, a resolver that may call a service runs in the operation's scope (GraphQLContext.
 * scope), so the statements and calls it makes, at once or after an await, hang under the
 * operation's span. Every resolver of these maps does; only those typed to see no services
 * (LoaderContext: Query.viewer, User, Membership) are left out, as their reads start in the scope
 * by themselves (the request's view of users and its loaders). Tracing off: the scope is absent,
 * and the resolver is called as it is.
 */
function inOperationScope<T extends object>(fields: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (name === '__resolveReference') {
      const resolve = field as ResolveReference;
      wrapped[name] = ((reference, context, info) =>
        context.scope === undefined ? resolve(reference, context, info) : context.scope(() => resolve(reference, context, info))) satisfies ResolveReference;
    } else if (typeof field === 'function' && !name.startsWith('__')) {
      const resolve = field as Resolve;
      wrapped[name] = ((parent, args, context, info) =>
        context.scope === undefined ? resolve(parent, args, context, info) : context.scope(() => resolve(parent, args, context, info))) satisfies Resolve;
    } else {
      wrapped[name] = field;
    }
  }
  return wrapped as T;
}

/**
 * What a request has read stays its own until it writes: once a mutation field has resolved
 * (root fields run one after another), the request's view of users and its loaders start
 * afresh, so its selection and the fields after it read what the mutation left. The one place
 * anything of a request is forgotten: no resolver invalidates a cache.
 */
function readingAfresh(mutations: MutationResolvers): MutationResolvers {
  const wrapped: Record<string, Resolve> = {};
  for (const [name, resolve] of Object.entries(mutations) as [string, Resolve][]) {
    wrapped[name] = async (parent, args, context, info) => {
      try {
        return await resolve(parent, args, context, info);
      } finally {
        context.users.clear();
        context.loaders.reset();
      }
    };
  }
  return wrapped as MutationResolvers;
}

export const resolvers: Resolvers = {
  Query: { ...Query, ...inOperationScope({ ...organizationQueries, ...lifecycleQueries, ...operatorQueries }) },
  Mutation: inOperationScope(
    readingAfresh({ ...Mutation, ...organizationMutations, ...invitationMutations, ...lifecycleMutations, ...apiKeyMutations, ...operatorMutations, ...sessionMutations }),
  ),
  User: { ...User, ...inOperationScope({ ...lifecycleUserFields, ...apiKeyUserFields, ...operatorUserFields, ...sessionUserFields }) },
  Membership,
  Organization: inOperationScope({ ...Organization, ...apiKeyOrganizationFields }),
  ApiKey: inOperationScope(ApiKey),
  OrganizationSso: inOperationScope(OrganizationSso),
  AuditEvent: inOperationScope(AuditEvent),
  Invitation: inOperationScope(Invitation),
  Session: inOperationScope(Session),
};
