// Canaries for every reliance on Apollo beyond its public API (src/graphql/apolloBoundary.ts):
// execution through the gateway interface, the request release, the document guard before
// Apollo's parse, `_entities`' reference resolvers. Each fails with a message saying what changed
// in Apollo and what to revisit; the start-up check (verifyApolloReliances) refuses to start
// when one no longer holds.
import { createHash } from 'node:crypto';
import { ApolloServer, HeaderMap, type ApolloServerOptions, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';
import type { GatewayGraphQLRequestContext, GatewayInterface } from '@apollo/server-gateway-interface';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCompilingExecutor, type ExecutionMode } from '../../src/graphql/executor.js';
import {
  ApolloRelianceError,
  createExecutionGateway,
  createRequestReleasePlugin,
  executeHTTPGraphQLRequestReleasing,
  queryTextOf,
  referenceResolversOf,
  verifyApolloReliances,
} from '../../src/graphql/apolloBoundary.js';
import { createRequestHooksPlugin } from '../../src/graphql/requestHooks.js';
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
  const gateway = createExecutionGateway(
    () => createSubgraphSchema({ authorizationDirectives: false }),
    createCompilingExecutor({ compileAfter: 2, onExecution: (mode) => modes.push(mode) }),
  );
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
  const response = await executeHTTPGraphQLRequestReleasing(apollo, post(body, headers), context);
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
    const server = new ApolloServer<BaseContext>({ gateway: recording(createExecutionGateway(() => createSubgraphSchema({ authorizationDirectives: false }), createCompilingExecutor({ compileAfter: 0 }))), logger: silent, plugins: [spy] });
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
    const server = new ApolloServer<BaseContext>({ gateway: recording(createExecutionGateway(() => createSubgraphSchema({ authorizationDirectives: false }), createCompilingExecutor({ compileAfter: 0 }))), logger: silent, plugins: [shape] });
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

describe('the document guard before Apollo (apolloBoundary.ts: Apollo parses the text the edge checked)', () => {
  const sources: string[] = [];
  const sourceSpy: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      return {
        async didResolveSource({ source }) {
          sources.push(source);
        },
      };
    },
  };
  let server: ApolloServer<BaseContext>;
  beforeAll(async () => {
    server = new ApolloServer<BaseContext>({ gateway: createExecutionGateway(() => createSubgraphSchema({ authorizationDirectives: false }), createCompilingExecutor({ compileAfter: 0 })), logger: silent, plugins: [sourceSpy] });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    sources.length = 0;
  });
  const send = (method: string, body: unknown, search = '') =>
    server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method, headers: new HeaderMap([['content-type', 'application/json'], ['apollo-require-preflight', 'true']]), search, body },
      context: async () => ({}),
    });

  it('parses the `query` of a JSON body and of the search string, as queryTextOf reads them', async () => {
    const body = { query: '{ a: __typename }', extensions: { other: { query: '{ b: __typename }' } } };
    await send('POST', body);
    const search = `?query=${encodeURIComponent('{ c: __typename }')}`;
    await send('GET', undefined, search);
    // Given twice: Apollo refuses it, and queryTextOf reads nothing.
    const twice = `?query=${encodeURIComponent('{ d: __typename }')}&query=${encodeURIComponent('{ e: __typename }')}`;
    await send('GET', undefined, twice);
    canary(
      sources.length === 2 &&
        sources[0] === queryTextOf('POST', body, new URLSearchParams()) &&
        sources[1] === queryTextOf('GET', undefined, new URLSearchParams(search)) &&
        queryTextOf('GET', undefined, new URLSearchParams(twice)) === undefined,
      `Apollo parsed ${JSON.stringify(sources)}: not the texts the document guard checks (apolloBoundary.ts queryTextOf)`,
    );
  });

  it('refuses batches (400) and never runs a persisted-query hash it was not given the text of', async () => {
    const batch = await send('POST', [{ query: '{ __typename }' }]);
    const hash = createHash('sha256').update('{ never: __typename }').digest('hex');
    const unknownHash = await send('POST', { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    canary(batch.status === 400 && sources.length === 0, 'Apollo accepts a batch (allowBatchedHttpRequests defaults on?): the document guard never sees its operations');
    canary(
      unknownHash.body.kind === 'complete' && unknownHash.body.string.includes('PERSISTED_QUERY_NOT_FOUND'),
      'Apollo answers an unknown persisted-query hash otherwise than PERSISTED_QUERY_NOT_FOUND: check that a hash alone can only name a text sent (and checked) before',
    );
  });

  it("answers a persisted query whose hash is not its text's with a code-less 400 (why the edge checks it first)", async () => {
    const mismatch = await send('POST', { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } });
    const body = mismatch.body.kind === 'complete' ? JSON.parse(mismatch.body.string) : undefined;
    canary(
      mismatch.status === 400 && body?.errors?.[0]?.extensions?.code === 'INTERNAL_SERVER_ERROR',
      `Apollo now answers a persisted-query hash mismatch with ${mismatch.status} ${JSON.stringify(body)}: the edge's own check (checkPersistedQuery, PERSISTED_QUERY_HASH_MISMATCH) may no longer be needed`,
    );
  });
});

