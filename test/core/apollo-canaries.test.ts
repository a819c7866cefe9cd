// Canaries for what executor.ts and requestRelease.ts rely on in how Apollo Server builds its
// request contexts. Each fails with a message saying what changed in Apollo and what to revisit.
import { ApolloServer, HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';
import type { GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCompilingGateway, type ExecutionMode } from '../../src/graphql/executor.js';
import { createRequestHooksPlugin } from '../../src/graphql/requestHooks.js';
import { executeHTTPGraphQLRequestReleasing } from '../../src/graphql/requestRelease.js';
import { createSubgraphSchema } from '../../src/graphql/schema.js';

/** Fails the test with `Apollo changed: <message>` unless `condition` holds. */
function canary(condition: boolean, message: string): void {
  expect(condition, `Apollo changed: ${message}`).toBe(true);
}

// What the gateway executor saw, what plugins saw, how each operation ran.
const executorSaw: GatewayGraphQLRequestContext[] = [];
/** Each request context plugins saw, and its context value and schema then (the release empties it afterwards). */
const pluginsSaw: { requestContext: GraphQLRequestContext<BaseContext>; contextValue: BaseContext; schema: GraphQLSchema }[] = [];
const modes: ExecutionMode[] = [];
let servedSchema: GraphQLSchema | undefined;

/** The compiling gateway, with its executor's arguments and the schema it serves recorded. */
function recording(gateway: GatewayInterface): GatewayInterface {
  return {
    onSchemaLoadOrUpdate(callback) {
      return gateway.onSchemaLoadOrUpdate((schemaContext) => {
        servedSchema = schemaContext.apiSchema;
        callback(schemaContext);
      });
    },
    async load(options) {
      const { executor } = await gateway.load(options);
      return {
        executor(requestContext) {
          executorSaw.push(requestContext);
          return executor!(requestContext);
        },
      };
    },
    stop: () => gateway.stop(),
  };
}

const observer: ApolloServerPlugin<BaseContext> = {
  async requestDidStart(requestContext) {
    pluginsSaw.push({ requestContext, contextValue: requestContext.contextValue, schema: requestContext.schema });
  },
};

const silent = { debug() {}, info() {}, warn() {}, error() {} };
/** The service's request hooks, which record each request context for the release. */
const releasing = createRequestHooksPlugin({ logger: silent, maxEntityRepresentations: 1000, hideSuggestions: false }) as ApolloServerPlugin<BaseContext>;
let apollo: ApolloServer<BaseContext>;

beforeAll(async () => {
  // Operations compiled at their second execution, as in production.
  const gateway = createCompilingGateway(() => createSubgraphSchema({ authorizationDirectives: false }), {
    compileAfter: 2,
    onExecution: (mode) => modes.push(mode),
  });
  apollo = new ApolloServer({ gateway: recording(gateway), logger: silent, plugins: [releasing, observer] });
  await apollo.start();
});
afterAll(async () => {
  await apollo?.stop();
});
beforeEach(() => {
  executorSaw.length = 0;
  pluginsSaw.length = 0;
  modes.length = 0;
});

function post(body: unknown, headers: [string, string][] = []) {
  return { method: 'POST', headers: new HeaderMap([['content-type', 'application/json'], ...headers]), search: '', body };
}

const ENTITIES = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

async function run(body: unknown, context: BaseContext = {}, headers: [string, string][] = []) {
  const response = await executeHTTPGraphQLRequestReleasing(apollo, post(body, headers), async () => context);
  return response.body.kind === 'complete' ? JSON.parse(response.body.string) : undefined;
}

describe('the gateway executor (executor.ts: graphql-jit through Apollo gateway interface)', () => {
  it('is called for every operation, with the document Apollo cached for a repeated query', async () => {
    for (let i = 0; i < 3; i += 1) expect(await run({ query: ENTITIES, variables: { r: [] } })).toEqual({ data: { _entities: [] } });
    canary(
      executorSaw.length === 3,
      `the gateway executor ran ${executorSaw.length} times for 3 operations: Apollo no longer executes through the gateway interface, so graphql-jit (executor.ts) is out of use`,
    );
    canary(
      executorSaw[0]!.document === executorSaw[1]!.document && executorSaw[1]!.document === executorSaw[2]!.document,
      'the gateway executor gets a new document object for a repeated query: executor.ts keys compilation by document, so nothing would ever be compiled',
    );
    expect(modes, 'compiled at the second execution (compileAfter: 2)').toEqual(['interpreted', 'compiled', 'compiled']);
  });

  it('hands the executor the context value plugins and resolvers see, and the request headers', async () => {
    await run({ query: '{ __typename }' }, { requestId: 'canary' }, [['apollo-federation-include-trace', 'ftv1']]);
    canary(executorSaw.length === 1 && pluginsSaw.length === 1, 'one HTTP request no longer means one gateway execution and one plugin request context');
    canary(
      executorSaw[0]!.context === pluginsSaw[0]!.contextValue,
      "the gateway request context's `context` is not the request's context value: compiled operations would resolve without the request's loaders and principal",
    );
    canary(
      executorSaw[0]!.request.http?.headers.get('apollo-federation-include-trace') === 'ftv1',
      "the gateway request's `http.headers.get` no longer answers the request's headers: ftv1 (traced) requests would run compiled, without a trace",
    );
    expect(modes).toEqual(['traced']);
  });

  it("serves the gateway's apiSchema, the instance Apollo instruments for tracing", async () => {
    await run({ query: '{ __typename }' });
    canary(
      servedSchema !== undefined && pluginsSaw[0]!.schema === servedSchema,
      "Apollo no longer serves the schema the gateway hands it (onSchemaLoadOrUpdate's apiSchema): traced requests run on that instance because it is the one Apollo's trace plugin wraps",
    );
  });
});

describe('the request release (requestRelease.ts: empties Apollo request contexts once answered)', () => {
  const HELD_BY_US = Symbol('ours');

  it("hands plugins a shallow copy of the context value, symbol-keyed properties included", async () => {
    const ours = { requestId: 'r1', [HELD_BY_US]: ['list'] };
    let seen: Record<string | symbol, unknown> | undefined;
    const spy: ApolloServerPlugin<BaseContext> = {
      async requestDidStart({ contextValue }) {
        seen = contextValue as Record<string | symbol, unknown>;
      },
    };
    const server = new ApolloServer<BaseContext>({ gateway: recording(createCompilingGateway(() => createSubgraphSchema({ authorizationDirectives: false }), { compileAfter: 0 })), logger: silent, plugins: [spy] });
    await server.start();
    try {
      await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: post({ query: '{ __typename }' }), context: async () => ours });
    } finally {
      await server.stop();
    }
    canary(
      seen?.[HELD_BY_US] === ours[HELD_BY_US] && seen?.['requestId'] === 'r1',
      "plugins no longer see the context value's own properties (symbol-keyed included) by reference: the request hooks (requestHooks.ts) cannot record Apollo's request contexts (requestRelease.ts)",
    );
  });

  it('empties every request context Apollo built, and answers the next request as before', async () => {
    const first = await run({ query: ENTITIES, variables: { r: [] } });
    canary(pluginsSaw.length === 1, 'no request context reached the plugins');
    const { requestContext } = pluginsSaw[0]!;
    canary(
      requestContext.request === undefined && requestContext.response === undefined && requestContext.contextValue === undefined,
      'the request context plugins saw was not emptied after the answer: the request hooks no longer record it (context value not shared, or hooks changed)',
    );
    const second = await run({ query: ENTITIES, variables: { r: [] } });
    canary(JSON.stringify(second) === JSON.stringify(first), 'a request after a released one answers differently: Apollo reads a released object again after answering');
  });

  it('builds request contexts holding the fields the release empties', async () => {
    let keys: { context: string[]; request: string[]; response: string[] } | undefined;
    const shape: ApolloServerPlugin<BaseContext> = {
      async requestDidStart() {
        return {
          async willSendResponse(requestContext) {
            keys = {
              context: Object.keys(requestContext).sort(),
              request: Object.keys(requestContext.request).sort(),
              response: Object.keys(requestContext.response).sort(),
            };
          },
        };
      },
    };
    const server = new ApolloServer<BaseContext>({ gateway: recording(createCompilingGateway(() => createSubgraphSchema({ authorizationDirectives: false }), { compileAfter: 0 })), logger: silent, plugins: [shape] });
    await server.start();
    try {
      await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: post({ query: ENTITIES, variables: { r: [] } }), context: async () => ({}) });
    } finally {
      await server.stop();
    }
    const expected = {
      context: ['cache', 'contextValue', 'document', 'logger', 'metrics', 'operation', 'operationName', 'overallCachePolicy', 'queryHash', 'request', 'requestIsBatched', 'response', 'schema', 'source'],
      request: ['extensions', 'http', 'operationName', 'query', 'variables'],
      response: ['body', 'http'],
    };
    canary(
      JSON.stringify(keys) === JSON.stringify(expected),
      `Apollo's request context holds ${JSON.stringify(keys)}, not ${JSON.stringify(expected)}: check that requestRelease.ts still empties every object holding the request's data, then update this list`,
    );
  });

  it("keeps the gateway view's `response.http.status` as an accessor over the request context (why the release pays)", async () => {
    await run({ query: '{ __typename }' });
    const status = Object.getOwnPropertyDescriptor(executorSaw[0]!.response!.http, 'status');
    canary(
      typeof status?.get === 'function' && typeof status.set === 'function',
      'the gateway request context no longer holds `response.http.status` as a getter/setter pair: the reason the request release pays may be gone; measure with bench/gc.ts (docs/performance.md) and remove the release if it no longer cuts promoted bytes',
    );
  });
});
