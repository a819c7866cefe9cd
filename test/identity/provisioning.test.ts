// A first sign-in in one atomic statement (src/db/provisioning.ts): what it writes, what it
// leaves alone when a user holds the email verified, that a lost race leaves nothing behind, and
// that over HTTP a first login costs two statements (find the identity, bind it) and no re-read.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithIdentity, linkIdentityToHolder, type NewIdentity } from '../../src/db/provisioning.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, countUsers, unique, uniqueEmail } from '../helpers/battery.js';

const statements: string[] = [];
let database: TestDatabase;
let issuer: TestIssuer;
let api: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => void statements.push(text) });
  api = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'idp' })], database: database.db, production: true });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

function newIdentity(overrides: Partial<NewIdentity> = {}): NewIdentity {
  return {
    identityId: randomUUID(),
    provider: 'idp',
    issuer: 'https://idp.test/',
    subject: unique('sub'),
    email: null,
    emailVerified: false,
    name: null,
    givenName: null,
    familyName: null,
    externalOrganizationId: null,
    membershipId: randomUUID(),
    ...overrides,
  };
}

async function auditOf(targetId: string) {
  return database.db.query<{ action: string; actor_id: string; details: Record<string, unknown> }>(
    'select action, actor_id, details from audit_events where target_id = $1 order by action',
    [targetId],
  );
}

async function identitiesOf(subject: string) {
  return database.db.query<{ user_id: string }>('select user_id from identities where subject = $1', [subject]);
}

describe('createUserWithIdentity', () => {
  it('writes the user, the identity and both audit rows, and returns the row', async () => {
    const email = uniqueEmail('prov');
    const identity = newIdentity({ email, emailVerified: true, name: 'Ada' });
    const id = randomUUID();
    const outcome = await createUserWithIdentity(database.db, { id, email, emailVerified: true, name: 'Ada' }, identity);
    expect(outcome.created).toBe(true);
    expect(outcome.created && outcome.user).toMatchObject({ id, email, emailVerified: true, name: 'Ada' });
    expect(await identitiesOf(identity.subject)).toEqual([{ user_id: id }]);
    expect(await auditOf(id)).toEqual([
      { action: 'identity.linked', actor_id: id, details: { provider: 'idp', identityId: identity.identityId, joinedByEmail: false } },
      { action: 'user.provisioned', actor_id: id, details: { provider: 'idp' } },
    ]);
  });

  it('writes nothing and returns the holder when a user holds the email verified', async () => {
    const email = uniqueEmail('held');
    const holder = await createUserWithIdentity(database.db, { id: randomUUID(), email, emailVerified: true, name: null }, newIdentity({ email, emailVerified: true }));
    const users = await countUsers(database.db);
    const identity = newIdentity({ email, emailVerified: false });
    const outcome = await createUserWithIdentity(database.db, { id: randomUUID(), email, emailVerified: false, name: null }, identity);
    expect(outcome).toEqual({ created: false, holder: holder.created ? holder.user : null });
    expect(await countUsers(database.db)).toBe(users);
    expect(await identitiesOf(identity.subject)).toEqual([]);
  });

  it('is atomic: an identity bound meanwhile fails the statement and leaves no user behind', async () => {
    const identity = newIdentity();
    await createUserWithIdentity(database.db, { id: randomUUID(), email: null, emailVerified: false, name: null }, identity);
    const users = await countUsers(database.db);
    const loser = randomUUID();
    const again = createUserWithIdentity(database.db, { id: loser, email: null, emailVerified: false, name: null }, { ...identity, identityId: randomUUID() });
    await expect(again).rejects.toMatchObject({ sqlState: '23505' });
    expect(await countUsers(database.db)).toBe(users);
    expect(await auditOf(loser)).toEqual([]);
  });

  it('adds the JIT membership (and its audit row) when an SSO binding names the token organization', async () => {
    const organizationId = randomUUID();
    const external = unique('org_');
    await database.db.query('insert into organizations (id, name) values ($1, $2)', [organizationId, 'Acme']);
    await database.db.query('insert into organization_sso (organization_id, issuer_name, external_organization_id, jit_role) values ($1, $2, $3, $4)', [organizationId, 'idp', external, 'MEMBER']);
    const id = randomUUID();
    const identity = newIdentity({ externalOrganizationId: external });
    await createUserWithIdentity(database.db, { id, email: null, emailVerified: false, name: null }, identity);
    const members = await database.db.query<{ id: string; role: string }>('select id, role from memberships where organization_id = $1 and user_id = $2', [organizationId, id]);
    expect(members).toEqual([{ id: identity.membershipId, role: 'MEMBER' }]);
    expect(await auditOf(identity.membershipId)).toEqual([{ action: 'membership.added', actor_id: id, details: { userId: id, role: 'MEMBER', via: 'sso_jit' } }]);
    // Another issuer's organization of the same external id is not this binding.
    const other = newIdentity({ provider: 'elsewhere', externalOrganizationId: external });
    const otherId = randomUUID();
    await createUserWithIdentity(database.db, { id: otherId, email: null, emailVerified: false, name: null }, other);
    expect(await database.db.query('select 1 from memberships where user_id = $1', [otherId])).toEqual([]);
  });
});

