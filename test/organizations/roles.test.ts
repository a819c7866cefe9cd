// updateMemberRole / removeMember: OWNER and ADMIN manage members; only an OWNER makes or
// unmakes an OWNER; the last OWNER is neither demoted nor removed; a member may leave.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode, errorReason, membershipId, removeMember, rolesInDatabase, updateRole, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();

async function orgWith(roles: string[]) {
  const owner = await suite.signIn();
  const orgId = await suite.createOrg(owner);
  const others = [];
  for (const role of roles) {
    const user = await suite.signIn();
    const id = await suite.addMember(owner, orgId, user, role);
    others.push({ user, membership: id });
  }
  return { owner, ownerMembership: await membershipId(suite, orgId, owner.id), orgId, others };
}

describe('updateMemberRole', () => {
  it('lets an ADMIN change a MEMBER to ADMIN and back, audited with from/to', async () => {
    const { orgId, others } = await orgWith(['ADMIN', 'MEMBER']);
    const [admin, member] = others;
    const up = await updateRole(suite, admin!.user.token, member!.membership, 'ADMIN');
    expect(up.body.data.updateMemberRole).toEqual({ id: member!.membership, role: 'ADMIN' });
    const down = await updateRole(suite, admin!.user.token, member!.membership, 'MEMBER');
    expect(down.body.data.updateMemberRole.role).toBe('MEMBER');
    const audit = await suite.database.db.query<{ details: any }>(
      "select details from audit_events where organization_id = $1 and action = 'membership.role_changed' order by id",
      [orgId],
    );
    expect(audit.map((a) => [a.details.from, a.details.to])).toEqual([['MEMBER', 'ADMIN'], ['ADMIN', 'MEMBER']]);
  });

  it('refuses an ADMIN promoting to OWNER or changing an OWNER (owner_required)', async () => {
    const { ownerMembership, others } = await orgWith(['ADMIN', 'MEMBER', 'OWNER']);
    const [admin, member, secondOwner] = others;
    const promote = await updateRole(suite, admin!.user.token, member!.membership, 'OWNER');
    expect(errorCode(promote)).toBe('FORBIDDEN');
    expect(errorReason(promote)).toBe('owner_required');
    const self = await updateRole(suite, admin!.user.token, admin!.membership, 'OWNER');
    expect(errorReason(self)).toBe('owner_required');
    for (const target of [ownerMembership, secondOwner!.membership]) {
      const demote = await updateRole(suite, admin!.user.token, target, 'ADMIN');
      expect(errorCode(demote)).toBe('FORBIDDEN');
      expect(errorReason(demote)).toBe('owner_required');
    }
  });

  it('lets an OWNER make and unmake an OWNER while another OWNER remains', async () => {
    const { owner, ownerMembership, orgId, others } = await orgWith(['MEMBER']);
    const [member] = others;
    const promote = await updateRole(suite, owner.token, member!.membership, 'OWNER');
    expect(promote.body.data.updateMemberRole.role).toBe('OWNER');
    const demoteSelf = await updateRole(suite, owner.token, ownerMembership, 'MEMBER');
    expect(demoteSelf.body.data.updateMemberRole.role).toBe('MEMBER');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['MEMBER', 'OWNER']);
  });

  it('refuses to demote the last OWNER (FORBIDDEN, LAST_OWNER)', async () => {
    const { owner, ownerMembership, orgId } = await orgWith(['ADMIN']);
    const result = await updateRole(suite, owner.token, ownerMembership, 'ADMIN');
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(errorReason(result)).toBe('LAST_OWNER');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['ADMIN', 'OWNER']);
  });

  it('refuses a MEMBER changing anyone, itself included', async () => {
    const { others } = await orgWith(['MEMBER', 'MEMBER']);
    const [member, other] = others;
    for (const target of [member!.membership, other!.membership]) {
      const result = await updateRole(suite, member!.user.token, target, 'ADMIN');
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(errorReason(result)).toBe('role_required');
    }
  });

  it('answers NOT_FOUND for an unknown membership', async () => {
    const owner = await suite.signIn();
    for (const id of [randomUUID(), 'bogus']) expect(errorCode(await updateRole(suite, owner.token, id, 'ADMIN'))).toBe('NOT_FOUND');
  });

  it('refuses a stranger to another organization', async () => {
    const { others } = await orgWith(['MEMBER']);
    const elsewhere = await orgWith([]);
    const result = await updateRole(suite, elsewhere.owner.token, others[0]!.membership, 'ADMIN');
    expect(errorCode(result)).toBe('FORBIDDEN');
  });
});

describe('removeMember', () => {
  it('lets an ADMIN remove a MEMBER, audited', async () => {
    const { orgId, others } = await orgWith(['ADMIN', 'MEMBER']);
    const [admin, member] = others;
    const result = await removeMember(suite, admin!.user.token, member!.membership);
    expect(result.body.data.removeMember).toBe(true);
    expect(await rolesInDatabase(suite, orgId)).toEqual(['ADMIN', 'OWNER']);
    const audit = await suite.database.db.query<{ target_id: string }>(
      "select target_id from audit_events where organization_id = $1 and action = 'membership.removed'",
      [orgId],
    );
    expect(audit).toEqual([{ target_id: member!.membership }]);
  });

  it('refuses an ADMIN removing an OWNER', async () => {
    const { ownerMembership, others } = await orgWith(['ADMIN', 'OWNER']);
    for (const target of [ownerMembership, others[1]!.membership]) {
      const result = await removeMember(suite, others[0]!.user.token, target);
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(errorReason(result)).toBe('owner_required');
    }
  });

  it('lets an OWNER remove another OWNER, but never the last one', async () => {
    const { owner, ownerMembership, orgId, others } = await orgWith(['OWNER']);
    const removed = await removeMember(suite, owner.token, others[0]!.membership);
    expect(removed.body.data.removeMember).toBe(true);
    const last = await removeMember(suite, owner.token, ownerMembership);
    expect(errorCode(last)).toBe('FORBIDDEN');
    expect(errorReason(last)).toBe('LAST_OWNER');
    expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);
  });

  it('lets a MEMBER leave, but not remove someone else', async () => {
    const { orgId, others } = await orgWith(['MEMBER', 'MEMBER']);
    const [leaver, other] = others;
    expect(errorCode(await removeMember(suite, leaver!.user.token, other!.membership))).toBe('FORBIDDEN');
    const left = await removeMember(suite, leaver!.user.token, leaver!.membership);
    expect(left.body.data.removeMember).toBe(true);
    expect(await rolesInDatabase(suite, orgId)).toEqual(['MEMBER', 'OWNER']);
  });

  it('refuses the last OWNER leaving', async () => {
    const { owner, ownerMembership } = await orgWith([]);
    const result = await removeMember(suite, owner.token, ownerMembership);
    expect(errorReason(result)).toBe('LAST_OWNER');
  });

  it('answers NOT_FOUND for an unknown or already removed membership', async () => {
    const { owner, others } = await orgWith(['MEMBER']);
    expect((await removeMember(suite, owner.token, others[0]!.membership)).body.data.removeMember).toBe(true);
    expect(errorCode(await removeMember(suite, owner.token, others[0]!.membership))).toBe('NOT_FOUND');
    expect(errorCode(await removeMember(suite, owner.token, 'bogus'))).toBe('NOT_FOUND');
  });
});
