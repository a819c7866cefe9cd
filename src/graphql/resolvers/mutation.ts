// Root mutations owned by the core: ensureUser (the user directory decides who may).
import type { MutationResolvers } from '../generated/resolvers-types.js';

// Requests whose provisioning an ensureUser already reported: with two ensureUser fields in one
// operation (aliases), only the first "call" created the user. Keyed by the request's context.
const creationReported = new WeakSet<object>();

export const Mutation: MutationResolvers = {
  async ensureUser(_parent, { input }, context) {
    const { principal, users, services } = context;
    const { user, created } = await services.directory.ensureUser(principal, input ?? null, users);
    if (input === null || input === undefined) {
      const first = !creationReported.has(context);
      creationReported.add(context);
      return { user, created: created && first };
    }
    context.emailSuppliedFor.add(user.id);
    return { user, created };
  },
};
