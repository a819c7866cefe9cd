// Organizations, memberships, SSO bindings and discovery: the rules, each change in one
// transaction with its audit row. Races between replicas are settled by the database: every
// membership change locks the organization row first, and unique keys refuse duplicates.
import { randomUUID } from 'node:crypto';
import { AppError, authenticationRequired } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { emailDomain, normalizeDomain } from '../domain/email.js';
import { hasScope, removalRefusal, roleChangeRefusal, SCOPES } from '../domain/policy.js';
import type { AuditEvent, Membership, MembershipRole, Organization, OrganizationSso, Principal } from '../domain/types.js';
import { appendAudit, listAuditEvents } from '../db/audit.js';
import { isUniqueViolation } from '../db/errors.js';
import {
  countOwners,
  deleteMembership,
  findMembership,
  findMembershipsByIds,
  insertMembership,
  updateMembershipRole,
} from '../db/memberships.js';
import { insertOrganization, lockOrganization } from '../db/organizations.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { UserRowCache } from '../db/userCache.js';
import { replaceDomains, upsertSso } from '../db/sso.js';
import { findUsersByIds } from '../db/users.js';
import { actorOf, badInput, cleanDomains, lockForChange, optionalText, organizationNotFound, refuse, requireOrganizationName, requireUser } from './guards.js';
import { requireEmail } from '../domain/email.js';
import type { IdentityService } from './identity.js';

const MAX_AUDIT_PAGE = 100;
const MAX_ATTEMPTS = 3;

export interface AuthDiscoveryResult {
  method: 'SSO' | 'PASSWORDLESS';
  organizationId: string | null;
  issuer: string | null;
  connection: string | null;
}

export interface AuditPage {
  events: { cursor: string; event: AuditEvent }[];
  hasNextPage: boolean;
}

export interface SetSsoInput {
  organizationId: string;
  issuer: string;
  externalOrganizationId?: string | null;
  connection?: string | null;
  domains: readonly string[];
  jitRole?: MembershipRole | null;
}

export interface OrganizationService {
  /** Any user; the caller becomes OWNER. @throws UNAUTHENTICATED, FORBIDDEN (services), BAD_USER_INPUT */
  createOrganization(principal: Principal, input: { name: string }): Promise<Organization>;
  /**
   * Services holding organizations:admin (provisioning); users join by invitation, never this
   * way, OWNERs included. Exactly one of userId / email; email ensures the user.
   * @throws BAD_USER_INPUT, NOT_FOUND (organization or user), FORBIDDEN (MISSING_SCOPE), CONFLICT (ALREADY_MEMBER)
   */
  addMember(
    principal: Principal,
    input: { organizationId: string; userId?: string | null; email?: string | null; role: MembershipRole },
  ): Promise<Membership>;
  /** @throws NOT_FOUND, FORBIDDEN (ROLE_REQUIRED, OWNER_REQUIRED, LAST_OWNER) */
  updateMemberRole(principal: Principal, input: { membershipId: string; role: MembershipRole }): Promise<Membership>;
  /** The member leaving, or OWNER/ADMIN. @throws NOT_FOUND, FORBIDDEN (…, LAST_OWNER) */
  removeMember(principal: Principal, membershipId: string): Promise<boolean>;
  /** Services holding organizations:admin. @throws FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT (DOMAIN_TAKEN, EXTERNAL_ORGANIZATION_TAKEN) */
  setOrganizationSso(principal: Principal, input: SetSsoInput): Promise<Organization>;
  /**
   * Public. `findByDomain` is the request's batched lookup (one statement per request).
   * @throws BAD_USER_INPUT for a malformed email.
   */
  discover(email: string, findByDomain: (domain: string) => Promise<OrganizationSso | null>): Promise<AuthDiscoveryResult>;
  /** Newest first; the caller has already been authorised. @throws BAD_USER_INPUT (first, after) */
  auditEvents(organizationId: string, options: { first: number; after: string | null }): Promise<AuditPage>;
}

export { actorOf } from './guards.js';

