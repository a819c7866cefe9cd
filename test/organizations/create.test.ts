// createOrganization: any signed-in user, who becomes its OWNER; services and anonymous callers cannot.
import { describe, expect, it } from 'vitest';
import { errorCode, errorReason, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const CREATE = 'mutation ($name: String!) { createOrganization(input: { name: $name }) { id name viewerMembership { role user { id } } members { role user { id } } } }';

describe('createOrganization', () => {
  it('creates the organization with the caller as its only OWNER', async () => {
    const alice = await suite.signIn();
    const result = await suite.gql(CREATE, { token: alice.token, variables: { name: '  Acme  ' } });
    expect(result.body.errors).toBeUndefined();
    const org = result.body.data.createOrganization;
    expect(org.name).toBe('Acme');
    expect(org.viewerMembership).toEqual({ role: 'OWNER', user: { id: alice.id } });
    expect(org.members).toEqual([{ role: 'OWNER', user: { id: alice.id } }]);
    const viewer = await suite.gql('{ viewer { memberships { role organization { id name } } } }', { token: alice.token });
    expect(viewer.body.data.viewer.memberships).toEqual([{ role: 'OWNER', organization: { id: org.id, name: 'Acme' } }]);
  });

  it('writes organization.created and membership.added in the audit log', async () => {
    const alice = await suite.signIn();
    const orgId = await suite.createOrg(alice);
    const rows = await suite.database.db.query<{ action: string; actor_id: string }>(
      'select action, actor_id from audit_events where organization_id = $1 order by id',
      [orgId],
    );
    expect(rows).toEqual([
      { action: 'organization.created', actor_id: alice.id },
      { action: 'membership.added', actor_id: alice.id },
    ]);
  });

  it('refuses a blank name with BAD_USER_INPUT', async () => {
    const alice = await suite.signIn();
    const result = await suite.gql(CREATE, { token: alice.token, variables: { name: '   ' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
  });

  it('refuses an anonymous caller with UNAUTHENTICATED', async () => {
    const result = await suite.gql(CREATE, { variables: { name: 'Nobody' } });
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
  });

  it('refuses a service principal with FORBIDDEN (a service cannot be an OWNER)', async () => {
    const token = await suite.serviceToken(['organizations:admin', 'organizations:read']);
    const result = await suite.gql(CREATE, { token, variables: { name: 'Robots' } });
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(errorReason(result)).toBe('user_required');
  });
});
