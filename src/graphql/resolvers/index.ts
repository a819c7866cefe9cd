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
  Query: { ...Query, ...organizationQueries, ...lifecycleQueries, ...operatorQueries },
  Mutation: readingAfresh({ ...Mutation, ...organizationMutations, ...invitationMutations, ...lifecycleMutations, ...apiKeyMutations, ...operatorMutations, ...sessionMutations }),
  User: { ...User, ...lifecycleUserFields, ...apiKeyUserFields, ...operatorUserFields, ...sessionUserFields },
  Membership,
  Organization: { ...Organization, ...apiKeyOrganizationFields },
  ApiKey,
  OrganizationSso,
  AuditEvent,
  Invitation,
  Session,
};