describe('linkIdentityToHolder', () => {
  it('binds the identity to the holder with a joinedByEmail audit row', async () => {
    const email = uniqueEmail('link');
    const holderId = randomUUID();
    await createUserWithIdentity(database.db, { id: holderId, email, emailVerified: true, name: null }, newIdentity({ email, emailVerified: true }));
    const identity = newIdentity({ email, emailVerified: true });
    expect(await linkIdentityToHolder(database.db, { id: holderId, email }, identity)).toBe(true);
    expect(await identitiesOf(identity.subject)).toEqual([{ user_id: holderId }]);
    const linked = (await auditOf(holderId)).filter((row) => row.details['identityId'] === identity.identityId);
    expect(linked).toEqual([{ action: 'identity.linked', actor_id: holderId, details: { provider: 'idp', identityId: identity.identityId, joinedByEmail: true } }]);
  });

  it('binds nothing when the holder no longer holds the email verified', async () => {
    const email = uniqueEmail('gone');
    const holderId = randomUUID();
    await createUserWithIdentity(database.db, { id: holderId, email, emailVerified: true, name: null }, newIdentity({ email, emailVerified: true }));
    await database.db.query('update users set email_verified = false where id = $1', [holderId]);
    const identity = newIdentity({ email, emailVerified: true });
    expect(await linkIdentityToHolder(database.db, { id: holderId, email }, identity)).toBe(false);
    expect(await identitiesOf(identity.subject)).toEqual([]);
  });
});

describe('a first login over HTTP', () => {
  it('costs two statements (find the identity, bind it), answers from the row it wrote, and a second request none', async () => {
    const email = uniqueEmail('http');
    const token = await issuer.sign({ sub: unique('idp|'), aud: AUDIENCE, email, email_verified: true, name: 'Grace' });
    statements.length = 0;
    const first = await api.gql('{ viewer { id email name } }', { token });
    expect(first.status).toBe(200);
    expect(first.body.data.viewer).toMatchObject({ email, name: 'Grace' });
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/from identities i join users u/);
    expect(statements[1]).toMatch(/insert into users/);
    statements.length = 0;
    const second = await api.gql('{ viewer { id email name } }', { token });
    expect(second.body.data.viewer).toEqual(first.body.data.viewer);
    // PostgreSQL without a listener may read the row; nothing is written.
    expect(statements.filter((text) => !/^select\b/i.test(text.trim()))).toEqual([]);
  });
});

describe('replicas racing one identity with different emails', () => {
  let replicaDb: Database | null = null;
  let replica: TestApp;
  beforeAll(async () => {
    replicaDb = database.url === null ? null : createPostgresDatabase({ url: database.url, max: 10, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
    replica = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'idp' })], database: replicaDb ?? database.db, production: true });
  });
  afterAll(async () => {
    await replica?.close();
    await replicaDb?.close();
  });

  it('leave exactly one user: the losers roll their user back with their identity', async () => {
    const sub = unique('idp|race');
    const before = await countUsers(database.db);
    const tokens = await Promise.all(Array.from({ length: 16 }, () => issuer.sign({ sub, aud: AUDIENCE, email: uniqueEmail('race'), email_verified: true, jti: randomUUID() })));
    const responses = await Promise.all(tokens.map((token, i) => (i % 2 === 0 ? api : replica).gql('{ viewer { id } }', { token })));
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(new Set(responses.map((r) => r.body.data.viewer.id)).size).toBe(1);
    expect(await countUsers(database.db)).toBe(before + 1);
  });
});
