// Sessions (idp-events.md): User.sessions, Session's fields and revokeSession; the session
// service decides who may (domain/policy.ts).
import type { MutationResolvers, SessionResolvers, UserResolvers } from '../generated/resolvers-types.js';

export const sessionUserFields: UserResolvers = {
  sessions: (user, args, { principal, services }) => services.sessions.sessions(principal, user.id, args),
};

export const sessionMutations: MutationResolvers = {
  revokeSession: (_parent, { id }, { principal, services }) => services.sessions.revokeSession(principal, id),
};

export const Session: SessionResolvers = {
  firstSeenAt: (session) => session.firstSeenAt.toISOString(),
  lastSeenAt: (session) => session.lastSeenAt.toISOString(),
  revokedAt: (session) => session.revokedAt?.toISOString() ?? null,
};
