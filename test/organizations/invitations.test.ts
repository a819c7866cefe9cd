// Users join by consent: an invitation names an address, creates no user, reveals nothing
// about it, and only the invitee (that address, verified) can accept it.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  acceptInvitation,
  AUDIENCE,
  errorCode,
  errorReason,
  inviteMember,
  membershipId,
  rolesInDatabase,
  useOrgSuite,
  type SignedInUser,
} from '../helpers/organizations.js';

let recording: string[] | null = null;
const suite = useOrgSuite({ onQuery: (text) => recording?.push(text) });

async function countUsers(): Promise<number> {
  return Number((await suite.database.db.query<{ n: number }>('select count(*)::int as n from users'))[0]!.n);
}

/** A user signed in with `email` unverified (nobody holds it verified). */
async function signInUnverified(email: string): Promise<SignedInUser> {
  return suite.signIn({ email, email_verified: false });
}

/** The answer without what differs by nature (ids, times, the address typed). */
function shape(result: Awaited<ReturnType<typeof inviteMember>>) {
  const { id, expiresAt, email, ...rest } = result.body.data.inviteMember;
  return { status: result.status, errors: result.body.errors, id: typeof id, expiresAt: typeof expiresAt, email: typeof email, ...rest };
}

describe('inviteMember', () => {
  it('answers an address with an account, one without and a member alike, creating no user and reading none', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const existing = await suite.signIn();
    const member = await suite.signIn();
    await suite.addMember(owner, orgId, member, 'MEMBER');
    const nobody = `nobody-${randomUUID()}@example.com`;
    const before = await countUsers();
    const answers = [];
    const statements: string[][] = [];
    for (const email of [existing.email, nobody, member.email]) {
      recording = [];
      answers.push(await inviteMember(suite, owner.token, { organizationId: orgId, email, role: 'MEMBER' }));
      statements.push(recording.filter((text) => !/identities/.test(text)));
      recording = null;
    }
    expect(answers[0]!.body.errors).toBeUndefined();
    expect(shape(answers[1]!)).toEqual(shape(answers[0]!));
    expect(shape(answers[2]!)).toEqual(shape(answers[0]!));
    expect(Object.keys(answers[0]!.body.data.inviteMember).sort()).toEqual(['email', 'expiresAt', 'id', 'organization', 'role', 'status']);
    // The same statements whatever the address, and none of them looks at users.
    expect(statements[1]).toEqual(statements[0]);
    expect(statements[2]).toEqual(statements[0]);
    for (const text of statements.flat()) expect(text).not.toMatch(/\busers\b/);
    expect(await countUsers()).toBe(before);
    expect(await suite.database.db.query('select 1 from users where email = $1', [nobody])).toHaveLength(0);
    // Until accepted, the invitee is not a member and nothing of theirs shows.
    const org = await suite.gql('query ($id: ID!) { organization(id: $id) { members { user { id } } invitations { email } } }', {
      token: owner.token,
      variables: { id: orgId },
    });
    expect(org.body.data.organization.members.map((m: any) => m.user.id)).not.toContain(existing.id);
    const entities = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email name } } }', {
      token: owner.token,
      variables: { r: [{ __typename: 'User', id: existing.id }] },
    });
    expect(entities.body.data._entities[0].email).toBeNull();
  });

  it('stores the address trimmed and lower-cased; a malformed one is BAD_USER_INPUT', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `mixed-${randomUUID()}@example.com`;
    const invited = await inviteMember(suite, owner.token, { organizationId: orgId, email: `  ${email.toUpperCase()} `, role: 'ADMIN' });
    expect(invited.body.data.inviteMember).toMatchObject({ email, role: 'ADMIN', status: 'PENDING', organization: { id: orgId } });
    for (const bad of ['not an email', '', '   ', 'a@b', `${'x'.repeat(250)}@example.com`]) {
      const result = await inviteMember(suite, owner.token, { organizationId: orgId, email: bad, role: 'MEMBER' });
      expect(errorCode(result), bad).toBe('BAD_USER_INPUT');
    }
  });

  it('renews a pending invitation to the same address instead of adding a second', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `again-${randomUUID()}@example.com`;
    const first = await inviteMember(suite, owner.token, { organizationId: orgId, email, role: 'MEMBER' });
    const second = await inviteMember(suite, owner.token, { organizationId: orgId, email: email.toUpperCase(), role: 'ADMIN' });
    expect(second.body.data.inviteMember).toMatchObject({ id: first.body.data.inviteMember.id, role: 'ADMIN', status: 'PENDING' });
    expect(await suite.database.db.query('select 1 from invitations where organization_id = $1', [orgId])).toHaveLength(1);
    const concurrent = await Promise.all(
      ['MEMBER', 'ADMIN', 'MEMBER'].map((role) => inviteMember(suite, owner.token, { organizationId: orgId, email: `race-${email}`, role })),
    );
    expect(new Set(concurrent.map((r) => r.body.data.inviteMember.id)).size).toBe(1);
  });

  it('lets OWNER and ADMIN invite, only an OWNER invite an OWNER; MEMBERs, strangers and services are refused', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const stranger = await suite.signIn();
    const email = () => `x-${randomUUID()}@example.com`;
    for (const role of ['MEMBER', 'ADMIN']) {
      expect((await inviteMember(suite, admin.token, { organizationId: orgId, email: email(), role })).body.errors).toBeUndefined();
    }
    const adminOwner = await inviteMember(suite, admin.token, { organizationId: orgId, email: email(), role: 'OWNER' });
    expect([errorCode(adminOwner), errorReason(adminOwner)]).toEqual(['FORBIDDEN', 'owner_required']);
    for (const caller of [member, stranger]) {
      const refused = await inviteMember(suite, caller.token, { organizationId: orgId, email: email(), role: 'MEMBER' });
      expect([errorCode(refused), errorReason(refused)]).toEqual(['FORBIDDEN', 'role_required']);
    }
    const service = await inviteMember(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, email: email(), role: 'MEMBER' });
    expect(errorCode(service)).toBe('FORBIDDEN');
    expect(errorCode(await inviteMember(suite, undefined, { organizationId: orgId, email: email(), role: 'MEMBER' }))).toBe('UNAUTHENTICATED');
    expect(await suite.database.db.query("select 1 from invitations where organization_id = $1 and status = 'PENDING'", [orgId])).toHaveLength(2);

    const second = await suite.signIn();
    await suite.addMember(owner, orgId, second, 'OWNER');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['ADMIN', 'MEMBER', 'OWNER', 'OWNER']);
  });
});

