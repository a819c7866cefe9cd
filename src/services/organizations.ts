// Organizations: creation (the caller becomes OWNER), the audit log's pages, and the service
// that joins them with members (memberships.ts) and SSO bindings (ssoBindings.ts).
import { randomUUID } from 'node:crypto';
import type { AuditEvent, Organization, Principal } from '../domain/types.js';
import { appendAudit, listAuditEvents } from '../db/audit.js';
import { insertMembership } from '../db/memberships.js';
import { insertOrganization } from '../db/organizations.js';
import type { Database } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { actorOf, badInput, requireOrganizationName, requireUser } from './guards.js';
import type { IdentityService } from './identity.js';
import { createMembershipService, type MembershipService } from './memberships.js';
import { createSsoService, type SsoService } from './ssoBindings.js';

const MAX_AUDIT_PAGE = 100;

export interface AuditPage {
  events: { cursor: string; event: AuditEvent }[];
  hasNextPage: boolean;
}

export interface OrganizationService extends MembershipService, SsoService {
  /** Any user; the caller becomes OWNER. @throws UNAUTHENTICATED, FORBIDDEN (services), BAD_USER_INPUT */
  createOrganization(principal: Principal, input: { name: string }): Promise<Organization>;
  /** Newest first; the caller has already been authorised. @throws BAD_USER_INPUT (first, after) */
  auditEvents(organizationId: string, options: { first: number; after: string | null }): Promise<AuditPage>;
}

// Cursors are opaque to clients: base64url of the event's sequence number.
export function encodeCursor(id: string): string {
  return Buffer.from(`audit:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const match = /^audit:([0-9]{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null) throw badInput('after is not a cursor from this list.', 'INVALID_CURSOR');
  return match[1]!;
}

export function createOrganizationService(deps: { db: Database; users: UserStore; identity: IdentityService; issuerNames: ReadonlySet<string> }): OrganizationService {
  const { db } = deps;
  return {
    ...createMembershipService(deps),
    ...createSsoService(deps),
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
