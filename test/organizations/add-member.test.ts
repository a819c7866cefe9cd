// addMember is provisioning: services holding organizations:admin only (users invite, OWNERs
// included); exactly one of userId / email; unknown organization or user → NOT_FOUND; an
// existing member → CONFLICT.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addMember, errorCode, errorReason, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const admin = () => suite.serviceToken(['organizations:admin']);

describe('addMember', () => {
  it('lets a service holding organizations:admin add a member with any role, audited', async () => {
    const owner = await suite.signIn();
    const bob = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    for (const role of ['ADMIN', 'OWNER']) {
      const user = role === 'ADMIN' ? bob : await suite.signIn();
      const result = await addMember(suite, await admin(), { organizationId: orgId, userId: user.id, role });
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.addMember).toMatchObject({ role, user: { id: user.id }, organization: { id: orgId } });
    }
    const audit = await suite.database.db.query<{ action: string; actor_type: string; details: any }>(
      "select action, actor_type, details from audit_events where organization_id = $1 and action = 'membership.added' order by id desc limit 1",
      [orgId],
    );
    expect(audit[0]).toMatchObject({ action: 'membership.added', actor_type: 'service', details: { role: 'OWNER', via: 'user_id' } });
  });

  it('refuses every user, an OWNER included: the email-reading attack fails', async () => {
    const owner = await suite.signIn();
    const victim = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    // The attack of issue 14: add the victim, read their email as a co-member, remove them.
    const attack = await suite.gql('mutation ($input: AddMemberInput!) { addMember(input: $input) { id user { id email } } }', {
      token: owner.token,
      variables: { input: { organizationId: orgId, userId: victim.id, role: 'MEMBER' } },
    });
    expect(errorCode(attack)).toBe('FORBIDDEN');
    expect(errorReason(attack)).toBe('missing_scope');
    expect(JSON.stringify(attack.body)).not.toContain(victim.email);
    const byEmail = await addMember(suite, owner.token, { organizationId: orgId, email: victim.email, role: 'MEMBER' });
    expect(errorCode(byEmail)).toBe('FORBIDDEN');
    expect(await suite.database.db.query('select 1 from memberships where user_id = $1', [victim.id])).toHaveLength(0);
    const read = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }', {
      token: owner.token,
      variables: { r: [{ __typename: 'User', id: victim.id }] },
    });
    expect(read.body.data._entities[0].email).toBeNull();
  });

  it('refuses a service without organizations:admin and an anonymous caller', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const user = await suite.signIn();
    const input = { organizationId: orgId, userId: user.id, role: 'MEMBER' };
    for (const scopes of [['organizations:read'], ['users:write', 'users:read'], []]) {
      expect(errorCode(await addMember(suite, await suite.serviceToken(scopes), input))).toBe('FORBIDDEN');
    }
    const anonymous = await suite.gql('mutation ($input: AddMemberInput!) { addMember(input: $input) { id } }', { variables: { input } });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    expect(await suite.database.db.query('select 1 from memberships where user_id = $1', [user.id])).toHaveLength(0);
  });

  it('requires exactly one of userId and email (BAD_USER_INPUT)', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const both = await addMember(suite, await admin(), { organizationId: orgId, userId: user.id, email: user.email, role: 'MEMBER' });
    expect(errorCode(both)).toBe('BAD_USER_INPUT');
    const neither = await addMember(suite, await admin(), { organizationId: orgId, role: 'MEMBER' });
    expect(errorCode(neither)).toBe('BAD_USER_INPUT');
    const malformed = await addMember(suite, await admin(), { organizationId: orgId, email: 'not an email', role: 'MEMBER' });
    expect(errorCode(malformed)).toBe('BAD_USER_INPUT');
  });

  it('answers NOT_FOUND for an unknown organization or user', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    for (const organizationId of [randomUUID(), 'nope']) {
      const result = await addMember(suite, await admin(), { organizationId, userId: user.id, role: 'MEMBER' });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
    for (const userId of [randomUUID(), 'nope']) {
      const result = await addMember(suite, await admin(), { organizationId: orgId, userId, role: 'MEMBER' });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
  });

  it('refuses to add an existing member again with CONFLICT, keeping the role', async () => {
    const owner = await suite.signIn();
    const user = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    expect((await addMember(suite, await admin(), { organizationId: orgId, userId: user.id, role: 'MEMBER' })).body.errors).toBeUndefined();
    const again = await addMember(suite, await admin(), { organizationId: orgId, userId: user.id, role: 'ADMIN' });
    expect(errorCode(again)).toBe('CONFLICT');
    expect(errorReason(again)).toBe('already_member');
    const byEmail = await addMember(suite, await admin(), { organizationId: orgId, email: user.email.toUpperCase(), role: 'ADMIN' });
    expect(errorCode(byEmail)).toBe('CONFLICT');
    const rows = await suite.database.db.query<{ role: string }>('select role from memberships where organization_id = $1 and user_id = $2', [orgId, user.id]);
    expect(rows).toEqual([{ role: 'MEMBER' }]);
  });
});
