// `_entities` batching: N representations of one type cost exactly one SQL statement for that
// type, whatever N, with unknown and malformed ids answered null (never a request error).
// Every statement the database runs is recorded through the onQuery observer, and counted
// exactly on cold caches: users are made fresh for each case (no app has read them), so a user
// row cache can never answer in a regression's place. Each case runs compiled (graphql-jit) and
// interpreted (graphql-js).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const SIZES = [1, 10, 500];
const MAX = Math.max(...SIZES);

let issuer: TestIssuer;
let database: TestDatabase;
let apps: Record<'compiled' | 'interpreted', TestApp>;
let api: TestApp;
let statements: string[] = [];
let userIds: string[] = [];
let membershipIds: string[] = [];
let organizationIds: string[] = [];

const USERS = /\bfrom users\b/i;
const MEMBERSHIPS = /\bfrom memberships\b/i;
const ORGANIZATIONS = /\bfrom organizations\b/i;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  const issuers = [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })];
  apps = {
    compiled: await startTestApp({ issuers, database: database.db, config: { compileOperationsAfter: 1 } }),
    interpreted: await startTestApp({ issuers, database: database.db, config: { compileOperationsAfter: 0 } }),
  };
  // Fixtures in a few set-based statements: MAX users, MAX organizations, one MAX-member organization.
  const tag = randomUUID();
  userIds = (
    await database.db.query<{ id: string }>(
      `insert into users (id, email, email_verified, name)
       select gen_random_uuid(), $1 || '-' || n || '@example.com', true, 'User ' || n from generate_series(1, $2::int) n
       returning id`,
      [tag, MAX],
    )
  ).map((r) => r.id);
  organizationIds = (
    await database.db.query<{ id: string }>(
      `insert into organizations (id, name) select gen_random_uuid(), 'Org ' || n from generate_series(1, $1::int) n returning id`,
      [MAX],
    )
  ).map((r) => r.id);
  membershipIds = (
    await database.db.query<{ id: string }>(
      `insert into memberships (id, organization_id, user_id, role)
       select gen_random_uuid(), $1::uuid, u, 'MEMBER' from unnest($2::uuid[]) u returning id`,
      [organizationIds[0], userIds],
    )
  ).map((r) => r.id);
});
afterAll(async () => {
  await apps?.compiled.close();
  await apps?.interpreted.close();
  await database?.close();
  await issuer?.close();
});
beforeEach(() => {
  statements = [];
});

/** `n` users no app has read (every user cache is cold for them), in one statement not counted. */
async function coldUsers(n: number): Promise<string[]> {
  const rows = await database.db.query<{ id: string }>(
    `insert into users (id, email, email_verified, name)
     select gen_random_uuid(), $1 || '-' || n || '@example.com', true, 'Cold ' || n from generate_series(1, $2::int) n
     returning id`,
    [randomUUID(), n],
  );
  statements = [];
  return rows.map((r) => r.id);
}

/** Memberships of `n` cold users in one new organization (not counted). */
async function coldMemberships(n: number): Promise<string[]> {
  const users = await coldUsers(n);
  const rows = await database.db.query<{ id: string }>(
    `with o as (insert into organizations (id, name) values (gen_random_uuid(), 'Cold') returning id)
     insert into memberships (id, organization_id, user_id, role) select gen_random_uuid(), o.id, u, 'MEMBER' from o, unnest($1::uuid[]) u returning id`,
    [users],
  );
  statements = [];
  return rows.map((r) => r.id);
}

const count = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length;

/** N known ids plus unknown, malformed and missing ones, in a shuffled order. */
function representations(typename: string, ids: string[], n: number) {
  const reps: Record<string, unknown>[] = ids.slice(0, n).map((id) => ({ __typename: typename, id }));
  reps.splice(Math.floor(n / 2), 0, { __typename: typename, id: randomUUID() });
  reps.splice(1, 0, { __typename: typename, id: 'not-a-uuid' });
  reps.push({ __typename: typename, id: 42 }, { __typename: typename, id: "'; drop table users; --" }, { __typename: typename });
  return reps;
}

