// Personal workspaces (api-keys.md): with PERSONAL_ORGANIZATIONS=true the statement that
// provisions a new user at sign-in also creates `<name>'s workspace` (else the email's local
// part, else `Personal workspace`, cut to 200 characters) with the user as OWNER, audited with
// actor `system`, exactly once however many first requests race, on one app or two replicas;
// never for users made by ensureUser, addMember or the import, nor for an identity that joins an
// existing user; never when the setting is off.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.js';
import { AUDIENCE, issuerConfig } from '../helpers/issuer.js';
import { runImport } from '../../src/import/run.js';
import { Readable } from 'node:stream';
import { createUserWithIdentity } from '../../src/db/provisioning.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { useOperatorSuite } from './suite.js';

const suite = useOperatorSuite({ personalOrganizations: true });

interface Workspace {
  id: string;
  name: string;
  role: string;
}

async function workspacesOf(userId: string): Promise<Workspace[]> {
  return suite.database.db.query<Workspace>(
    `select o.id, o.name, m.role from memberships m join organizations o on o.id = m.organization_id
      where m.user_id = $1 order by o.created_at`,
    [userId],
  );
}

async function organizationsNamed(name: string): Promise<number> {
  const rows = await suite.database.db.query<{ n: number }>('select count(*)::int as n from organizations where name = $1', [name]);
  return rows[0]!.n;
}

async function viewerId(token: string, app = suite.a): Promise<string> {
  const answer = await app.gql<{ viewer: { id: string } }>('{ viewer { id } }', { token });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!.viewer.id;
}

describe('a new user signing in', () => {
  it("gets `<name>'s workspace` as its OWNER, audited with actor system, visible through GraphQL", async () => {
    const name = `Ada ${randomUUID().slice(0, 8)}`;
    const token = await suite.userToken({ name });
    const id = await viewerId(token);
    const [workspace, ...others] = await workspacesOf(id);
    expect(others).toEqual([]);
    expect(workspace).toMatchObject({ name: `${name}'s workspace`, role: 'OWNER' });
    const answer = await suite.a.gql('{ viewer { memberships { role organization { name members { user { id } } } } } }', { token });
    expect(answer.body.data.viewer.memberships).toEqual([{ role: 'OWNER', organization: { name: `${name}'s workspace`, members: [{ user: { id } }] } }]);
    const audit = await suite.a.gql('query ($id: ID!) { organization(id: $id) { auditEvents { edges { node { action actorType actorId targetType targetId } } } } }', {
      token,
      variables: { id: workspace!.id },
    });
    const actions = audit.body.data.organization.auditEvents.edges.map((edge: { node: unknown }) => edge.node);
    expect(actions).toEqual(
      expect.arrayContaining([
        { action: 'organization.created', actorType: 'system', actorId: null, targetType: 'Organization', targetId: workspace!.id },
        expect.objectContaining({ action: 'membership.added', actorType: 'system', actorId: null }),
      ]),
    );
    expect(actions).toHaveLength(2);
  });

  it("falls back to the email's local part, then to `Personal workspace`", async () => {
    const local = `grace.${randomUUID().slice(0, 8)}`;
    const byEmail = await viewerId(await suite.userToken({ email: `${local}@Example.com` }));
    expect((await workspacesOf(byEmail)).map((w) => w.name)).toEqual([`${local}'s workspace`]);
    const blankName = await viewerId(await suite.userToken({ email: `${local}x@example.com`, name: '   ' }));
    expect((await workspacesOf(blankName)).map((w) => w.name)).toEqual([`${local}x's workspace`]);
    const nothing = await viewerId(await suite.userToken({ email: undefined, email_verified: undefined }));
    expect((await workspacesOf(nothing)).map((w) => w.name)).toEqual(['Personal workspace']);
  });

  it('cuts the name to the organization-name limit (200 characters, never splitting a character)', async () => {
    const name = `${'é'.repeat(100)}${'😀'.repeat(150)}`;
    const id = await viewerId(await suite.userToken({ name }));
    const [workspace] = await workspacesOf(id);
    expect(Array.from(workspace!.name)).toHaveLength(200);
    expect(workspace!.name).toBe(Array.from(`${name}'s workspace`).slice(0, 200).join(''));
  });

  it('gets one workspace only: later sign-ins, and a second identity joining by email, create none', async () => {
    const email = `${randomUUID()}@example.com`;
    const token = await suite.userToken({ email, name: 'Once' });
    const id = await viewerId(token);
    await viewerId(token);
    await viewerId(await suite.issuer.sign({ sub: `other|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true, name: 'Twice' }));
    expect(await workspacesOf(id)).toHaveLength(1);
  });
});

describe('racing first requests', () => {
  it('20 concurrent first requests on one app create one user and one workspace', async () => {
    const name = `Race ${randomUUID()}`;
    const token = await suite.userToken({ name });
    const answers = await Promise.all(Array.from({ length: 20 }, () => suite.a.gql('{ viewer { id } }', { token })));
    const ids = new Set(answers.map((answer) => answer.body.data?.viewer?.id));
    expect(ids.size).toBe(1);
    expect(await workspacesOf([...ids][0]!)).toHaveLength(1);
    expect(await organizationsNamed(`${name}'s workspace`)).toBe(1);
  });

  it('20 concurrent first requests spread over two replicas create one user and one workspace', async () => {
    for (let round = 0; round < 3; round += 1) {
      const name = `Replicas ${randomUUID()}`;
      const token = await suite.userToken({ name });
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? suite.a : suite.b).gql('{ viewer { id } }', { token })));
      for (const answer of answers) expect(answer.body.errors).toBeUndefined();
      const ids = new Set(answers.map((answer) => answer.body.data!.viewer.id));
      expect(ids.size).toBe(1);
      expect(await workspacesOf([...ids][0]!)).toHaveLength(1);
      expect(await organizationsNamed(`${name}'s workspace`)).toBe(1);
    }
  });
});

