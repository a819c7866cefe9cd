// An invitation after it is sent: listed to OWNER/ADMIN and to the invitee, declined by the
// invitee, revoked by OWNER/ADMIN, expired after INVITATION_TTL_HOURS (the clock is moved,
// never waited for). Audit rows never name the invitee before acceptance.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acceptInvitation,
  declineInvitation,
  errorCode,
  errorReason,
  inviteMember,
  revokeInvitation,
  rolesInDatabase,
  useOrgSuite,
} from '../helpers/organizations.js';

let clockOffsetMs = 0;
const suite = useOrgSuite({ now: () => Date.now() + clockOffsetMs });
const HOUR = 3_600_000;
afterEach(() => {
  clockOffsetMs = 0;
});

const ORG_INVITATIONS = 'query ($id: ID!) { organization(id: $id) { invitations { id email role status expiresAt } } }';
const VIEWER_INVITATIONS = '{ viewer { invitations { id email status organization { id } } } }';

async function orgInvitations(token: string, orgId: string): Promise<any[] | null> {
  const result = await suite.gql(ORG_INVITATIONS, { token, variables: { id: orgId } });
  expect(result.body.errors).toBeUndefined();
  return result.body.data.organization?.invitations ?? null;
}

async function viewerInvitations(token: string): Promise<any[]> {
  return (await suite.gql(VIEWER_INVITATIONS, { token })).body.data.viewer.invitations;
}

describe('invitation visibility', () => {
  it('lists pending invitations to OWNER and ADMIN only, and to the verified invitee as viewer', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const invitee = await suite.signIn();
    const id = await suite.invite(admin, orgId, invitee.email, 'MEMBER');
    for (const reader of [owner, admin]) {
      expect(await orgInvitations(reader.token, orgId)).toEqual([
        { id, email: invitee.email, role: 'MEMBER', status: 'PENDING', expiresAt: expect.any(String) },
      ]);
    }
    expect(await orgInvitations(member.token, orgId)).toEqual([]);
    const reader = await suite.gql(ORG_INVITATIONS, { token: await suite.serviceToken(['organizations:read']), variables: { id: orgId } });
    expect(reader.body.data.organization.invitations).toEqual([]);
    expect(await viewerInvitations(invitee.token)).toEqual([{ id, email: invitee.email, status: 'PENDING', organization: { id: orgId } }]);
    // Another user's invitations are never shown, nor those to an unverified copy of the address.
    const entities = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { invitations { id } } } }', {
      token: owner.token,
      variables: { r: [{ __typename: 'User', id: invitee.id }] },
    });
    expect(entities.body.data._entities[0].invitations).toEqual([]);
    const unproved = `unproved-${randomUUID()}@example.com`;
    const unverified = await suite.signIn({ email: unproved, email_verified: false });
    await suite.invite(owner, orgId, unproved, 'MEMBER');
    expect(await viewerInvitations(unverified.token)).toEqual([]);
  });

  it('writes audit rows that name neither the invitee nor the address before acceptance', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const declined = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    expect((await declineInvitation(suite, invitee.token, declined)).body.data.declineInvitation).toBe(true);
    const revoked = await suite.invite(owner, orgId, invitee.email, 'ADMIN');
    expect((await revokeInvitation(suite, owner.token, revoked)).body.data.revokeInvitation).toBe(true);
    const rows = await suite.database.db.query<{ action: string; actor_id: string | null; target_type: string; details: unknown }>(
      "select action, actor_id, target_type, details from audit_events where organization_id = $1 and action like 'invitation.%' order by id",
      [orgId],
    );
    expect(rows.map((r) => [r.action, r.actor_id])).toEqual([
      ['invitation.created', owner.id],
      ['invitation.declined', null],
      ['invitation.created', owner.id],
      ['invitation.revoked', owner.id],
    ]);
    for (const row of rows) {
      expect(row.target_type).toBe('Invitation');
      expect(JSON.stringify(row)).not.toContain(invitee.id);
      expect(JSON.stringify(row)).not.toContain(invitee.email);
    }
  });
});

describe('declineInvitation', () => {
  it('lets the invitee decline, after which nobody can accept it; anyone else is refused', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const other = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    for (const caller of [other, owner]) {
      const refused = await declineInvitation(suite, caller.token, id);
      expect([errorCode(refused), errorReason(refused)]).toEqual(['FORBIDDEN', 'not_invitee']);
    }
    expect(errorReason(await declineInvitation(suite, other.token, randomUUID()))).toBe('not_invitee');
    expect((await declineInvitation(suite, invitee.token, id)).body.data.declineInvitation).toBe(true);
    expect((await declineInvitation(suite, invitee.token, id)).body.data.declineInvitation).toBe(true);
    expect(await orgInvitations(owner.token, orgId)).toEqual([]);
    expect(await viewerInvitations(invitee.token)).toEqual([]);
    const late = await acceptInvitation(suite, invitee.token, id);
    expect([errorCode(late), errorReason(late)]).toEqual(['FORBIDDEN', 'invitation_not_pending']);
    expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);
    // A declined address can be invited again.
    const again = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    expect(again).not.toBe(id);
    expect((await acceptInvitation(suite, invitee.token, again)).body.errors).toBeUndefined();
  });
});

