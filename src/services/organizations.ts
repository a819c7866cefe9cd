// Organizations: creation (the caller becomes OWNER), the audit log's pages, and the service
// that joins them with members (memberships.ts) and SSO bindings (ssoBindings.ts).
import { randomUUID } from 'node:crypto';
import { canSeeAuditLog } from '../domain/policy.js';
import type { AuditEvent, Organization, Principal } from '../domain/types.js';
import { appendAudit, listAuditEvents } from '../db/audit.js';
import { insertMembership } from '../db/memberships.js';
import { insertOrganization } from '../db/organizations.js';
import type { Database } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { actorOf, currentRole, requireOrganizationName, requireSelfUser } from './guards.js';
import type { IdentityService } from './identity.js';
import { createMembershipService, type MembershipService } from './memberships.js';
import { decodeCursor, pageSize, toPage, type Page, type PagedList } from './pagination.js';
import { createSsoService, type SsoService } from './ssoBindings.js';

/** Audit events, newest first, paged by sequence number (an organization's log, a user's security events). */
export const AUDIT_EVENTS: PagedList<AuditEvent> = { name: 'audit', keyOf: (event) => event.id, isKey: (key) => /^[0-9]{1,18}$/.test(key) };

export interface OrganizationService extends MembershipService, SsoService {
  /** Any user; the caller becomes OWNER. @throws UNAUTHENTICATED, FORBIDDEN (services), BAD_USER_INPUT */
  createOrganization(principal: Principal, input: { name: string }): Promise<Organization>;
  /**
   * The organization's audit log, newest first, to its OWNERs and ADMINs; null to anyone else.
   * @throws BAD_USER_INPUT (first, after)
   */
  auditEvents(principal: Principal, organizationId: string, args: { first?: number | null; after?: string | null }): Promise<Page<AuditEvent> | null>;
}

export function createOrganizationService(
  deps: { db: Database; users: UserStore; identity: IdentityService; issuerNames: ReadonlySet<string>; onSsoChanged?: () => void },
): OrganizationService {
  const { db } = deps;
  return {
    ...createMembershipService(deps),
    ...createSsoService(deps),
    async createOrganization(principal, input) {
      const user = requireSelfUser(principal);
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

    async auditEvents(principal, organizationId, args) {
      const role = await currentRole(db, organizationId, principal);
      if (!canSeeAuditLog(role)) return null;
      const limit = pageSize(args.first, 20);
      const before = decodeCursor(AUDIT_EVENTS, args.after);
      return toPage(AUDIT_EVENTS, await listAuditEvents(db, organizationId, { limit: limit + 1, before }), limit);
    },
  };
}
