// JIT membership: a token whose org_id matches a binding (same issuer, same external
// organization) gets a membership with jitRole on its very first request; afterwards the
// database alone holds that member's role, and whether they are a member at all.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClaims } from '../../src/domain/types.js';
import { createUserStore } from '../../src/db/userStore.js';
import { createIdentityService } from '../../src/services/identity.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { acceptInvitation, AUDIENCE, removeMember, setSso, updateRole, useOrgSuite } from '../helpers/organizations.js';

// A second issuer whose tokens may carry the same org_id: a binding names one issuer only.
let other: TestIssuer;
beforeAll(async () => {
  other = await startTestIssuer();
});
afterAll(async () => {
  await other?.close();
});
const suite = useOrgSuite({ issuers: (issuer) => [issuerConfig(issuer, { name: 'test' }), issuerConfig(other, { name: 'other' })] });

async function boundOrg(jitRole?: string) {
  const owner = await suite.signIn();
  const orgId = await suite.createOrg(owner);
  const external = `org_${randomUUID()}`;
  const result = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, issuer: 'test', externalOrganizationId: external, domains: [], ...(jitRole ? { jitRole } : {}) });
  expect(result.body.errors).toBeUndefined();
  return { owner, orgId, external };
}

async function memberships(userSubject: string) {
  return suite.database.db.query<{ organization_id: string; role: string; id: string }>(
    'select m.id, m.organization_id, m.role from memberships m join identities i on i.user_id = m.user_id where i.subject = $1',
    [userSubject],
  );
}

describe('JIT membership', () => {
  it('creates the membership with jitRole on the very first request, whatever the query', async () => {
    const { orgId, external } = await boundOrg('ADMIN');
    const sub = `sso|${randomUUID()}`;
    const token = await suite.issuer.sign({ sub, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, org_id: external });
    const first = await suite.gql('{ __typename }', { token });
    expect(first.body.data).toEqual({ __typename: 'Query' });
    expect(await memberships(sub)).toMatchObject([{ organization_id: orgId, role: 'ADMIN' }]);
    const audit = await suite.database.db.query<{ details: any }>("select details from audit_events where organization_id = $1 and action = 'membership.added' and details->>'via' = 'sso_jit'", [orgId]);
    expect(audit).toHaveLength(1);
  });

  it('defaults jitRole to MEMBER', async () => {
    const { orgId, external } = await boundOrg();
    const sub = `sso|${randomUUID()}`;
    const token = await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external });
    const viewer = await suite.gql('{ viewer { memberships { role organization { id } } } }', { token });
    expect(viewer.body.data.viewer.memberships).toEqual([{ role: 'MEMBER', organization: { id: orgId } }]);
  });

  it('never overwrites a role changed in the database with a later token', async () => {
    const { owner, orgId, external } = await boundOrg('MEMBER');
    const sub = `sso|${randomUUID()}`;
    await suite.gql('{ __typename }', { token: await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external, name: 'First' }) });
    const [membership] = await memberships(sub);
    expect((await updateRole(suite, owner.token, membership!.id, 'ADMIN')).body.data.updateMemberRole.role).toBe('ADMIN');
    // A changed profile forces the sign-in path that re-checks the JIT membership.
    const later = await suite.gql('{ viewer { memberships { role } } }', { token: await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external, name: 'Second', role: 'MEMBER' }) });
    expect(later.body.data.viewer.memberships).toEqual([{ role: 'ADMIN' }]);
    expect(await memberships(sub)).toMatchObject([{ role: 'ADMIN' }]);
  });

  it('adds an existing user on a later sign-in once the binding exists', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const external = `org_${randomUUID()}`;
    const sub = `sso|${randomUUID()}`;
    await suite.gql('{ __typename }', { token: await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external, name: 'Before' }) });
    expect(await memberships(sub)).toEqual([]);
    const bound = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, issuer: 'test', externalOrganizationId: external, domains: [] });
    expect(bound.body.errors).toBeUndefined();
    await suite.gql('{ __typename }', { token: await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external, name: 'After' }) });
    expect(await memberships(sub)).toMatchObject([{ organization_id: orgId, role: 'MEMBER' }]);
  });

  it('ignores an org_id from another issuer, or one that no binding names', async () => {
    const { external } = await boundOrg('MEMBER');
    const fromOther = `sso|${randomUUID()}`;
    await suite.gql('{ __typename }', { token: await other.sign({ sub: fromOther, aud: AUDIENCE, org_id: external }) });
    expect(await suite.database.db.query('select 1 from identities where subject = $1 and provider = $2', [fromOther, 'other'])).toHaveLength(1);
    expect(await memberships(fromOther)).toEqual([]);
    const unknown = `sso|${randomUUID()}`;
    await suite.gql('{ __typename }', { token: await suite.issuer.sign({ sub: unknown, aud: AUDIENCE, org_id: `org_${randomUUID()}` }) });
    expect(await memberships(unknown)).toEqual([]);
  });
});

