// The per-request GraphQL context: who is calling (already verified and resolved before
// GraphQL runs), the request's view of users, per-request loaders, and the services resolvers call.
import type { Principal } from '../domain/types.js';
import type { Database } from '../db/queryable.js';
import type { UserStore, UserView } from '../db/userStore.js';
import type { ApiKeyService } from '../services/apiKeys.js';
import type { InvitationService } from '../services/invitations.js';
import type { LifecycleService } from '../services/lifecycle.js';
import type { OperatorService } from '../services/operators.js';
import type { OrganizationService } from '../services/organizations.js';
import type { UserDirectory } from '../services/userDirectory.js';
import type { SessionService } from '../services/userSessions.js';
import type { Scope } from '../tracing/types.js';
import { Loaders } from './loaders.js';

/** What resolvers call: every rule (who may, and what happens) is theirs. */
export interface Services {
  directory: UserDirectory;
  organizations: OrganizationService;
  invitations: InvitationService;
  lifecycle: LifecycleService;
  apiKeys: ApiKeyService;
  operators: OperatorService;
  sessions: SessionService;
}

export interface GraphQLContext {
  requestId: string;
  principal: Principal;
  /** The request's view of the user store: every user row the request reads. */
  users: UserView;
  loaders: Loaders;
  services: Services;
  /**
   * Users whose email the caller itself supplied in this request (ensureUser(input)): showing
   * that email back discloses nothing, so a users:write service sees the user it just ensured.
   */
  emailSuppliedFor: Set<string>;
  /**
   * Filled in while the operation runs, for the request log and metrics. An object, because
   * Apollo hands plugins a shallow copy of the context.
   */
  observed?: { operationName: string | null; operationType: string | null; errorCode: string | null };
  /**
   * Tracing on: runs the execution (the resolvers) where their SQL statements and outbound calls
   * find the GraphQL operation's span (tracing/scopes.ts). Absent with tracing off.
   */
  scope?: Scope;
}

/** How the HTTP edge builds a request's context: its view of users first (authentication holds the user's row there). */
export interface RequestContexts {
  users(): UserView;
  create(principal: Principal, users: UserView, requestId: string): GraphQLContext;
}

export interface RequestContextOptions {
  db: Database;
  users: UserStore;
  services: Services;
  /** The clock invitations expire by (default Date.now). */
  now?: () => number;
}

export function createRequestContexts(options: RequestContextOptions): RequestContexts {
  const { db, services, now } = options;
  return {
    users: () => options.users.view(),
    create(principal, users, requestId) {
      const loaders = new Loaders(db, principal.kind === 'user' ? principal.userId : null, now);
      return { requestId, principal, users, services, loaders, emailSuppliedFor: new Set() };
    },
  };
}
