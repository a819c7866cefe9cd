// The audit log: append-only, written with each change, listed newest first with cursors to
// OWNER and ADMIN only; under impersonation the row records the actor.
import { describe, expect, it } from 'vitest';
import { AUDIENCE, errorCode, inviteMember, removeMember, updateRole, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const AUDIT = `query ($id: ID!, $first: Int, $after: String) {
  organization(id: $id) { auditEvents(first: $first, after: $after) {
    edges { cursor node { id occurredAt actorType actorId impersonator action targetType targetId details } }
    pageInfo { hasNextPage endCursor } } } }`;

describe('Organization.auditEvents', () => {
  it('lists every change newest first, paging with cursors', async () => {
    const owner = await suite.signIn();
    const member = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const membership = await suite.addMember(owner, orgId, member, 'MEMBER');
    await updateRole(suite, owner.token, membership, 'ADMIN');
    await removeMember(suite, owner.token, membership);
    const expected = [
      'membership.removed',
      'membership.role_changed',
      'membership.added',
      'invitation.accepted',
      'invitation.created',
      'membership.added',
      'organization.created',
    ];

    const all = await suite.gql(AUDIT, { token: owner.token, variables: { id: orgId } });
    const events = all.body.data.organization.auditEvents;
    expect(events.edges.map((e: any) => e.node.action)).toEqual(expected);
    expect(events.pageInfo.hasNextPage).toBe(false);
    const removed = events.edges[0].node;
    expect(removed).toMatchObject({ actorType: 'user', actorId: owner.id, impersonator: null, targetType: 'Membership', targetId: membership });
    expect(JSON.parse(removed.details)).toMatchObject({ userId: member.id, role: 'ADMIN' });
    expect(new Date(removed.occurredAt).toISOString()).toBe(removed.occurredAt);

    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const result: any = await suite.gql(AUDIT, { token: owner.token, variables: { id: orgId, first: 2, after } });
      const connection = result.body.data.organization.auditEvents;
      seen.push(...connection.edges.map((e: any) => e.node.action));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('is visible to OWNER and ADMIN only', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const asAdmin = await suite.gql(AUDIT, { token: admin.token, variables: { id: orgId } });
    expect(asAdmin.body.data.organization.auditEvents.edges.length).toBe(8);
    const asMember = await suite.gql(AUDIT, { token: member.token, variables: { id: orgId } });
    expect(asMember.body.data.organization).toEqual({ auditEvents: null });
    const asReader = await suite.gql(AUDIT, { token: await suite.serviceToken(['organizations:read']), variables: { id: orgId } });
    expect(asReader.body.data.organization).toEqual({ auditEvents: null });
  });

  it('refuses a cursor that is not one', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const result = await suite.gql(AUDIT, { token: owner.token, variables: { id: orgId, after: 'garbage' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    const negative = await suite.gql(AUDIT, { token: owner.token, variables: { id: orgId, first: -1 } });
    expect(errorCode(negative)).toBe('BAD_USER_INPUT');
  });

  it('refuses updates and deletes of audit rows (append-only)', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    await expect(suite.database.db.query("update audit_events set action = 'forged' where organization_id = $1", [orgId])).rejects.toThrow();
    await expect(suite.database.db.query('delete from audit_events where organization_id = $1', [orgId])).rejects.toThrow();
    const rows = await suite.database.db.query<{ action: string }>('select action from audit_events where organization_id = $1 order by id', [orgId]);
    expect(rows.map((r) => r.action)).toEqual(['organization.created', 'membership.added']);
  });

  it('records the impersonating actor on writes made under impersonation', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const newcomer = await suite.signIn();
    const impersonated = await suite.issuer.sign({ sub: owner.subject, aud: AUDIENCE, act: { sub: 'support|agent-7' } });
    const invited = await inviteMember(suite, impersonated, { organizationId: orgId, email: newcomer.email, role: 'MEMBER' });
    expect(invited.body.errors).toBeUndefined();
    const created = await suite.gql('mutation { createOrganization(input: { name: "Under impersonation" }) { id } }', { token: impersonated });
    const rows = await suite.database.db.query<{ action: string; actor_id: string; impersonator: string; organization_id: string }>(
      'select action, actor_id, impersonator, organization_id from audit_events where impersonator is not null and actor_id = $1 order by id',
      [owner.id],
    );
    expect(rows).toEqual([
      { action: 'invitation.created', actor_id: owner.id, impersonator: 'support|agent-7', organization_id: orgId },
      { action: 'organization.created', actor_id: owner.id, impersonator: 'support|agent-7', organization_id: created.body.data.createOrganization.id },
      { action: 'membership.added', actor_id: owner.id, impersonator: 'support|agent-7', organization_id: created.body.data.createOrganization.id },
    ]);
    const listed = await suite.gql(AUDIT, { token: owner.token, variables: { id: orgId, first: 1 } });
    expect(listed.body.data.organization.auditEvents.edges[0].node).toMatchObject({ action: 'invitation.created', impersonator: 'support|agent-7' });
  });

  it('keeps the audit row and the change together: a refused change writes no row', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const ownerMembership = (await suite.database.db.query<{ id: string }>('select id from memberships where organization_id = $1', [orgId]))[0]!.id;
    expect(errorCode(await removeMember(suite, owner.token, ownerMembership))).toBe('FORBIDDEN');
    const rows = await suite.database.db.query('select 1 from audit_events where organization_id = $1', [orgId]);
    expect(rows).toHaveLength(2);
  });
});
