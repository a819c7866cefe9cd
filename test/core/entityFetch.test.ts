// The entity-fetch plan (src/graphql/entityFetch.ts) on a small subgraph of its own, whose
// resolvers are plain functions: which operations get a plan, that a plan answers exactly what
// graphql-js answers (data, key order, aliases, __typename, null entries), and that it declines
// (undefined) every answer graphql-js would give with an error, leaving it to the executor.
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { installEntitiesResolver } from '../../src/graphql/entities.js';
import { planEntityFetch } from '../../src/graphql/entityFetch.js';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { thing(id: ID!): Thing }
  enum Kind { BIG SMALL }
  type Thing @key(fields: "id") {
    id: ID!
    label: String
    size: Int!
    kind: Kind
    later: String
    failing: String
    withArgument(x: Int): String
    fieldName: String
    other: Other
  }
  type Other @key(fields: "id") { id: ID! title: String! }
`);

type Row = Record<string, unknown>;

function subgraph(things: Record<string, Row>, others: Record<string, Row>): GraphQLSchema {
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: {
      Thing: {
        __resolveReference: (reference: { id: string }) => {
          if (reference.id === 'throws') throw new Error('lookup failed');
          return things[reference.id] ?? null;
        },
        later: (thing: Row) => Promise.resolve(thing['label']),
        failing: (thing: Row) => (thing['fails'] === true ? Promise.reject(new Error('no')) : 'fine'),
        // Takes a resolve info: only the general executor can call it.
        fieldName: (_thing: Row, _args: unknown, _context: unknown, info: { fieldName: string }) => info.fieldName,
      },
      Other: {
        __resolveReference: async (reference: { id: string }) => others[reference.id] ?? null,
      },
    } as never,
  });
  installEntitiesResolver(schema);
  return schema;
}

const schema = subgraph(
  {
    t1: { id: 't1', label: 'one', size: 1, kind: 'BIG' },
    t2: { id: 't2', label: null, size: 2, kind: 'SMALL' },
    sizeless: { id: 'sizeless', label: 'x', size: null },
    badKind: { id: 'badKind', label: 'x', size: 3, kind: 'HUGE' },
    method: { id: 'method', label: () => 'a method', size: 4 },
    fails: { id: 'fails', label: 'x', size: 5, fails: true },
  },
  { o1: { id: 'o1', title: 'Other one' } },
);

const ROUTER = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Thing { id label } } }';

async function both(query: string, representations: unknown[]) {
  const document = parse(query);
  const plan = planEntityFetch(schema, document, null);
  if (plan === null) throw new Error('no plan');
  // Under both names the queries here use; graphql-js ignores the one an operation does not declare.
  const variables = { representations, r: representations };
  const planned = await plan.run(variables, {});
  const reference = await execute({ schema, document, variableValues: variables, contextValue: {} });
  return { planned, reference };
}

describe('which operations get a plan', () => {
  it.each([
    ['the router shape', ROUTER],
    ['aliases, __typename on the union and in fragments, several fragments', 'query Q($r: [_Any!]!) { found: _entities(representations: $r) { kind: __typename ... on Thing { key: id __typename size } ... on Other { id title } } }'],
    ['a field with an info-free resolver that may answer later', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { later } } }'],
  ])('%s', (_name, query) => {
    expect(planEntityFetch(schema, parse(query), null)).not.toBeNull();
  });

  it.each([
    ['another root field', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id } } thing(id: "t1") { id } }'],
    ['an inline list of representations', 'query { _entities(representations: [{ __typename: "Thing", id: "t1" }]) { ... on Thing { id } } }'],
    ['a variable with a default', 'query($r: [_Any!]! = []) { _entities(representations: $r) { ... on Thing { id } } }'],
    ['a second variable', 'query($r: [_Any!]!, $x: Int) { _entities(representations: $r) { ... on Thing { withArgument(x: $x) } } }'],
    ['a directive', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id @skip(if: true) } } }'],
    ['a directive on the operation', 'query($r: [_Any!]!) @deprecated { _entities(representations: $r) { ... on Thing { id } } }'],
    ['a fragment spread', 'query($r: [_Any!]!) { _entities(representations: $r) { ...F } } fragment F on Thing { id }'],
    ['a field with arguments', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { withArgument(x: 1) } } }'],
    ['a field with a selection', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { other { id } } } }'],
    ['a resolver that takes a resolve info', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { fieldName } } }'],
    ['not _entities', 'query($r: [_Any!]!) { thing(id: "t1") { id } }'],
  ])('none for %s', (_name, query) => {
    expect(planEntityFetch(schema, parse(query), null)).toBeNull();
  });

  it('picks the named operation of a document holding several', () => {
    const document = parse(`${ROUTER.replace('query(', 'query Fetch(')} query Other { thing(id: "t1") { id } }`);
    expect(planEntityFetch(schema, document, 'Fetch')).not.toBeNull();
    expect(planEntityFetch(schema, document, 'Other')).toBeNull();
  });

  it('none once something replaced the _entities resolver (an instrumentation wrapping it)', () => {
    const wrapped = subgraph({}, {});
    const field = wrapped.getQueryType()!.getFields()['_entities']!;
    const original = field.resolve!;
    field.resolve = (...args) => original(...args);
    expect(planEntityFetch(wrapped, parse(ROUTER), null)).toBeNull();
  });
});

describe('a plan answers what graphql-js answers', () => {
  it.each([
    ['the router shape, unknown ids and non-entities as null', ROUTER, [
      { __typename: 'Thing', id: 't1' },
      { __typename: 'Thing', id: 'missing' },
      { __typename: 'Thing', id: 't2' },
      { __typename: 'Nope', id: 't1' },
      { id: 't1' },
      'not an object',
      { __typename: 'Thing', id: 't1' },
    ]],
    ['aliases, __typename, merged fields, types without a fragment answer {}', 'query($r: [_Any!]!) { found: _entities(representations: $r) { kind: __typename ... on Thing { key: id __typename size key: id } ... on Thing { label size } } }', [
      { __typename: 'Thing', id: 't1' },
      { __typename: 'Other', id: 'o1' },
      { __typename: 'Thing', id: 't2' },
    ]],
    ['an enum, and an entity resolved later', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id kind } ... on Other { title id } } }', [
      { __typename: 'Other', id: 'o1' },
      { __typename: 'Thing', id: 't1' },
      { __typename: 'Other', id: 'missing' },
    ]],
    ['leaves answered later', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { later id failing } } }', [
      { __typename: 'Thing', id: 't1' },
      { __typename: 'Thing', id: 't2' },
    ]],
    ['no representations', ROUTER, []],
  ])('%s', async (_name, query, representations) => {
    const { planned, reference } = await both(query, representations as unknown[]);
    expect(reference.errors).toBeUndefined();
    // The same data, keys in the same order.
    expect(JSON.stringify(planned)).toBe(JSON.stringify(reference));
  });
});

describe('a plan leaves every answer with an error to the executor', () => {
  it.each([
    ['a non-null leaf that is null', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id size } } }', 'sizeless'],
    ['a value its enum does not have', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { kind } } }', 'badKind'],
    ['a reference that fails to resolve', ROUTER, 'throws'],
    ['a leaf whose resolver rejects', 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { id failing } } }', 'fails'],
  ])('%s', async (_name, query, id) => {
    const { planned, reference } = await both(query, [{ __typename: 'Thing', id: 't1' }, { __typename: 'Thing', id }]);
    expect(planned).toBeUndefined();
    // graphql-js reports it, for the executor to answer.
    expect(reference.errors?.length).toBeGreaterThan(0);
  });

  it('declines a method where a property was expected (graphql-js calls it)', async () => {
    const { planned, reference } = await both(ROUTER, [{ __typename: 'Thing', id: 'method' }]);
    expect(planned).toBeUndefined();
    expect(reference.data).toEqual({ _entities: [{ id: 'method', label: 'a method' }] });
  });

  it.each([
    ['a null representation', [{ __typename: 'Thing', id: 't1' }, null]],
    ['a single representation that is not a list', { __typename: 'Thing', id: 't1' }],
  ])('%s (variable coercion)', async (_name, representations) => {
    const plan = planEntityFetch(schema, parse(ROUTER), null)!;
    expect(await plan.run({ representations }, {})).toBeUndefined();
  });
});
