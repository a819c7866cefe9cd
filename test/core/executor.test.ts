// Compiled execution (graphql-jit, what hot operations run on) answers exactly as graphql-js
// does: data, errors (codes, messages, paths, locations) and HTTP status, for reads, entities,
// refusals and mutations. One app compiles every operation at once (the suite's default), one
// never does, one at the second execution (the production default); all share one database.
import { randomUUID } from 'node:crypto';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutionGateway } from '../../src/graphql/apolloBoundary.js';
import { createCompilingExecutor } from '../../src/graphql/executor.js';
import { createSubgraphSchema } from '../../src/graphql/schema.js';
import { startTestApp, type GraphQLResult, type TestApp } from '../helpers/app.js';
import { issuerConfig } from '../helpers/issuer.js';
import { useOrgSuite, type SignedInUser } from '../helpers/organizations.js';

const suite = useOrgSuite();
let interpreted: TestApp;
let secondRun: TestApp;
let owner: SignedInUser;
let member: SignedInUser;
let stranger: SignedInUser;
let organizationId: string;
let membershipId: string;

beforeAll(async () => {
  const issuers = [issuerConfig(suite.issuer, { name: 'test' })];
  interpreted = await startTestApp({ issuers, database: suite.database.db, config: { compileOperationsAfter: 0 } });
  secondRun = await startTestApp({ issuers, database: suite.database.db, config: { compileOperationsAfter: 2 } });
  owner = await suite.signIn({ name: 'Owner' });
  member = await suite.signIn({ name: 'Member' });
  stranger = await suite.signIn({ name: 'Stranger' });
  organizationId = await suite.createOrg(owner, `Org ${randomUUID()}`);
  membershipId = await suite.addMember(owner, organizationId, member, 'MEMBER');
});
afterAll(async () => {
  await interpreted?.close();
  await secondRun?.close();
});

/** The answer without what differs per request (request ids, development stack traces). */
function comparable(result: GraphQLResult<unknown>) {
  const body = JSON.parse(JSON.stringify(result.body)) as { errors?: { extensions?: Record<string, unknown> }[] };
  for (const error of body.errors ?? []) {
    delete error.extensions?.['requestId'];
    delete error.extensions?.['stacktrace'];
  }
  return { status: result.status, body };
}

interface Case {
  name: string;
  query: string;
  who?: () => SignedInUser | null;
  variables?: () => Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'anonymous __typename', query: '{ __typename }' },
  { name: 'viewer with aliases, fragments and directives', who: () => owner, query: 'query V($skip: Boolean!) { me: viewer { ...F id @skip(if: $skip) emailVerified } } fragment F on User { name email }', variables: () => ({ skip: true }) },
  { name: 'viewer anonymous (null)', query: '{ viewer { id } }' },
  { name: 'memberships and organizations', who: () => member, query: '{ viewer { memberships { id role organization { id name members { user { id name email } role } } } } }' },
  { name: 'organization by id, seen by a stranger', who: () => stranger, query: 'query($id: ID!) { organization(id: $id) { id name } }', variables: () => ({ id: organizationId }) },
  {
    name: '_entities: mixed types, unknown and malformed representations',
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on User { id name email } ... on Organization { id name } ... on Membership { id role user { id } } } }',
    variables: () => ({
      r: [
        { __typename: 'User', id: owner.id },
        { __typename: 'Organization', id: organizationId },
        { __typename: 'Membership', id: membershipId },
        { __typename: 'User', id: randomUUID() },
        { __typename: 'User', id: 'not-a-uuid' },
        { __typename: 'Nope', id: owner.id },
        'not an object',
      ],
    }),
  },
  {
    name: '_entities: the router shape, unknown and malformed ids',
    query: 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id name } } }',
    variables: () => ({
      representations: [
        { __typename: 'User', id: member.id },
        { __typename: 'User', id: randomUUID() },
        { __typename: 'User', id: 'not-a-uuid' },
        { __typename: 'User', id: owner.id },
        { __typename: 'Organization', id: organizationId },
      ],
    }),
  },
  {
    name: '_entities: emails a member may see, decided later (the shared-organization loader)',
    who: () => member,
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }',
    variables: () => ({ r: [owner, member, stranger].map((user) => ({ __typename: 'User', id: user.id })) }),
  },
  {
    name: '_entities: aliases, __typename, every entity type',
    who: () => stranger,
    query:
      'query($r: [_Any!]!) { found: _entities(representations: $r) { type: __typename ... on Membership { id role } ... on Organization { key: id name __typename } ... on User { id emailVerified } } }',
    variables: () => ({
      r: [
        { __typename: 'Organization', id: organizationId },
        { __typename: 'Membership', id: membershipId },
        { __typename: 'User', id: stranger.id },
      ],
    }),
  },
  { name: 'a field refused to an anonymous caller', query: '{ viewer { id } organizations { id } }' },
  { name: 'a refused mutation (FORBIDDEN)', who: () => stranger, query: 'mutation($id: ID!) { updateMemberRole(membershipId: $id, role: ADMIN) { id } }', variables: () => ({ id: membershipId }) },
  { name: 'a mutation refused for its input (BAD_USER_INPUT)', who: () => owner, query: 'mutation { createOrganization(input: { name: "   " }) { id } }' },
  { name: 'variables of the wrong type', query: 'query($id: ID!) { organization(id: $id) { id } }', variables: () => ({ id: { not: 'an id' } }) },
  { name: 'a missing required variable', query: 'query($id: ID!) { organization(id: $id) { id } }' },
];

