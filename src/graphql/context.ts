// The per-request GraphQL context: who is calling (already verified and resolved before
// GraphQL runs), per-request loaders, and the services resolvers call.
import type { Principal } from '../domain/types.js';
import type { Database } from '../db/queryable.js';
import type { UserRowCache } from '../db/userCache.js';
import type { IdentityService } from '../services/identity.js';
import type { InvitationService } from '../services/invitations.js';
import type { LifecycleService } from '../services/lifecycle.js';
import type { OrganizationService } from '../services/organizations.js';
import { Loaders } from './loaders.js';

export interface Services {
  db: Database;
  /** The process's user row cache (the request's loader reads users through it). */
  userRows: UserRowCache;
  identity: IdentityService;
  organizations: OrganizationService;
  invitations: InvitationService;
  /** The clock invitations expire by (default Date.now). */
  now?: () => number;
  lifecycle: LifecycleService;
}

export interface GraphQLContext {
  requestId: string;
  principal: Principal;
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
}

export function createContext(services: Services, principal: Principal, requestId: string): GraphQLContext {
  const viewerId = principal.kind === 'user' ? principal.userId : null;
  const loaders = new Loaders(services.db, services.userRows, viewerId, services.now);
  // The row identity resolution just read or wrote: the first answer needs no second read.
  if (principal.kind === 'user' && principal.row !== undefined) loaders.holdUser(principal.row);
  return { requestId, principal, services, loaders, emailSuppliedFor: new Set() };
}
