// Spec "GraphQL → _entities" and field visibility, over HTTP against a production-mode app:
// User, Membership and Organization references resolve in one round trip per type; unknown
// or malformed ids resolve to null entries; User.email and User.identities are visible only
// to whom the spec names. Then the resolver itself, interpreted and compiled.
import { randomUUID } from 'node:crypto';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installEntitiesResolver } from '../../src/graphql/entities.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, unique, uniqueEmail } from '../helpers/battery.js';

let issuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;
let statements: string[] = [];

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on User { id email name identities { provider subject } }
  ... on Membership { id role user { id } organization { id name } }
  ... on Organization { id orgName: name }
} }`;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  api = await startTestApp({ production: true, database: database.db, issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })] });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});
beforeEach(() => {
  statements = [];
});

function userToken(claims: Record<string, unknown> = {}): Promise<string> {
  return issuer.sign({ sub: unique('auth0|ent'), aud: AUDIENCE, ...claims });
}

function serviceToken(scope: string): Promise<string> {
  const client = unique('svc');
  return issuer.sign({ sub: `${client}@clients`, azp: client, aud: AUDIENCE, gty: 'client-credentials', scope });
}

/** Signs a user in; returns the token, canonical id, email and subject. */
async function signIn(name = 'Someone') {
  const email = uniqueEmail('ent');
  const sub = unique('auth0|ent');
  const token = await userToken({ sub, email, email_verified: true, name });
  const response = await api.gql('{ viewer { id } }', { token });
  expect(response.status).toBe(200);
  return { token, id: response.body.data.viewer.id as string, email, sub };
}

async function createOrganization(name: string, members: { userId: string; role: string }[]) {
  const organizationId = randomUUID();
  await database.db.query('insert into organizations (id, name) values ($1, $2)', [organizationId, name]);
  const membershipIds: string[] = [];
  for (const member of members) {
    const id = randomUUID();
    await database.db.query('insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, $4)', [id, organizationId, member.userId, member.role]);
    membershipIds.push(id);
  }
  return { organizationId, membershipIds };
}

function entities(representations: unknown[], token?: string) {
  return api.gql(ENTITIES, { token, variables: { r: representations } });
}

const MALFORMED_IDS = ['not-a-uuid', '', '00000000-0000-0000-0000-00000000000g', `${randomUUID()}x`, "'; drop table users; --", 'auth0|abc'];

describe('_entities', () => {
  it('resolves User, Membership and Organization references in order', async () => {
    const ada = await signIn('Ada');
    const { organizationId, membershipIds } = await createOrganization('Analytical Engines', [{ userId: ada.id, role: 'OWNER' }]);
    const response = await entities(
      [
        { __typename: 'Organization', id: organizationId },
        { __typename: 'User', id: ada.id },
        { __typename: 'Membership', id: membershipIds[0] },
      ],
      ada.token,
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data._entities).toEqual([
      { __typename: 'Organization', id: organizationId, orgName: 'Analytical Engines' },
      { __typename: 'User', id: ada.id, email: ada.email, name: 'Ada', identities: [{ provider: 'auth0', subject: ada.sub }] },
      { __typename: 'Membership', id: membershipIds[0], role: 'OWNER', user: { id: ada.id }, organization: { id: organizationId, name: 'Analytical Engines' } },
    ]);
  });

  for (const typename of ['User', 'Membership', 'Organization']) {
    it(`${typename}: unknown and malformed ids resolve to null entries, never an error of the whole request`, async () => {
      const known = await signIn();
      const { organizationId, membershipIds } = await createOrganization('Known', [{ userId: known.id, role: 'OWNER' }]);
      const knownId = typename === 'User' ? known.id : typename === 'Membership' ? membershipIds[0]! : organizationId;
      const representations = [
        { __typename: typename, id: randomUUID() },
        ...MALFORMED_IDS.map((id) => ({ __typename: typename, id })),
        { __typename: typename, id: knownId },
        { __typename: typename, id: knownId.toUpperCase() },
        { __typename: typename, id: 12345 },
        { __typename: typename },
      ];
      const response = await entities(representations, known.token);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      const results = response.body.data._entities as ({ id: string } | null)[];
      expect(results).toHaveLength(representations.length);
      const expected = representations.map((r) => (r.id === knownId || r.id === knownId.toUpperCase() ? knownId : null));
      expect(results.map((entry) => entry?.id ?? null)).toEqual(expected);
      // The database answered; the table is intact after the injection-shaped id.
      expect((await database.db.query('select 1 from users where id = $1', [known.id])).length).toBe(1);
    });
  }

  it('a representation without an entity __typename resolves to null; the others still resolve', async () => {
    const known = await signIn();
    const representations = [{ __typename: 'User', id: known.id }, { __typename: 'Nope', id: known.id }, { id: known.id }, { __typename: 42, id: known.id }, 'User', { __typename: 'User', id: known.id }];
    const response = await entities(representations, known.token);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect((response.body.data._entities as ({ id: string } | null)[]).map((entry) => entry?.id ?? null)).toEqual([known.id, null, null, null, null, known.id]);
  });

  it('batches: one round trip per type, whatever the number of representations', async () => {
    const users = await Promise.all(Array.from({ length: 3 }, () => signIn()));
    const org = await createOrganization('Batch', users.map((u) => ({ userId: u.id, role: 'MEMBER' })));
    const representations = [
      ...users.map((u) => ({ __typename: 'User', id: u.id })),
      ...Array.from({ length: 25 }, () => ({ __typename: 'User', id: randomUUID() })),
      ...org.membershipIds.map((id) => ({ __typename: 'Membership', id })),
      ...Array.from({ length: 25 }, () => ({ __typename: 'Membership', id: randomUUID() })),
      { __typename: 'Organization', id: org.organizationId },
      ...Array.from({ length: 25 }, () => ({ __typename: 'Organization', id: randomUUID() })),
    ];
    const token = await serviceToken('users:read');
    statements = [];
    const response = await api.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } ... on Membership { id } ... on Organization { id } } }', {
      token,
      variables: { r: representations },
    });
    expect(response.status).toBe(200);
    expect(response.body.data._entities.filter((e: unknown) => e !== null)).toHaveLength(3 + 3 + 1);
    const from = (table: string) => statements.filter((s) => new RegExp(`\\bfrom ${table}\\b`, 'i').test(s)).length;
    expect(from('users')).toBe(1);
    expect(from('memberships')).toBe(1);
    expect(from('organizations')).toBe(1);
  });
});

describe('User.email visibility', () => {
  it('the user sees their own email', async () => {
    const me = await signIn();
    const response = await entities([{ __typename: 'User', id: me.id }], me.token);
    expect(response.body.data._entities[0].email).toBe(me.email);
  });

  it('a service holding users:read sees it; one without does not', async () => {
    const someone = await signIn();
    const reader = await entities([{ __typename: 'User', id: someone.id }], await serviceToken('users:read'));
    expect(reader.body.data._entities[0].email).toBe(someone.email);
    const other = await entities([{ __typename: 'User', id: someone.id }], await serviceToken('users:write organizations:read'));
    expect(other.body.data._entities[0]).toMatchObject({ id: someone.id, email: null });
  });

  it('a stranger and an anonymous caller get null', async () => {
    const someone = await signIn();
    const stranger = await signIn();
    const byStranger = await entities([{ __typename: 'User', id: someone.id }], stranger.token);
    expect(byStranger.body.data._entities[0]).toMatchObject({ id: someone.id, email: null });
    const anonymous = await entities([{ __typename: 'User', id: someone.id }]);
    expect(anonymous.body.data._entities[0]).toMatchObject({ id: someone.id, email: null });
  });

  it('a member of an organization the user belongs to sees it', async () => {
    const someone = await signIn();
    const colleague = await signIn();
    await createOrganization('Shared', [
      { userId: someone.id, role: 'OWNER' },
      { userId: colleague.id, role: 'MEMBER' },
    ]);
    const response = await entities([{ __typename: 'User', id: someone.id }], colleague.token);
    expect(response.body.data._entities[0].email).toBe(someone.email);
  });
});

describe('User.identities visibility', () => {
  it('is visible to the user alone: an empty list for everyone else', async () => {
    const me = await signIn();
    const stranger = await signIn();
    await createOrganization('Shared too', [
      { userId: me.id, role: 'OWNER' },
      { userId: stranger.id, role: 'ADMIN' },
    ]);
    const representation = [{ __typename: 'User', id: me.id }];
    expect((await entities(representation, me.token)).body.data._entities[0].identities).toEqual([{ provider: 'auth0', subject: me.sub }]);
    expect((await entities(representation, stranger.token)).body.data._entities[0].identities).toEqual([]);
    expect((await entities(representation, await serviceToken('users:read users:write organizations:read'))).body.data._entities[0].identities).toEqual([]);
    expect((await entities(representation)).body.data._entities[0].identities).toEqual([]);
  });
});

// The resolver itself (installEntitiesResolver) on a small subgraph of its own, run by graphql-js
// and by graphql-jit as the executor runs it: references are all asked for before any is awaited
// (one batch per type), malformed ones are null, and a failing one is an error at its own path.
describe('the _entities resolver, interpreted and compiled', () => {
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
    type Query { thing(id: ID!): Thing }
    type Thing @key(fields: "id") { id: ID! label: String }
    type Other @key(fields: "id") { id: ID! title: String! }
  `);
  const things: Record<string, { id: string; label: string }> = { t1: { id: 't1', label: 'one' }, t2: { id: 't2', label: 'two' } };
  /** Each type's batches: the ids asked for before the first await, like a DataLoader's. */
  let batches: { type: string; ids: string[]; open: boolean; result: Promise<void> }[] = [];
  function batched(type: string, id: string, find: (id: string) => unknown): Promise<unknown> {
    let batch = batches.find((b) => b.type === type && b.open);
    if (batch === undefined) {
      const opened = { type, ids: [] as string[], open: true, result: undefined as unknown as Promise<void> };
      opened.result = Promise.resolve().then(() => {
        opened.open = false;
      });
      batches.push(opened);
      batch = opened;
    }
    batch.ids.push(id);
    return batch.result.then(() => {
      if (id === 'rejects') throw new Error('lookup failed');
      return find(id);
    });
  }
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: {
      Thing: {
        __resolveReference: (reference: { id: string }) => {
          if (reference.id === 'throws') throw new Error('lookup threw');
          return batched('Thing', reference.id, (id) => things[id] ?? null);
        },
      },
      Other: { __resolveReference: (reference: { id: string }) => batched('Other', reference.id, (id) => (id === 'o1' ? { id, title: 'Other one' } : null)) },
    } as never,
  });
  installEntitiesResolver(schema);

  const QUERY = parse('query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Thing { id label } ... on Other { title } } }');
  const compiled = compileQuery(schema, QUERY);
  if (!isCompiledQuery(compiled)) throw new Error('graphql-jit declined the query');
  const modes = {
    interpreted: (r: unknown[]) => execute({ schema, document: QUERY, variableValues: { r }, contextValue: {} }),
    compiled: (r: unknown[]) => compiled.query(undefined, {}, { r }),
  };

  beforeEach(() => {
    batches = [];
  });

  it.each(Object.keys(modes) as (keyof typeof modes)[])('%s: one batch per type; unknown and malformed representations are null', async (mode) => {
    const result = await modes[mode]([
      { __typename: 'Thing', id: 't1' },
      { __typename: 'Other', id: 'o1' },
      { __typename: 'Thing', id: 'missing' },
      { __typename: 'Nope', id: 't1' },
      { id: 't1' },
      'not an object',
      ['Thing'],
      { __typename: 'Thing', id: 't2' },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      _entities: [
        { __typename: 'Thing', id: 't1', label: 'one' },
        { __typename: 'Other', title: 'Other one' },
        null,
        null,
        null,
        null,
        null,
        { __typename: 'Thing', id: 't2', label: 'two' },
      ],
    });
    expect(batches.map(({ type, ids }) => ({ type, ids }))).toEqual([
      { type: 'Thing', ids: ['t1', 'missing', 't2'] },
      { type: 'Other', ids: ['o1'] },
    ]);
  });

  it.each(Object.keys(modes) as (keyof typeof modes)[])('%s: a reference that throws or rejects is null with an error at its path; the others resolve', async (mode) => {
    const result = await modes[mode]([{ __typename: 'Thing', id: 't1' }, { __typename: 'Thing', id: 'throws' }, { __typename: 'Thing', id: 'rejects' }, { __typename: 'Thing', id: 't2' }]);
    expect(result.data).toEqual({ _entities: [{ __typename: 'Thing', id: 't1', label: 'one' }, null, null, { __typename: 'Thing', id: 't2', label: 'two' }] });
    expect(result.errors?.map((error) => ({ message: error.message, path: error.path }))).toEqual([
      { message: 'lookup threw', path: ['_entities', 1] },
      { message: 'lookup failed', path: ['_entities', 2] },
    ]);
  });

  it.each(Object.keys(modes) as (keyof typeof modes)[])('%s: no representations', async (mode) => {
    expect(await modes[mode]([])).toEqual({ data: { _entities: [] } });
    expect(batches).toEqual([]);
  });
});