async function entities(query: string, reps: Record<string, unknown>[], token?: string) {
  const result = await api.gql(`query($representations: [_Any!]!) { _entities(representations: $representations) { ${query} } }`, {
    variables: { representations: reps },
    token,
  });
  expect(result.status).toBe(200);
  expect(result.body.errors).toBeUndefined();
  return result.body.data._entities as ({ id: string } | null)[];
}

/** Known entities come back in order; every other representation resolves to null. */
function expectResolved(result: ({ id: string } | null)[], reps: Record<string, unknown>[], known: Set<string>) {
  expect(result).toHaveLength(reps.length);
  reps.forEach((rep, i) => {
    if (typeof rep['id'] === 'string' && known.has(rep['id'])) expect(result[i]?.id).toBe(rep['id']);
    else expect(result[i]).toBeNull();
  });
}

describe.each(['compiled', 'interpreted'] as const)('_entities batching (%s): one statement per type per request', (mode) => {
  beforeAll(() => {
    api = apps[mode];
  });

  it.each(SIZES)('User × %i (anonymous): exactly one statement in the whole request', async (n) => {
    const users = await coldUsers(n);
    const reps = representations('User', users, n);
    const result = await entities('... on User { id name emailVerified }', reps);
    expectResolved(result, reps, new Set(users));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(USERS);
  });

  it.each(SIZES)('Membership × %i: exactly one statement', async (n) => {
    const reps = representations('Membership', membershipIds, n);
    const result = await entities('... on Membership { id role }', reps);
    expectResolved(result, reps, new Set(membershipIds));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(MEMBERSHIPS);
  });

  it.each(SIZES)('Organization × %i: exactly one statement', async (n) => {
    const reps = representations('Organization', organizationIds, n);
    const result = await entities('... on Organization { id name }', reps);
    expectResolved(result, reps, new Set(organizationIds));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(ORGANIZATIONS);
  });

  it('Membership × 500 with their users and organization: one statement per type', async () => {
    const memberships = await coldMemberships(MAX);
    const reps = representations('Membership', memberships, MAX);
    const result = await entities('... on Membership { id user { id name } organization { id name } }', reps);
    expectResolved(result, reps, new Set(memberships));
    expect(count(MEMBERSHIPS)).toBe(1);
    expect(count(USERS)).toBe(1);
    expect(count(ORGANIZATIONS)).toBe(1);
    expect(statements).toHaveLength(3);
  });

  it('mixed types in one request: one statement per type', async () => {
    const users = await coldUsers(10);
    const reps = [
      ...representations('User', users, 10),
      ...representations('Organization', organizationIds, 10),
      ...representations('Membership', membershipIds, 10),
    ];
    const result = await entities('... on User { id } ... on Organization { id } ... on Membership { id }', reps);
    expect(result).toHaveLength(reps.length);
    expect(count(USERS)).toBe(1);
    expect(count(ORGANIZATIONS)).toBe(1);
    expect(count(MEMBERSHIPS)).toBe(1);
    expect(statements).toHaveLength(3);
  });

  it('a service principal holding users:read: one statement, emails visible, nothing provisioned', async () => {
    const token = await issuer.sign({ sub: 'svc-reports@clients', azp: 'svc-reports', aud: 'https://api.test', gty: 'client-credentials', scope: 'users:read' });
    const users = await coldUsers(MAX);
    const reps = representations('User', users, MAX);
    const result = (await entities('... on User { id email }', reps, token)) as ({ id: string; email: string | null } | null)[];
    expectResolved(result, reps, new Set(users));
    expect(result.filter((u) => u !== null).every((u) => u!.email !== null)).toBe(true);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(USERS);
  });

  it('a signed-in user (warm): identity costs nothing, users one statement, email visibility one more', async () => {
    const token = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    await api.gql('{ viewer { id } }', { token }); // provisions, then (issuer, sub) → id is cached
    const users = await coldUsers(MAX);
    const reps = representations('User', users, MAX);
    const result = (await entities('... on User { id email }', reps, token)) as ({ id: string; email: string | null } | null)[];
    expectResolved(result, reps, new Set(users));
    // A stranger to these users sees no email.
    expect(result.every((u) => u === null || u.email === null)).toBe(true);
    expect(count(USERS)).toBe(1);
    // The one email-visibility check for all 500 (shared organizations), batched too.
    expect(statements.filter((s) => !USERS.test(s))).toHaveLength(1);
  });
});
