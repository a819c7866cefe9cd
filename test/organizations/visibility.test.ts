// Who sees an organization: members and services holding organizations:read; a stranger
// learns nothing. User.email is visible to members of a shared organization.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const ORG = 'query ($id: ID!) { organization(id: $id) { id name members { role user { id } } } }';

describe('organization(id)', () => {
  it('answers a member with the organization and its members', async () => {
    const owner = await suite.signIn();
    const member = await suite.signIn();
    const orgId = await suite.createOrg(owner, 'Visible');
    await suite.addMember(owner, orgId, member, 'MEMBER');
    const result = await suite.gql(ORG, { token: member.token, variables: { id: orgId } });
    expect(result.body.data.organization.name).toBe('Visible');
    expect(result.body.data.organization.members.map((m: any) => m.user.id).sort()).toEqual([owner.id, member.id].sort());
  });

  it('answers null to a signed-in stranger, and to an anonymous caller', async () => {
    const owner = await suite.signIn();
    const stranger = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const asStranger = await suite.gql(ORG, { token: stranger.token, variables: { id: orgId } });
    expect(asStranger.body.errors).toBeUndefined();
    expect(asStranger.body.data.organization).toBeNull();
    const anonymous = await suite.gql(ORG, { variables: { id: orgId } });
    expect(anonymous.body.data.organization).toBeNull();
  });

  it('answers null for an unknown or malformed id', async () => {
    const owner = await suite.signIn();
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const result = await suite.gql(ORG, { token: owner.token, variables: { id } });
      expect(result.body.errors).toBeUndefined();
      expect(result.body.data.organization).toBeNull();
    }
  });

  it('answers a service holding organizations:read, and null to one without it', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const reader = await suite.gql(ORG, { token: await suite.serviceToken(['organizations:read']), variables: { id: orgId } });
    expect(reader.body.data.organization.members).toEqual([{ role: 'OWNER', user: { id: owner.id } }]);
    const other = await suite.gql(ORG, { token: await suite.serviceToken(['users:read']), variables: { id: orgId } });
    expect(other.body.data.organization).toBeNull();
  });

  it('hides members of an organization reached through another path from a stranger', async () => {
    const owner = await suite.signIn();
    const stranger = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const result = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { id members { id } sso { issuer } auditEvents { edges { cursor } } } } }', {
      token: stranger.token,
      variables: { r: [{ __typename: 'Organization', id: orgId }] },
    });
    expect(result.body.data._entities[0]).toEqual({ id: orgId, members: [], sso: null, auditEvents: null });
  });
});

describe('User.email and User.memberships between members', () => {
  it('shows a co-member’s email and shared memberships, and hides them from a stranger', async () => {
    const owner = await suite.signIn();
    const member = await suite.signIn();
    const stranger = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    await suite.addMember(owner, orgId, member, 'MEMBER');
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email memberships { organization { id } } } } }';
    const variables = { r: [{ __typename: 'User', id: owner.id }] };
    const asMember = await suite.gql(query, { token: member.token, variables });
    expect(asMember.body.data._entities[0]).toEqual({ id: owner.id, email: owner.email, memberships: [{ organization: { id: orgId } }] });
    const asStranger = await suite.gql(query, { token: stranger.token, variables });
    expect(asStranger.body.data._entities[0]).toEqual({ id: owner.id, email: null, memberships: [] });
  });

  it('hides the email again once the shared membership is removed', async () => {
    const owner = await suite.signIn();
    const member = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const membership = await suite.addMember(owner, orgId, member, 'MEMBER');
    const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }';
    const variables = { r: [{ __typename: 'User', id: owner.id }] };
    expect((await suite.gql(query, { token: member.token, variables })).body.data._entities[0].email).toBe(owner.email);
    const left = await suite.gql('mutation ($id: ID!) { removeMember(membershipId: $id) }', { token: member.token, variables: { id: membership } });
    expect(left.body.data.removeMember).toBe(true);
    expect((await suite.gql(query, { token: member.token, variables })).body.data._entities[0].email).toBeNull();
  });
});
