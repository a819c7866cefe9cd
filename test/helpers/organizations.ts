// Shared set-up for the organization suites: one loopback issuer, one database and one app
// per file, and small helpers that sign users and services in, build organizations and invite.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { IssuerConfig } from '../../src/config/issuers.js';
import { startTestApp, type GraphQLResult, type TestApp } from './app.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from './issuer.js';

export { AUDIENCE };

export interface SignedInUser {
  id: string;
  token: string;
  email: string;
  subject: string;
}

export interface OrgSuite {
  issuer: TestIssuer;
  database: TestDatabase;
  api: TestApp;
  /** A user token for a fresh subject (extra claims merged in). */
  userToken(claims?: Record<string, unknown>): Promise<string>;
  /** Signs a fresh user in (verified email) and returns its canonical id. */
  signIn(claims?: Record<string, unknown>): Promise<SignedInUser>;
  /** A client-credentials token holding `scopes`. */
  serviceToken(scopes: string[]): Promise<string>;
  /** createOrganization by `owner`; returns the organization id. */
  createOrg(owner: SignedInUser, name?: string): Promise<string>;
  /**
   * `by` invites `user`'s email and `user` accepts (asserting success): how users join.
   * Returns the membership id.
   */
  addMember(by: SignedInUser, organizationId: string, user: SignedInUser, role: string): Promise<string>;
  /** An organization with an OWNER, an ADMIN and a MEMBER (joined by invitation). */
  staffedOrg(): Promise<{ orgId: string; owner: SignedInUser; admin: SignedInUser; member: SignedInUser }>;
  /** inviteMember by `by` (asserting success); returns the invitation id. */
  invite(by: SignedInUser, organizationId: string, email: string, role: string): Promise<string>;
  gql: TestApp['gql'];
}

/** Registers beforeAll/afterAll for a suite; the returned object is filled in beforeAll. */
export interface OrgSuiteOptions {
  issuers?: (issuer: TestIssuer) => IssuerConfig[];
  /** The clock invitations expire by. */
  now?: () => number;
  /** Observes every SQL statement of the suite's database. */
  onQuery?: (text: string) => void;
}

export function useOrgSuite(options: OrgSuiteOptions = {}): OrgSuite {
  const suite = {} as OrgSuite;
  beforeAll(async () => {
    suite.issuer = await startTestIssuer();
    suite.database = await openTestDatabase({ onQuery: options.onQuery });
    const issuers = options.issuers?.(suite.issuer) ?? [issuerConfig(suite.issuer, { name: 'test' })];
    suite.api = await startTestApp({ issuers, database: suite.database.db, now: options.now });
    suite.gql = (query, opts) => suite.api.gql(query, opts);
  });
  afterAll(async () => {
    await suite.api?.close();
    await suite.database?.close();
    await suite.issuer?.close();
  });

  suite.userToken = (claims = {}) => {
    const id = randomUUID();
    return suite.issuer.sign({ sub: `user|${id}`, aud: AUDIENCE, email: `u-${id}@example.com`, email_verified: true, ...claims });
  };
  suite.signIn = async (claims = {}) => {
    const id = randomUUID();
    const subject = (claims['sub'] as string | undefined) ?? `user|${id}`;
    const email = (claims['email'] as string | undefined) ?? `u-${id}@example.com`;
    const token = await suite.issuer.sign({ sub: subject, aud: AUDIENCE, email, email_verified: true, ...claims });
    const result = await suite.api.gql('{ viewer { id } }', { token });
    expect(result.body.errors).toBeUndefined();
    return { id: result.body.data.viewer.id, token, email, subject };
  };
  suite.serviceToken = (scopes) => {
    const client = `svc-${randomUUID()}`;
    return suite.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: scopes.join(' ') });
  };
  suite.createOrg = async (owner, name = `Org ${randomUUID()}`) => {
    const result = await suite.api.gql('mutation ($name: String!) { createOrganization(input: { name: $name }) { id } }', {
      token: owner.token,
      variables: { name },
    });
    expect(result.body.errors).toBeUndefined();
    return result.body.data.createOrganization.id;
  };
  suite.staffedOrg = async () => {
    const [owner, admin, member] = [await suite.signIn(), await suite.signIn(), await suite.signIn()];
    const orgId = await suite.createOrg(owner);
    await suite.addMember(owner, orgId, admin, 'ADMIN');
    await suite.addMember(owner, orgId, member, 'MEMBER');
    return { orgId, owner, admin, member };
  };
  suite.invite = async (by, organizationId, email, role) => {
    const result = await inviteMember(suite, by.token, { organizationId, email, role });
    expect(result.body.errors).toBeUndefined();
    return result.body.data.inviteMember.id;
  };
  suite.addMember = async (by, organizationId, user, role) => {
    const invitationId = await suite.invite(by, organizationId, user.email, role);
    const result = await acceptInvitation(suite, user.token, invitationId);
    expect(result.body.errors).toBeUndefined();
    return result.body.data.acceptInvitation.id;
  };
  return suite;
}

