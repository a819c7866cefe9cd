// The per-request GraphQL context: who is calling (already verified and resolved before
// GraphQL runs), the request's view of users, per-request loaders, and the services resolvers call.
import type { Principal } from '../domain/types.js';
import type { Database, Queryable } from '../db/queryable.js';
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
   * Tracing on: the GraphQL operation's scope (tracing/scopes.ts), where the work that waits
   * runs, so its SQL statements and outbound calls hang under the operation's span: the
   * resolvers that call services (resolvers/index.ts), and the reads of the request's view of
   * users and its loaders. Nothing else enters it: an operation answered from memory (the warm
   * viewer) runs with async context tracking off. Absent with tracing off.
   */
  scope?: Scope;
}

/**
 * What a resolver that reads only through the request's view of users and its loaders is handed:
 * no services. Those two run their reads in the operation's scope themselves, so such a resolver
 * runs outside it (resolvers/index.ts); one that needs a service gets the whole context, and the
 * scope around it.
 */
export type LoaderContext = Omit<GraphQLContext, 'services'>;

/** How the HTTP edge builds a request's context: its view of users first (authentication holds the user's row there). */
export interface RequestContexts {
  users(): UserView;
  /** `scope`: the operation's (tracing on). */
  create(principal: Principal, users: UserView, requestId: string, scope?: Scope): GraphQLContext;
}

export interface RequestContextOptions {
  db: Database;
  users: UserStore;
  services: Services;
  /** The clock invitations expire by (default Date.now). */
  now?: () => number;
}

/** `db` whose statements start in `scope`. */
function inScope(db: Queryable, scope: Scope): Queryable {
  return {
    query: (text, params) => scope(() => db.query(text, params)),
    exec: (script) => scope(() => db.exec(script)),
  };
}

export function createRequestContexts(options: RequestContextOptions): RequestContexts {
  const { db, services, now } = options;
  return {
    users: () => options.users.view(),
    create(principal, users, requestId, scope) {
      const viewerId = principal.kind === 'user' ? principal.userId : null;
      if (scope === undefined) return { requestId, principal, users, services, loaders: new Loaders(db, viewerId, now), emailSuppliedFor: new Set() };
      users.readIn(scope);
      const loaders = new Loaders(inScope(db, scope), viewerId, now);
      return { requestId, principal, users, services, loaders, emailSuppliedFor: new Set(), scope };
    },
  };
}