describe('revokeInvitation', () => {
  it('lets OWNER and ADMIN revoke; MEMBERs, strangers and unknown ids are refused alike', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const stranger = await suite.signIn();
    const invitee = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'OWNER');
    for (const [caller, target] of [[member, id], [stranger, id], [owner, randomUUID()], [owner, 'nope']] as const) {
      const refused = await revokeInvitation(suite, caller.token, target);
      expect([errorCode(refused), errorReason(refused)]).toEqual(['FORBIDDEN', 'role_required']);
    }
    expect((await revokeInvitation(suite, admin.token, id)).body.data.revokeInvitation).toBe(true);
    expect(await orgInvitations(owner.token, orgId)).toEqual([]);
    const late = await acceptInvitation(suite, invitee.token, id);
    expect([errorCode(late), errorReason(late)]).toEqual(['FORBIDDEN', 'invitation_not_pending']);
    expect(await rolesInDatabase(suite, orgId)).toEqual(['ADMIN', 'MEMBER', 'OWNER']);
  });

  it('refuses to revoke an accepted invitation', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'MEMBER');
    expect((await acceptInvitation(suite, invitee.token, id)).body.errors).toBeUndefined();
    const refused = await revokeInvitation(suite, owner.token, id);
    expect([errorCode(refused), errorReason(refused)]).toEqual(['FORBIDDEN', 'invitation_not_pending']);
  });
});

describe('invitation expiry', () => {
  it('expires after INVITATION_TTL_HOURS (168): unlisted, refused to the invitee, renewed by a new invite', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitee = await suite.signIn();
    const sent = Date.now();
    const invited = await inviteMember(suite, owner.token, { organizationId: orgId, email: invitee.email, role: 'ADMIN' });
    const { id, expiresAt } = invited.body.data.inviteMember;
    expect(Math.abs(new Date(expiresAt).getTime() - (sent + 168 * HOUR))).toBeLessThan(60_000);

    clockOffsetMs = 167 * HOUR;
    expect(await viewerInvitations(invitee.token)).toHaveLength(1);
    clockOffsetMs = 168 * HOUR + 60_000;
    expect(await orgInvitations(owner.token, orgId)).toEqual([]);
    expect(await viewerInvitations(invitee.token)).toEqual([]);
    for (const answer of [acceptInvitation, declineInvitation]) {
      const refused = await answer(suite, invitee.token, id);
      expect([errorCode(refused), errorReason(refused)]).toEqual(['FORBIDDEN', 'invitation_expired']);
    }
    // A stranger still learns nothing about it.
    expect(errorReason(await acceptInvitation(suite, owner.token, id))).toBe('not_invitee');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);

    const renewed = await inviteMember(suite, owner.token, { organizationId: orgId, email: invitee.email, role: 'MEMBER' });
    expect(renewed.body.data.inviteMember).toMatchObject({ id, status: 'PENDING', role: 'MEMBER' });
    expect(new Date(renewed.body.data.inviteMember.expiresAt).getTime()).toBeGreaterThan(Date.now() + clockOffsetMs + 167 * HOUR);
    expect((await acceptInvitation(suite, invitee.token, id)).body.data.acceptInvitation.role).toBe('MEMBER');
  });
});

// No resolver refreshes anything after a change: once a mutation field has resolved, whatever the
// request read before (memberships, invitations, the viewer's row) is read again.
describe('one operation that reads, changes and reads again', () => {
  it('sees the membership and invitation its own acceptInvitation made, in the same request', async () => {
    const { orgId, owner } = await suite.staffedOrg();
    const invitee = await suite.signIn();
    const id = await suite.invite(owner, orgId, invitee.email, 'ADMIN');
    const VIEW = 'user { id memberships { role organization { id } } invitations { id } }';
    const result = await suite.gql(`mutation ($id: ID!) { before: ensureUser { ${VIEW} } accept: acceptInvitation(id: $id) { id } after: ensureUser { ${VIEW} } }`, {
      token: invitee.token,
      variables: { id },
    });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.before.user).toEqual({ id: invitee.id, memberships: [], invitations: [{ id }] });
    expect(result.body.data.after.user).toEqual({ id: invitee.id, memberships: [{ role: 'ADMIN', organization: { id: orgId } }], invitations: [] });
  });
});
