// Apollo's request contexts are emptied once Apollo has answered (apolloBoundary.ts, docs/performance.md say why):
// after the answer, not before (every plugin hook still sees the request and its answer), for
// answers with errors and for each operation of a batch.
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompilingExecutor } from '../../src/graphql/executor.js';
import { createRequestHooksPlugin } from '../../src/graphql/requestHooks.js';
import { createExecutionGateway, executeHTTPGraphQLRequestReleasing } from '../../src/graphql/apolloBoundary.js';
import { createSubgraphSchema } from '../../src/graphql/schema.js';

interface Seen {
  requestContext: GraphQLRequestContext<BaseContext>;
  request: object;
  response: object;
  contextValue: object;
  /** What willSendResponse saw: the answer's data and the request's variables. */
  data: unknown;
  variables: unknown;
}

const seen: Seen[] = [];
const observer: ApolloServerPlugin<BaseContext> = {
  async requestDidStart(requestContext) {
    return {
      async willSendResponse({ request, response, contextValue }) {
        seen.push({
          requestContext,
          request,
          response,
          contextValue,
          data: response.body.kind === 'single' ? response.body.singleResult.data : undefined,
          variables: request.variables,
        });
      },
    };
  },
};

function gateway() {
  return createExecutionGateway(() => createSubgraphSchema({ authorizationDirectives: false }), createCompilingExecutor({ compileAfter: 1 }));
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
/** The service's request hooks, which record each request context for the release. */
const releasing = createRequestHooksPlugin({ logger: silent, maxEntityRepresentations: 1000, hideSuggestions: false }) as ApolloServerPlugin<BaseContext>;

let apollo: ApolloServer<BaseContext>;
let withoutPlugin: ApolloServer<BaseContext>;

beforeAll(async () => {
  apollo = new ApolloServer({ gateway: gateway(), logger: silent, allowBatchedHttpRequests: true, plugins: [releasing, observer] });
  withoutPlugin = new ApolloServer({ gateway: gateway(), logger: silent });
  await apollo.start();
  await withoutPlugin.start();
});
afterAll(async () => {
  await apollo?.stop();
  await withoutPlugin?.stop();
});

function post(body: unknown) {
  return { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body };
}

function expectEmptied(entry: Seen) {
  const { requestContext, request, response, contextValue } = entry;
  expect(requestContext.request).toBeUndefined();
  expect(requestContext.response).toBeUndefined();
  expect(requestContext.contextValue).toBeUndefined();
  expect(requestContext.document).toBeUndefined();
  expect(Object.values(request).every((value) => value === undefined)).toBe(true);
  expect(Object.values(response).every((value) => value === undefined)).toBe(true);
  expect(Object.values(contextValue).every((value) => value === undefined)).toBe(true);
}

describe('Apollo request contexts', () => {
  it('are emptied after the answer, which every plugin saw whole', async () => {
    seen.length = 0;
    const mine = { requestId: 'r1', loaders: { kept: true } };
    const response = await executeHTTPGraphQLRequestReleasing(apollo, post({ query: 'query Q($r: [_Any!]!) { __typename _entities(representations: $r) { __typename } }', variables: { r: [] } }), mine);
    expect(response.status ?? 200).toBe(200);
    expect(response.body.kind === 'complete' && JSON.parse(response.body.string)).toEqual({ data: { __typename: 'Query', _entities: [] } });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.data).toEqual({ __typename: 'Query', _entities: [] });
    expect(seen[0]!.variables).toEqual({ r: [] });
    expectEmptied(seen[0]!);
    // Our own context value is Apollo's to copy, not to clear.
    expect(mine.requestId).toBe('r1');
    expect(mine.loaders).toEqual({ kept: true });
  });

  it('are emptied after an answer with errors', async () => {
    seen.length = 0;
    const response = await executeHTTPGraphQLRequestReleasing(apollo, post({ query: '{ nope }' }), {});
    expect(response.status).toBe(400);
    expect(response.body.kind === 'complete' && JSON.parse(response.body.string).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(seen).toHaveLength(1);
    expectEmptied(seen[0]!);
  });

  it('are emptied for each operation of a batch', async () => {
    seen.length = 0;
    const response = await executeHTTPGraphQLRequestReleasing(apollo, post([{ query: '{ __typename }' }, { query: '{ a: __typename }' }]), {});
    expect(response.body.kind === 'complete' && JSON.parse(response.body.string)).toEqual([{ data: { __typename: 'Query' } }, { data: { a: 'Query' } }]);
    expect(seen).toHaveLength(2);
    for (const entry of seen) expectEmptied(entry);
  });

  it('are answered as usual where nothing records them', async () => {
    const response = await executeHTTPGraphQLRequestReleasing(withoutPlugin, post({ query: '{ __typename }' }), {});
    expect(response.body.kind === 'complete' && JSON.parse(response.body.string)).toEqual({ data: { __typename: 'Query' } });
  });
});