export function addMember(suite: OrgSuite, token: string, input: Record<string, unknown>): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($input: AddMemberInput!) { addMember(input: $input) { id role user { id } organization { id } } }', {
    token,
    variables: { input },
  });
}

export const INVITATION_FIELDS = 'id email role status expiresAt organization { id }';

export function inviteMember(suite: OrgSuite, token: string | undefined, input: Record<string, unknown>): Promise<GraphQLResult<any>> {
  return suite.api.gql(`mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { ${INVITATION_FIELDS} } }`, {
    token,
    variables: { input },
  });
}

export function acceptInvitation(suite: OrgSuite, token: string | undefined, id: string): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($id: ID!) { acceptInvitation(id: $id) { id role user { id } organization { id } } }', { token, variables: { id } });
}

export function declineInvitation(suite: OrgSuite, token: string | undefined, id: string): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($id: ID!) { declineInvitation(id: $id) }', { token, variables: { id } });
}

export function revokeInvitation(suite: OrgSuite, token: string | undefined, id: string): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($id: ID!) { revokeInvitation(id: $id) }', { token, variables: { id } });
}

export function updateRole(suite: OrgSuite, token: string, membershipId: string, role: string): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { id role } }', {
    token,
    variables: { input: { membershipId, role } },
  });
}

export function removeMember(suite: OrgSuite, token: string, membershipId: string): Promise<GraphQLResult<any>> {
  return suite.api.gql('mutation ($id: ID!) { removeMember(membershipId: $id) }', { token, variables: { id: membershipId } });
}

export function setSso(suite: OrgSuite, token: string, input: Record<string, unknown>): Promise<GraphQLResult<any>> {
  return suite.api.gql(
    'mutation ($input: SetOrganizationSsoInput!) { setOrganizationSso(input: $input) { id sso { issuer externalOrganizationId connection domains jitRole } } }',
    { token, variables: { input } },
  );
}

/** The roles of an organization's members, read directly from the database. */
export async function rolesInDatabase(suite: OrgSuite, organizationId: string): Promise<string[]> {
  const rows = await suite.database.db.query<{ role: string }>('select role from memberships where organization_id = $1', [organizationId]);
  return rows.map((r) => r.role).sort();
}

/** The membership id of `userId` in an organization, from the database. */
export async function membershipId(suite: OrgSuite, organizationId: string, userId: string): Promise<string> {
  const rows = await suite.database.db.query<{ id: string }>('select id from memberships where organization_id = $1 and user_id = $2', [organizationId, userId]);
  return rows[0]!.id;
}

export function errorCode(result: GraphQLResult<unknown>): unknown {
  return result.body.errors?.[0]?.extensions?.['code'];
}

export function errorReason(result: GraphQLResult<unknown>): unknown {
  return result.body.errors?.[0]?.extensions?.['reason'];
}