describe('compiled and interpreted execution answer alike', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const token = testCase.who?.()?.token;
    const variables = testCase.variables?.();
    const options = { ...(token ? { token } : {}), ...(variables ? { variables } : {}) };
    const expected = comparable(await interpreted.gql(testCase.query, options));
    // Twice on each: the compiled app compiles at the first run, secondRun at the second.
    for (let run = 0; run < 3; run += 1) {
      expect(comparable(await suite.api.gql(testCase.query, options)), `compiled, run ${run + 1}`).toEqual(expected);
      expect(comparable(await secondRun.gql(testCase.query, options)), `compiled at the 2nd run, run ${run + 1}`).toEqual(expected);
    }
  });

  it('a mutation that succeeds answers alike, and compiled runs keep writing', async () => {
    for (const app of [interpreted, suite.api, suite.api, secondRun, secondRun, secondRun]) {
      const name = `Org ${randomUUID()}`;
      const result = await app.gql('mutation($name: String!) { createOrganization(input: { name: $name }) { name viewerMembership { role } } }', {
        token: owner.token,
        variables: { name },
      });
      expect(result.body).toEqual({ data: { createOrganization: { name, viewerMembership: { role: 'OWNER' } } } });
    }
  });

  it('federated tracing (ftv1) still traces every field of a hot operation', async () => {
    for (let run = 0; run < 3; run += 1) {
      const result = await suite.api.gql('{ viewer { id name } }', { token: owner.token, headers: { 'apollo-federation-include-trace': 'ftv1' } });
      expect(result.body.data).toEqual({ viewer: { id: owner.id, name: 'Owner' } });
      const trace = (result.body as { extensions?: { ftv1?: unknown } }).extensions?.ftv1;
      expect(typeof trace).toBe('string');
      // The protobuf trace names the resolved fields.
      expect(Buffer.from(trace as string, 'base64').toString('latin1')).toContain('viewer');
    }
    // And untraced requests after it answer as before.
    expect((await suite.api.gql('{ viewer { id name } }', { token: owner.token })).body).toEqual({ data: { viewer: { id: owner.id, name: 'Owner' } } });
  });

  it("a traced request wraps the resolvers of Apollo's schema instance, never the executor's", async () => {
    const made: GraphQLSchema[] = [];
    const gateway = createExecutionGateway(() => {
      const schema = createSubgraphSchema({ authorizationDirectives: false });
      made.push(schema);
      return schema;
    }, createCompilingExecutor({ compileAfter: 1 }));
    let apiSchema: GraphQLSchema | undefined;
    gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
      apiSchema = schema;
    });
    const server = new ApolloServer({ gateway });
    await server.start();
    try {
      const http = { method: 'POST', headers: new HeaderMap([['apollo-federation-include-trace', 'ftv1']]), search: '', body: {} };
      const response = await server.executeOperation({ query: '{ __typename }', http });
      expect(response.body.kind === 'single' && response.body.singleResult.extensions?.['ftv1']).toBeTypeOf('string');
      const executionSchema = made.find((schema) => schema !== apiSchema)!;
      expect(made).toHaveLength(2);
      const idResolver = (schema: GraphQLSchema) => (schema.getType('User') as GraphQLObjectType).getFields()['id']!.resolve;
      // Apollo wrapped every field of its instance, leaves included; the executor's has none on `id`.
      expect(idResolver(apiSchema!)).toBeTypeOf('function');
      expect(idResolver(executionSchema)).toBeUndefined();
    } finally {
      await server.stop();
    }
  });
});
