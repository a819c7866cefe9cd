// addMember: OWNER and ADMIN add members; only an OWNER adds an OWNER; exactly one of
// userId / email; unknown organization or user → NOT_FOUND; an existing member → CONFLICT.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addMember, errorCode, errorReason, useOrgSuite } from './setup.js';

const suite = useOrgSuite();

describe('addMember', () => {
  it('lets an OWNER add a member with the given role, audited', async () => {
    const owner = await suite.signIn();
    const bob = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const result = await addMember(suite, owner.token, { organizationId: orgId, userId: bob.id, role: 'ADMIN' });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.addMember).toMatchObject({ role: 'ADMIN', user: { id: bob.id }, organization: { id: orgId } });
    const audit = await suite.database.db.query<{ action: string; target_id: string }>(
      "select action, target_id from audit_events where organization_id = $1 and action = 'membership.added' order by id desc limit 1",
      [orgId],
    );
    expect(audit[0]).toEqual({ action: 'membership.added', target_id: result.body.data.addMember.id });
  });

  it('lets an ADMIN add MEMBERs and ADMINs but not an OWNER', async () => {
    const owner = await suite.signIn();
    const admin = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    await suite.addMember(owner, orgId, admin, 'ADMIN');
    for (const role of ['MEMBER', 'ADMIN']) {
      const user = await suite.signIn();
      const result = await addMember(suite, admin.token, { organizationId: orgId, userId: user.id, role });
      expect(result.body.data?.addMember.role).toBe(role);
    }
    const would = await suite.signIn();
    const refused = await addMember(suite, admin.token, { organizationId: orgId, userId: would.id, role: 'OWNER' });
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorReason(refused)).toBe('OWNER_REQUIRED');
  });

  it('lets an OWNER add another OWNER', async () => {
    const owner = await suite.signIn();
    const second = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const result = await addMember(suite, owner.token, { organizationId: orgId, userId: second.id, role: 'OWNER' });
    expect(result.body.data.addMember.role).toBe('OWNER');
  });

  it('refuses a MEMBER and a stranger with FORBIDDEN', async () => {
    const owner = await suite.signIn();
    const member = await suite.signIn();
    const stranger = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    await suite.addMember(owner, orgId, member, 'MEMBER');
    const newcomer = await suite.signIn();
    for (const caller of [member, stranger]) {
      const result = await addMember(suite, caller.token, { organizationId: orgId, userId: newcomer.id, role: 'MEMBER' });
      expect(errorCode(result)).toBe('FORBIDDEN');
    }
    const rows = await suite.database.db.query('select 1 from memberships where user_id = $1', [newcomer.id]);
    expect(rows).toHaveLength(0);
  });

  it('refuses a service principal and an anonymous caller', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const user = await suite.signIn();
    const input = { organizationId: orgId, userId: user.id, role: 'MEMBER' };
    expect(errorCode(await addMember(suite, await suite.serviceToken(['organizations:admin']), input))).toBe('FORBIDDEN');
    const anonymous = await suite.gql('mutation ($input: AddMemberInput!) { addMember(input: $input) { id } }', { variables: { input } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('requires exactly one of userId and email (BAD_USER_INPUT)', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const both = await addMember(suite, owner.token, { organizationId: orgId, userId: user.id, email: user.email, role: 'MEMBER' });
    expect(errorCode(both)).toBe('BAD_USER_INPUT');
    const neither = await addMember(suite, owner.token, { organizationId: orgId, role: 'MEMBER' });
    expect(errorCode(neither)).toBe('BAD_USER_INPUT');
    const malformed = await addMember(suite, owner.token, { organizationId: orgId, email: 'not an email', role: 'MEMBER' });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for an unknown organization or user', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    for (const organizationId of [randomUUID(), 'nope']) {
      const result = await addMember(suite, owner.token, { organizationId, userId: user.id, role: 'MEMBER' });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
    for (const userId of [randomUUID(), 'nope']) {
      const result = await addMember(suite, owner.token, { organizationId: orgId, userId, role: 'MEMBER' });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
  });

  it('refuses to add an existing member again with CONFLICT, keeping the role', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    await suite.addMember(owner, orgId, user, 'MEMBER');
    const again = await addMember(suite, owner.token, { organizationId: orgId, userId: user.id, role: 'ADMIN' });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(errorReason(again)).toBe('ALREADY_MEMBER');
    const byEmail = await addMember(suite, owner.token, { organizationId: orgId, email: user.email.toUpperCase(), role: 'ADMIN' });
    expect(errorCode(byEmail)).toBe('CONFLICT');
    const rows = await suite.database.db.query<{ role: string }>('select role from memberships where organization_id = $1 and user_id = $2', [orgId, user.id]);
    expect(rows).toEqual([{ role: 'MEMBER' }]);
  });
});
