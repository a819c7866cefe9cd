// Roles live in the database: a user token's role, roles, permissions or scope claims grant nothing.
import { describe, expect, it } from 'vitest';
import { addMember, errorCode, inviteMember, setSso, updateRole, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const POWER_CLAIMS = {
  role: 'OWNER',
  roles: ['OWNER', 'ADMIN', 'admin'],
  permissions: ['organizations:admin', 'organizations:read', 'users:read', 'users:write'],
  scope: 'organizations:admin organizations:read users:read',
  org_role: 'admin',
};

describe('token claims grant users nothing', () => {
  it('a stranger with role/roles/permissions/scope claims cannot read the organization', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const intruder = await suite.signIn(POWER_CLAIMS);
    const result = await suite.gql('query ($id: ID!) { organization(id: $id) { id members { id } } }', { token: intruder.token, variables: { id: orgId } });
    expect(result.body.data.organization).toBeNull();
  });

  it('a MEMBER with OWNER and organizations:admin claims can neither add, invite nor promote', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const member = await suite.signIn(POWER_CLAIMS);
    const membership = await suite.addMember(owner, orgId, member, 'MEMBER');
    const newcomer = await suite.signIn();
    expect(errorCode(await addMember(suite, member.token, { organizationId: orgId, userId: newcomer.id, role: 'MEMBER' }))).toBe('FORBIDDEN');
    expect(errorCode(await inviteMember(suite, member.token, { organizationId: orgId, email: newcomer.email, role: 'MEMBER' }))).toBe('FORBIDDEN');
    expect(await suite.database.db.query('select 1 from invitations where organization_id = $1', [orgId])).toHaveLength(1);
    expect(errorCode(await updateRole(suite, member.token, membership, 'OWNER'))).toBe('FORBIDDEN');
    const sso = await suite.gql('query ($id: ID!) { organization(id: $id) { sso { issuer } auditEvents { edges { cursor } } } }', { token: member.token, variables: { id: orgId } });
    expect(sso.body.data.organization).toEqual({ sso: null, auditEvents: null });
  });

  it('an OWNER with organizations:admin in its token still cannot bind SSO', async () => {
    const owner = await suite.signIn(POWER_CLAIMS);
    const orgId = await suite.createOrg(owner);
    const result = await setSso(suite, owner.token, { organizationId: orgId, issuer: 'test', domains: ['claims-grant-nothing.example'] });
    expect(errorCode(result)).toBe('FORBIDDEN');
  });

  it('a stranger with users:read in its token does not see emails', async () => {
    const owner = await suite.signIn();
    const intruder = await suite.signIn(POWER_CLAIMS);
    const result = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }', {
      token: intruder.token,
      variables: { r: [{ __typename: 'User', id: owner.id }] },
    });
    expect(result.body.data._entities[0].email).toBeNull();
  });
});