describe('the database decides', () => {
  it('two provisioning statements for one identity, each with its own workspace: one commits, the other fails whole', async () => {
    const subject = `race|${randomUUID()}`;
    const attempt = () => {
      const identity = {
        identityId: randomUUID(), provider: 'test', issuer: suite.issuer.url, subject, email: null, emailVerified: false, name: 'Racer', givenName: null, familyName: null,
        externalOrganizationId: null, membershipId: randomUUID(),
      };
      const workspace = { organizationId: randomUUID(), membershipId: randomUUID(), name: `${subject}'s workspace` };
      return createUserWithIdentity(suite.database.db, { id: randomUUID(), email: null, emailVerified: false, name: 'Racer' }, identity, workspace);
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, attempt));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const lost of outcomes.filter((o) => o.status === 'rejected')) expect(isUniqueViolation(lost.reason)).toBe(true);
    expect(await organizationsNamed(`${subject}'s workspace`)).toBe(1);
  });
});

describe('users not provisioned by a sign-in', () => {
  it('ensureUser(input), addMember by email and the import create no workspace', async () => {
    const service = await suite.serviceToken(['users:write', 'organizations:admin']);
    const ensured = await suite.a.gql('mutation ($email: String!) { ensureUser(input: { email: $email, name: "Ensured" }) { user { id } created } }', {
      token: service,
      variables: { email: `${randomUUID()}@example.com` },
    });
    expect(ensured.body.data.ensureUser.created).toBe(true);
    expect(await workspacesOf(ensured.body.data.ensureUser.user.id)).toEqual([]);

    const owner = await viewerId(await suite.userToken({ name: 'Owner' }));
    const [workspace] = await workspacesOf(owner);
    const added = await suite.a.gql('mutation ($org: ID!, $email: String!) { addMember(input: { organizationId: $org, email: $email, role: MEMBER }) { user { id } } }', {
      token: service,
      variables: { org: workspace!.id, email: `${randomUUID()}@example.com` },
    });
    expect(added.body.errors).toBeUndefined();
    expect((await workspacesOf(added.body.data.addMember.user.id)).map((w) => w.id)).toEqual([workspace!.id]);

    const importedId = randomUUID();
    const line = JSON.stringify({ id: importedId, email: `${randomUUID()}@example.com`, emailVerified: true, name: 'Imported' });
    const summary = await runImport({ db: suite.database.db, input: Readable.from([`${line}\n`]), issuers: new Map([['test', suite.issuer.url]]), strict: true, batchSize: 10 });
    expect(summary.stoppedAt).toBeNull();
    expect(await workspacesOf(importedId)).toEqual([]);
  });
});

describe('with PERSONAL_ORGANIZATIONS off (the default)', () => {
  it('a new user gets no organization', async () => {
    const app = await startTestApp({ issuers: [issuerConfig(suite.issuer, { name: 'test' })], database: suite.database.db });
    try {
      expect(app.app.config.personalOrganizations).toBe(false);
      const id = await viewerId(await suite.userToken({ name: 'Nobody' }), app);
      expect(await workspacesOf(id)).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