describe('acceptInvitation', () => {
  it('admits only the invitee with the address verified; everyone else gets FORBIDDEN and nothing changes', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `invitee-${randomUUID()}@example.com`;
    const id = (await inviteMember(suite, owner.token, { organizationId: orgId, email, role: 'ADMIN' })).body.data.inviteMember.id;
    const unverified = await signInUnverified(email.toUpperCase());
    const other = await suite.signIn();
    const refusals = [
      await acceptInvitation(suite, unverified.token, id),
      await acceptInvitation(suite, other.token, id),
      await acceptInvitation(suite, owner.token, id),
      await acceptInvitation(suite, other.token, randomUUID()),
      await acceptInvitation(suite, other.token, 'not-a-uuid'),
    ];
    // Unknown ids and someone else's answer alike: nothing tells them apart.
    for (const refused of refusals) {
      expect([refused.status, errorCode(refused), errorReason(refused)]).toEqual([refusals[0]!.status, 'FORBIDDEN', 'not_invitee']);
      expect(refused.body.errors![0]!.message).toBe(refusals[0]!.body.errors![0]!.message);
    }
    expect(errorCode(await acceptInvitation(suite, await suite.serviceToken(['organizations:admin']), id))).toBe('FORBIDDEN');
    expect(errorCode(await acceptInvitation(suite, undefined, id))).toBe('UNAUTHENTICATED');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);

    const invitee = await suite.signIn({ email });
    const accepted = await acceptInvitation(suite, invitee.token, id);
    expect(accepted.body.data.acceptInvitation).toMatchObject({ role: 'ADMIN', user: { id: invitee.id }, organization: { id: orgId } });
    // Now a member: co-members see each other's email.
    const entities = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }', {
      token: owner.token,
      variables: { r: [{ __typename: 'User', id: invitee.id }] },
    });
    expect(entities.body.data._entities[0].email).toBe(email);
    const audit = await suite.database.db.query<{ action: string; actor_id: string }>(
      "select action, actor_id from audit_events where organization_id = $1 and action in ('invitation.accepted', 'membership.added') order by id",
      [orgId],
    );
    expect(audit.slice(-2)).toEqual([
      { action: 'invitation.accepted', actor_id: invitee.id },
      { action: 'membership.added', actor_id: invitee.id },
    ]);
  });

  it('creates one membership when accepted twice, also at once, and keeps the role of one already a member', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    const results = await Promise.all(Array.from({ length: 4 }, () => acceptInvitation(suite, invitee.token, id)));
    for (const result of results) expect(result.body.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.body.data.acceptInvitation.id)).size).toBe(1);
    expect(await suite.database.db.query('select 1 from memberships where organization_id = $1 and user_id = $2', [orgId, invitee.id])).toHaveLength(1);

    // The OWNER invited as a MEMBER is not demoted by accepting.
    const again = await suite.invite(owner, orgId, owner.email, 'MEMBER');
    const kept = await acceptInvitation(suite, owner.token, again);
    expect(kept.body.data.acceptInvitation).toMatchObject({ id: await membershipId(suite, orgId, owner.id), role: 'OWNER' });
  });

  it('does not re-admit a member removed after accepting the same invitation', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    const membership = (await acceptInvitation(suite, invitee.token, id)).body.data.acceptInvitation.id;
    const removed = await suite.gql('mutation ($id: ID!) { removeMember(membershipId: $id) }', { token: owner.token, variables: { id: membership } });
    expect(removed.body.data.removeMember).toBe(true);
    const replay = await acceptInvitation(suite, invitee.token, id);
    expect([errorCode(replay), errorReason(replay)]).toEqual(['FORBIDDEN', 'invitation_not_pending']);
    expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);
  });

  it('shows the invitation to whoever signs in later with the address verified, who accepts it', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const email = `later-${randomUUID()}@example.com`;
    const id = await suite.invite(owner, orgId, email, 'MEMBER');
    const token = await suite.issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true });
    const listed = await suite.gql('{ viewer { invitations { id role organization { id name } } } }', { token });
    expect(listed.body.data.viewer.invitations).toEqual([{ id, role: 'MEMBER', organization: { id: orgId, name: expect.any(String) } }]);
    expect((await acceptInvitation(suite, token, id)).body.errors).toBeUndefined();
    expect((await suite.gql('{ viewer { invitations { id } } }', { token })).body.data.viewer.invitations).toEqual([]);
  });
});
