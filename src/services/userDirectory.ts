// Users as callers look them up or ensure them, and a user's security events. Each method decides
// who may call it with a predicate of domain/policy.ts (lifecycle.md, "Who may do what").
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { readEmailAddress } from '../domain/email.js';
import { canEnsureUsers, canSeeSecurityEvents, isUserAdmin, isUserReader } from '../domain/policy.js';
import type { AuditEvent, Principal, User } from '../domain/types.js';
import { listAuditEventsForUser } from '../db/audit.js';
import type { Queryable } from '../db/queryable.js';
import type { UserStore, UserView } from '../db/userStore.js';
import { actorOf } from './guards.js';
import type { IdentityService } from './identity.js';
import { decodeCursor, pageSize, toPage, type Page, type PagedList } from './pagination.js';
import { AUDIT_EVENTS } from './organizations.js';

const MAX_QUERY_LENGTH = 320;

const USERS: PagedList<User> = { name: 'user', keyOf: (user) => user.id, isKey: isUuid };

export interface UserDirectory {
  /** users:read; null for an unknown (or deleted) user. @throws FORBIDDEN (missing_scope) */
  user(principal: Principal, id: string, users: UserView): User | null | Promise<User | null>;
  /** users:read: the user holding this email (a verified holder first); null when none or malformed. @throws FORBIDDEN */
  userByEmail(principal: Principal, email: string, users: UserView): Promise<User | null>;
  /** users:admin: users by id, filtered by an email or name prefix (case-insensitive). @throws FORBIDDEN, BAD_USER_INPUT */
  users(principal: Principal, args: { first?: number | null; after?: string | null; query?: string | null }): Promise<Page<User>>;
  /** The user, or users:admin: the events whose target is the user, newest first. @throws FORBIDDEN, BAD_USER_INPUT */
  securityEvents(principal: Principal, userId: string, args: { first?: number | null; after?: string | null }): Promise<Page<AuditEvent>>;
  /**
   * `ensureUser`: without input, the calling user (resolved, and provisioned if new, before the
   * request reached GraphQL; `created` says so); with input, a users:write service's get-or-create
   * by email (the email counts as verified).
   * @throws UNAUTHENTICATED, BAD_USER_INPUT (input_required for a service without input, a malformed email), FORBIDDEN
   */
  ensureUser(principal: Principal, input: { email: string; name?: string | null } | null, users: UserView): Promise<{ user: User; created: boolean }>;
}

const missingScope = () => new AppError('FORBIDDEN', { reason: 'missing_scope' });

export function createUserDirectory(deps: { db: Queryable; users: UserStore; identity: IdentityService }): UserDirectory {
  const { db } = deps;
  return {
    user(principal, id, users) {
      if (!isUserReader(principal)) throw missingScope();
      return users.get(id);
    },

    async userByEmail(principal, email, users) {
      if (!isUserReader(principal)) throw missingScope();
      const address = readEmailAddress(email);
      return address === null ? null : users.findByEmail(address);
    },

    async users(principal, args) {
      if (!isUserAdmin(principal)) throw missingScope();
      const limit = pageSize(args.first, 50);
      const afterId = decodeCursor(USERS, args.after)?.toLowerCase() ?? null;
      const query = args.query?.trim() || null;
      if (query !== null && query.length > MAX_QUERY_LENGTH) throw badInput('query is too long.', 'invalid_query');
      return toPage(USERS, await deps.users.search({ query, afterId, limit: limit + 1 }), limit);
    },

    async securityEvents(principal, userId, args) {
      if (!canSeeSecurityEvents(principal, userId)) throw missingScope();
      const limit = pageSize(args.first, 20);
      const before = decodeCursor(AUDIT_EVENTS, args.after);
      return toPage(AUDIT_EVENTS, await listAuditEventsForUser(db, userId, { limit: limit + 1, before }), limit);
    },

    async ensureUser(principal, input, users) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      if (input === null) {
        if (principal.kind !== 'user') throw new AppError('BAD_USER_INPUT', { message: 'A service principal must pass input { email }.', reason: 'input_required' });
        const user = await users.get(principal.userId);
        if (user === null) throw new AppError('INTERNAL_SERVER_ERROR');
        return { user, created: principal.created };
      }
      if (!canEnsureUsers(principal)) throw missingScope();
      return deps.identity.ensureUserByEmail(null, { email: input.email, name: input.name ?? null }, actorOf(principal));
    },
  };
}