describe('JIT membership happens once', () => {
  /** A fresh SSO identity's token for `external`; `name` varies to force the sign-in sync path. */
  function ssoToken(sub: string, email: string, external: string, name: string) {
    return suite.issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, org_id: external, name });
  }

  it('never re-creates a membership an admin removed, on later sign-ins, nor for another identity of that user', async () => {
    const { owner, orgId, external } = await boundOrg('MEMBER');
    const sub = `sso|${randomUUID()}`;
    const email = `sso-${randomUUID()}@example.com`;
    await suite.gql('{ __typename }', { token: await ssoToken(sub, email, external, 'One') });
    const [membership] = await memberships(sub);
    expect((await removeMember(suite, owner.token, membership!.id)).body.data.removeMember).toBe(true);
    // The same identity again, with a changed profile (the path that used to re-add), and a
    // second identity of the same user (another connection of the same IdP organization).
    await suite.gql('{ __typename }', { token: await ssoToken(sub, email, external, 'Two') });
    const second = `sso|${randomUUID()}`;
    const linked = await suite.gql('{ viewer { memberships { id } } }', { token: await ssoToken(second, email, external, 'Three') });
    expect(linked.body.data.viewer.memberships).toEqual([]);
    expect(await memberships(sub)).toEqual([]);
    expect(await memberships(second)).toEqual([]);
  });

  it('never re-creates a membership the member left, at the resync after the seen interval; an invitation brings them back', async () => {
    const { owner, orgId, external } = await boundOrg('ADMIN');
    let now = Date.now();
    const identity = createIdentityService({ db: suite.database.db, users: createUserStore(suite.database.db), now: () => now, seenIntervalMs: 1000 });
    const sub = `sso|${randomUUID()}`;
    const email = `sso-${randomUUID()}@example.com`;
    const claims = () =>
      ({ provider: 'test', issuer: suite.issuer.url, subject: sub, email, emailVerified: true, name: 'Same', externalOrganizationId: external, impersonator: null, expiresAt: Math.floor(now / 1000) + 3600 }) as UserClaims;
    try {
      await identity.resolveUser(claims());
      const token = await ssoToken(sub, email, external, 'Same');
      const [membership] = await memberships(sub);
      expect(membership).toMatchObject({ organization_id: orgId, role: 'ADMIN' });
      expect((await removeMember(suite, token, membership!.id)).body.data.removeMember).toBe(true);
      for (let resync = 0; resync < 3; resync += 1) {
        now += 5000;
        await identity.resolveUser(claims());
        expect(await memberships(sub)).toEqual([]);
      }
      // Consent on both sides brings them back, with the invitation's role.
      const invitation = await suite.invite(owner, orgId, email, 'MEMBER');
      expect((await acceptInvitation(suite, token, invitation)).body.errors).toBeUndefined();
      expect(await memberships(sub)).toMatchObject([{ organization_id: orgId, role: 'MEMBER' }]);
      const [back] = await memberships(sub);
      expect((await removeMember(suite, owner.token, back!.id)).body.data.removeMember).toBe(true);
      now += 5000;
      await identity.resolveUser(claims());
      expect(await memberships(sub)).toEqual([]);
    } finally {
      await identity.flushStamps();
    }
  });

  it('does not JIT-add a user who was a member before by invitation and was removed', async () => {
    const { owner, orgId, external } = await boundOrg('MEMBER');
    const invited = await suite.signIn();
    const membership = await suite.addMember(owner, orgId, invited, 'MEMBER');
    expect((await removeMember(suite, owner.token, membership)).body.data.removeMember).toBe(true);
    // Their first SSO identity with the organization claim links to the same user by email.
    const sub = `sso|${randomUUID()}`;
    const viewer = await suite.gql('{ viewer { id memberships { id } } }', { token: await ssoToken(sub, invited.email, external, 'SSO') });
    expect(viewer.body.data.viewer).toEqual({ id: invited.id, memberships: [] });
  });
});