describe("_entities' reference resolvers (apolloBoundary.ts: where @apollo/subgraph keeps them)", () => {
  it('finds every entity type\'s resolveReference at extensions.apollo.subgraph.resolveReference', () => {
    const resolvers = referenceResolversOf(createSubgraphSchema({ authorizationDirectives: false }));
    canary([...resolvers.keys()].sort().join() === 'Membership,Organization,User', `@apollo/subgraph's _Entity members or their resolveReference moved: found ${[...resolvers.keys()].join()}`);
  });

  it('refuses to build a schema whose entity type has no resolveReference there (a start-up failure, not raw references)', () => {
    const schema = createSubgraphSchema({ authorizationDirectives: false });
    const user = schema.getType('User') as unknown as { extensions: { apollo: { subgraph: Record<string, unknown> } } };
    delete user.extensions.apollo.subgraph['resolveReference'];
    expect(() => referenceResolversOf(schema)).toThrow(ApolloRelianceError);
  });
});

describe('the start-up check (verifyApolloReliances)', () => {
  type Config = ApolloServerOptions<BaseContext>;
  /** An Apollo Server changed in one way, as a new version might be. */
  const changed = (change: (config: Config) => Config) =>
    class extends ApolloServer<BaseContext> {
      constructor(config: Config) {
        super(change(config));
      }
    };

  it('passes on the Apollo Server installed', async () => {
    await expect(verifyApolloReliances()).resolves.toBeUndefined();
  });

  it('fails, naming the reliance, when Apollo ignores the gateway, accepts batches or hooks every field', async () => {
    const probeSchema = buildSchema('type Query { probe: String }');
    const ignoresGateway = changed((config) => ({ logger: config.logger, plugins: config.plugins, schema: probeSchema }) as Config);
    const acceptsBatches = changed((config) => ({ ...config, allowBatchedHttpRequests: true }) as Config);
    const hooksEveryField: ApolloServerPlugin<BaseContext> = {
      async requestDidStart() {
        return { async executionDidStart() { return { willResolveField() {} }; } };
      },
    };
    const wrapsResolvers = changed((config) => ({ ...config, plugins: [...(config.plugins ?? []), hooksEveryField] }) as Config);
    for (const [Server, named] of [[ignoresGateway, /gateway/], [acceptsBatches, /batch/], [wrapsResolvers, /wraps the resolvers/]] as const) {
      const failure = await verifyApolloReliances(Server).then(() => null, (error: unknown) => error);
      expect(failure).toBeInstanceOf(ApolloRelianceError);
      expect((failure as Error).message).toMatch(named);
    }
  });
});
