// JIT membership: a token whose org_id matches a binding (same issuer, same external
// organization) gets a membership with jitRole on its very first request; afterwards the
// database alone holds that member's role.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, setSso, updateRole, useOrgSuite } from './setup.js';

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
