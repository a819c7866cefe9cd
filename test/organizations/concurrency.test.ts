// Races for the last OWNER, over HTTP in parallel: the organization row lock taken by every
// membership change makes them run one after another, so an OWNER always remains. On
// PostgreSQL (TEST_DATABASE_URL) these transactions really run concurrently.
import { describe, expect, it } from 'vitest';
import { errorCode, errorReason, membershipId, removeMember, rolesInDatabase, updateRole, useOrgSuite, type SignedInUser } from '../helpers/organizations.js';

const suite = useOrgSuite();
const ROUNDS = 6;

async function twoOwners(): Promise<{ orgId: string; a: SignedInUser; b: SignedInUser; ma: string; mb: string }> {
  const a = await suite.signIn();
  const b = await suite.signIn();
  const orgId = await suite.createOrg(a);
  const mb = await suite.addMember(a, orgId, b, 'OWNER');
  return { orgId, a, b, ma: await membershipId(suite, orgId, a.id), mb };
}

function ownersOf(roles: string[]): number {
  return roles.filter((r) => r === 'OWNER').length;
}

describe('last OWNER under concurrency', () => {
  it('two OWNERs demoting each other at once leave one OWNER', async () => {
    const orgs = await Promise.all(Array.from({ length: ROUNDS }, twoOwners));
    const results = await Promise.all(orgs.flatMap(({ a, b, ma, mb }) => [updateRole(suite, a.token, mb, 'MEMBER'), updateRole(suite, b.token, ma, 'MEMBER')]));
    for (const { orgId } of orgs) expect(ownersOf(await rolesInDatabase(suite, orgId))).toBe(1);
    // Per organization: one demotion succeeds; the other is refused (its caller is no longer an OWNER).
    for (let i = 0; i < orgs.length; i += 1) {
      const pair = results.slice(2 * i, 2 * i + 2);
      expect(pair.filter((r) => r.body.errors === undefined)).toHaveLength(1);
      expect(pair.filter((r) => r.body.errors !== undefined).map(errorCode)).toEqual(['FORBIDDEN']);
    }
  });

  it('two OWNERs leaving at once leave one OWNER', async () => {
    const orgs = await Promise.all(Array.from({ length: ROUNDS }, twoOwners));
    const results = await Promise.all(orgs.flatMap(({ a, b, ma, mb }) => [removeMember(suite, a.token, ma), removeMember(suite, b.token, mb)]));
    for (const { orgId } of orgs) expect(await rolesInDatabase(suite, orgId)).toEqual(['OWNER']);
    expect(results.filter((r) => r.body.errors === undefined)).toHaveLength(ROUNDS);
    expect(results.filter((r) => errorReason(r) === 'LAST_OWNER')).toHaveLength(ROUNDS);
  });

  it('an OWNER demoting itself while removing the other OWNER leaves one OWNER', async () => {
    const orgs = await Promise.all(Array.from({ length: ROUNDS }, twoOwners));
    await Promise.all(orgs.flatMap(({ a, ma, mb }) => [updateRole(suite, a.token, ma, 'ADMIN'), removeMember(suite, a.token, mb)]));
    for (const { orgId } of orgs) expect(ownersOf(await rolesInDatabase(suite, orgId))).toBeGreaterThanOrEqual(1);
  });

  it('two ADMIN changes of the same membership at once both apply in some order', async () => {
    const orgs = await Promise.all(
      Array.from({ length: ROUNDS }, async () => {
        const owner = await suite.signIn();
        const orgId = await suite.createOrg(owner);
        const admins = [await suite.signIn(), await suite.signIn()];
        for (const admin of admins) await suite.addMember(owner, orgId, admin, 'ADMIN');
        const target = await suite.signIn();
        return { orgId, admins, target: await suite.addMember(owner, orgId, target, 'MEMBER') };
      }),
    );
    const results = await Promise.all(orgs.flatMap(({ admins, target }) => [updateRole(suite, admins[0]!.token, target, 'ADMIN'), updateRole(suite, admins[1]!.token, target, 'MEMBER')]));
    expect(results.every((r) => r.body.errors === undefined)).toBe(true);
    for (const { orgId, target } of orgs) {
      const roles = await rolesInDatabase(suite, orgId);
      expect(ownersOf(roles)).toBe(1);
      expect(roles).toHaveLength(4);
      // The audit trail tells one consistent story ending in the stored role.
      const changes = await suite.database.db.query<{ details: { from: string; to: string } }>(
        "select details from audit_events where target_id = $1 and action = 'membership.role_changed' order by id",
        [target],
      );
      let role = 'MEMBER';
      for (const { details } of changes) {
        expect(details.from).toBe(role);
        role = details.to;
      }
      const stored = await suite.database.db.query<{ role: string }>('select role from memberships where id = $1', [target]);
      expect(stored[0]!.role).toBe(role);
    }
  });
});
