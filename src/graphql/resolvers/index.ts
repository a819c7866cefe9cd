// All resolvers, by type.
import type { Resolvers } from '../generated/resolvers-types.js';
import { Membership } from './membership.js';
import { Mutation } from './mutation.js';
import { Organization } from './organization.js';
import { Query } from './query.js';
import { User } from './user.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  User,
  Membership,
  Organization,
};