// Cursors are opaque to clients: base64url of the event's sequence number.
export function encodeCursor(id: string): string {
  return Buffer.from(`audit:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const match = /^audit:([0-9]{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw badInput('after is not a cursor from this list.', 'INVALID_CURSOR');
  return match[1]!;
}

export function createOrganizationService(deps: { db: Database; userRows: UserRowCache; identity: IdentityService; issuerNames: ReadonlySet<string> }): OrganizationService {
  const { db } = deps;

  /** Retries a transaction that lost a race on a unique key it may legitimately meet again. */
  async function withRetries<T>(attempt: () => Promise<T>, retryable: (error: unknown) => boolean): Promise<T> {
    for (let i = 1; ; i += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!retryable(error) || i >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** The membership (outside any lock) to learn its organization; NOT_FOUND when unknown. */
  async function membershipOrNotFound(q: Queryable, membershipId: string): Promise<Membership> {
    const found = isUuid(membershipId) ? (await findMembershipsByIds(q, [membershipId]))[0] : undefined;
    if (found === undefined) throw new AppError('NOT_FOUND', { message: 'No such membership.', reason: 'MEMBERSHIP_NOT_FOUND' });
    return found;
  }

  return {
    async createOrganization(principal, input) {
      const user = requireUser(principal);
      const name = requireOrganizationName(input.name);
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const organization = await insertOrganization(tx, { id: randomUUID(), name });
        const membership = await insertMembership(tx, { id: randomUUID(), organizationId: organization.id, userId: user.userId, role: 'OWNER' });
        await appendAudit(tx, actor, { action: 'organization.created', targetType: 'Organization', targetId: organization.id, organizationId: organization.id, details: { name } });
        await appendAudit(tx, actor, {
          action: 'membership.added',
          targetType: 'Membership',
          targetId: membership!.id,
          organizationId: organization.id,
          details: { userId: user.userId, role: 'OWNER', via: 'create_organization' },
        });
        return organization;
      });
    },

    async addMember(principal, input) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      // A user adding someone directly would read their email (co-members see it) and, by
      // email, create a verified account nobody proved: users invite instead.
      if (!hasScope(principal, SCOPES.organizationsAdmin)) {
        throw new AppError('FORBIDDEN', { message: 'Only a service holding organizations:admin adds members; users invite them.', reason: 'MISSING_SCOPE' });
      }
      const hasUserId = input.userId !== null && input.userId !== undefined;
      const hasEmail = input.email !== null && input.email !== undefined;
      if (hasUserId === hasEmail) throw badInput('Give exactly one of userId and email.', 'USER_ID_XOR_EMAIL');
      if (hasEmail) requireEmail(input.email);
      if (!isUuid(input.organizationId)) throw organizationNotFound();
      const actor = actorOf(principal);
      const attempt = () =>
        db.transaction(async (tx) => {
          if ((await lockOrganization(tx, input.organizationId)) === null) throw organizationNotFound();
          let userId: string;
          if (hasUserId) {
            const user = isUuid(input.userId!) ? (await findUsersByIds(tx, [input.userId!]))[0] : undefined;
            if (user === undefined) throw new AppError('NOT_FOUND', { message: 'No such user.', reason: 'USER_NOT_FOUND' });
            userId = user.id;
          } else {
            // Same transaction: the user exists only if the membership does.
            userId = (await deps.identity.ensureUserByEmail(tx, { email: input.email! }, actor)).user.id;
          }
          const membership = await insertMembership(tx, { id: randomUUID(), organizationId: input.organizationId, userId, role: input.role });
          if (membership === null) throw new AppError('CONFLICT', { message: 'This user is already a member of the organization.', reason: 'ALREADY_MEMBER' });
          await appendAudit(tx, actor, {
            action: 'membership.added',
            targetType: 'Membership',
            targetId: membership.id,
            organizationId: input.organizationId,
            details: { userId, role: input.role, via: hasEmail ? 'email' : 'user_id' },
          });
          return membership;
        });
      // A concurrent first sign-in or addMember may create the user by email first: retry finds it.
      // By email the transaction may write a user: it runs through the row cache's write.
      return withRetries(hasEmail ? () => deps.userRows.write(attempt) : attempt, (error) => isUniqueViolation(error, 'users_verified_email_key'));
    },

    async updateMemberRole(principal, input) {
      const caller = requireUser(principal);
      const known = await membershipOrNotFound(db, input.membershipId);
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const actorRole = await lockForChange(tx, known.organizationId, caller.userId);
        // Re-read under the lock: a concurrent change may have moved or removed it.
        const target = await membershipOrNotFound(tx, input.membershipId);
        const owners = target.role === 'OWNER' ? await countOwners(tx, target.organizationId) : 0;
        refuse(roleChangeRefusal(actorRole, target.role, input.role, owners));
        if (target.role === input.role) return target;
        const updated = await updateMembershipRole(tx, target.id, input.role);
        await appendAudit(tx, actor, {
          action: 'membership.role_changed',
          targetType: 'Membership',
          targetId: target.id,
          organizationId: target.organizationId,
          details: { userId: target.userId, from: target.role, to: input.role },
        });
        return updated!;
      });
    },

    async removeMember(principal, membershipId) {
      const caller = requireUser(principal);
      const known = await membershipOrNotFound(db, membershipId);
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const actorRole = await lockForChange(tx, known.organizationId, caller.userId);
        const target = await membershipOrNotFound(tx, membershipId);
        const leaving = target.userId === caller.userId;
        const owners = target.role === 'OWNER' ? await countOwners(tx, target.organizationId) : 0;
        refuse(removalRefusal(actorRole, target.role, leaving, owners));
        await deleteMembership(tx, target.id);
        await appendAudit(tx, actor, {
          action: 'membership.removed',
          targetType: 'Membership',
          targetId: target.id,
          organizationId: target.organizationId,
          details: { userId: target.userId, role: target.role, leaving },
        });
        return true;
      });
    },

    async setOrganizationSso(principal, input) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      // Users never bind domains, owners included: an owner claiming bigcorp.com would capture
      // bigcorp's sign-ins.
      if (!hasScope(principal, SCOPES.organizationsAdmin)) {
        throw new AppError('FORBIDDEN', { message: 'Only a service holding organizations:admin can bind SSO.', reason: 'MISSING_SCOPE' });
      }
      if (!deps.issuerNames.has(input.issuer)) throw badInput('issuer is not the name of a configured issuer.', 'UNKNOWN_ISSUER');
      const domains = cleanDomains(input.domains);
      const binding = {
        organizationId: input.organizationId,
        issuerName: input.issuer,
        externalOrganizationId: optionalText(input.externalOrganizationId),
        connection: optionalText(input.connection),
        jitRole: input.jitRole ?? 'MEMBER',
      };
      if (!isUuid(input.organizationId)) throw organizationNotFound();
      const actor = actorOf(principal);
      try {
        return await db.transaction(async (tx) => {
          const organization = await lockOrganization(tx, input.organizationId);
          if (organization === null) throw organizationNotFound();
          await upsertSso(tx, binding);
          await replaceDomains(tx, organization.id, domains);
          await appendAudit(tx, actor, {
            action: 'sso.set',
            targetType: 'Organization',
            targetId: organization.id,
            organizationId: organization.id,
            details: { issuer: binding.issuerName, externalOrganizationId: binding.externalOrganizationId, connection: binding.connection, domains, jitRole: binding.jitRole },
          });
          return organization;
        });
      } catch (error) {
        // The keys are the last word, also when two services bind the same domain at once.
        if (isUniqueViolation(error, 'organization_domains_pkey')) {
          throw new AppError('CONFLICT', { message: 'A domain is already bound to another organization.', reason: 'DOMAIN_TAKEN', cause: error });
        }
        if (isUniqueViolation(error, 'organization_sso_external_key')) {
          throw new AppError('CONFLICT', {
            message: 'This external organization is already bound to another organization.',
            reason: 'EXTERNAL_ORGANIZATION_TAKEN',
            cause: error,
          });
        }
        throw error;
      }
    },

    async discover(raw, findByDomain) {
      const email = requireEmail(raw);
      const binding = await findByDomain(normalizeDomain(emailDomain(email)));
      if (binding === null) return { method: 'PASSWORDLESS', organizationId: null, issuer: null, connection: null };
      return { method: 'SSO', organizationId: binding.organizationId, issuer: binding.issuerName, connection: binding.connection };
    },

    async auditEvents(organizationId, options) {
      if (!Number.isInteger(options.first) || options.first < 0) throw badInput('first must be a non-negative integer.', 'INVALID_FIRST');
      const limit = Math.min(options.first, MAX_AUDIT_PAGE);
      const before = options.after === null ? null : decodeCursor(options.after);
      const rows = await listAuditEvents(db, organizationId, { limit: limit + 1, before });
      const page = rows.slice(0, limit);
      return { events: page.map((event) => ({ cursor: encodeCursor(event.id), event })), hasNextPage: rows.length > limit };
    },
  };
}
