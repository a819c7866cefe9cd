// All resolvers, by type.
import type { Resolvers } from '../generated/resolvers-types.js';
import { AuditEvent, OrganizationSso } from './audit.js';
import { Invitation, invitationMutations } from './invitation.js';
import { lifecycleMutations, lifecycleQueries, lifecycleUserFields } from './lifecycle.js';
import { Membership } from './membership.js';
import { Mutation } from './mutation.js';
import { Organization } from './organization.js';
import { organizationMutations } from './organizationMutations.js';
import { organizationQueries } from './organizationQueries.js';
import { Query } from './query.js';
import { User } from './user.js';

export const resolvers: Resolvers = {
  Query: { ...Query, ...organizationQueries, ...lifecycleQueries },
  Mutation: { ...Mutation, ...organizationMutations, ...invitationMutations, ...lifecycleMutations },
  User: { ...User, ...lifecycleUserFields },
  Membership,
  Organization,
  OrganizationSso,
  AuditEvent,
  Invitation,
};
