// Everything this service relies on in Apollo Server and @apollo/subgraph beyond their public
// API, in one place. Each reliance is checked when the server starts (verifyApolloReliances:
// one that no longer holds stops the process with a message naming it, never a silent
// fallback) and by a canary (test/core/apollo-canaries.test.ts):
//  1. Execution through the gateway interface (graphql-jit, executor.ts): Apollo loads the
//     gateway and calls its executor for every operation with its cached document object, the
//     request's context value and headers; it wraps the resolvers of the schema it serves only
//     for traced (ftv1) requests; an operation it could not resolve arrives without `operation`.
//  2. The request release (docs/performance.md): plugins see the context value's own properties
//     by reference, and Apollo reads none of its request contexts once it has answered.
//  3. The document guard before Apollo's parse: Apollo parses exactly the text the HTTP edge
//     checked (`query` of the JSON body or of the search string; a persisted query's hash alone
//     stands for a text registered, and so checked, before) and refuses batches.
//  4. `_entities` (entities.ts): @apollo/subgraph keeps each entity type's resolveReference at
//     `extensions.apollo.subgraph.resolveReference`.
import { createHash } from 'node:crypto';
import {
  ApolloServer,
  HeaderMap,
  type ApolloServerOptions,
  type ApolloServerPlugin,
  type BaseContext,
  type GraphQLRequestContext,
  type HTTPGraphQLRequest,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { buildSchema, execute, type DocumentNode, type GraphQLObjectType, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { AppError } from '../errors.js';
import type { Execute } from './executor.js';

export class ApolloRelianceError extends Error {
  override readonly name = 'ApolloRelianceError';
  constructor(what: string) {
    super(`Apollo changed: ${what} (src/graphql/apolloBoundary.ts; test/core/apollo-canaries.test.ts says more)`);
  }
}

// 1. Execution through the gateway interface.

const TRACE_HEADER = 'apollo-federation-include-trace';

/**
 * Apollo's gateway interface over `run`. `createSchema` builds one instance of the executable
 * schema, served to Apollo; a second is built at the first traced request, when Apollo wraps
 * every resolver of the one it serves for good: untraced operations run on that one from then
 * on, without the wrappers.
 */
export function createExecutionGateway(createSchema: () => GraphQLSchema, run: Execute): GatewayInterface {
  const apiSchema = createSchema();
  let untracedSchema: GraphQLSchema | undefined;
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return {
        async executor(requestContext) {
          const { document, request, context } = requestContext;
          const variableValues = request.variables ?? {};
          // Typed as always present, absent when the requested name matched no operation (Apollo's
          // own `operationName` is then null, which would run the document's only operation):
          // graphql-js names the problem, and Apollo answers 400 OPERATION_RESOLUTION_FAILURE.
          if ((requestContext.operation as OperationDefinitionNode | undefined) === undefined) {
            return execute({ schema: apiSchema, document, contextValue: context, variableValues, operationName: request.operationName });
          }
          const traced = request.http?.headers.get(TRACE_HEADER) === 'ftv1';
          if (traced) untracedSchema ??= createSchema();
          const schema = traced ? apiSchema : (untracedSchema ?? apiSchema);
          return run({ schema, document, operationName: requestContext.operationName, contextValue: context, variableValues }, traced);
        },
      };
    },
    async stop() {},
  };
}

// 2. The request release.

const HELD: unique symbol = Symbol('the request contexts Apollo built for this HTTP request');

/** A context value carrying the list the release plugin records Apollo's request contexts in. */
type Releasable = { [HELD]?: GraphQLRequestContext<BaseContext>[] };

/** Records a request context Apollo built (one per operation of a batch), from requestDidStart. */
export function recordForRelease(requestContext: GraphQLRequestContext<BaseContext>): void {
  // Apollo hands plugins a shallow copy of the context value: the list is shared by reference.
  (requestContext.contextValue as Releasable)[HELD]?.push(requestContext);
}

/** The recording alone, as a plugin (the request hooks plugin records too: requestHooks.ts). */
export function createRequestReleasePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart(requestContext) {
      recordForRelease(requestContext as unknown as GraphQLRequestContext<BaseContext>);
    },
  };
}

/** Drops the object's references; assigned, not deleted, so it keeps its shape. */
function clear(object: unknown): void {
  if (typeof object !== 'object' || object === null) return;
  const fields = object as Record<string, unknown>;
  for (const key of Object.keys(fields)) fields[key] = undefined;
}

function empty(requestContext: GraphQLRequestContext<BaseContext>): void {
  const { request, response, contextValue } = requestContext;
  // Apollo's objects for this operation, any of which may sit in the old generation: the answer
  // (in the response body), the request (variables, HTTP request) and its copy of the context
  // value (loaders). What they point to is ours and not cleared.
  clear(response?.body);
  clear(response);
  clear(request);
  clear(contextValue);
  clear(requestContext);
}

/**
 * Apollo's `executeHTTPGraphQLRequest` for a context value built before, after which the request
 * contexts Apollo built for it (recorded by createRequestReleasePlugin) are emptied, unless the
 * body is still being streamed. The list rides on the context value (one symbol-keyed property)
 * into every copy Apollo makes; Apollo's `context` function hands the value over as it is.
 */
export async function executeHTTPGraphQLRequestReleasing<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  httpGraphQLRequest: HTTPGraphQLRequest,
  contextValue: TContext,
): Promise<HTTPGraphQLResponse> {
  const held: GraphQLRequestContext<BaseContext>[] = [];
  (contextValue as Releasable)[HELD] = held;
  const context = Promise.resolve(contextValue);
  let response: HTTPGraphQLResponse | undefined;
  try {
    response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => context });
    return response;
  } finally {
    if (response?.body.kind !== 'chunked') for (const requestContext of held) empty(requestContext);
  }
}

// 3. What Apollo will parse, checked by the HTTP edge first.

/** A search parameter given once (Apollo refuses one given twice). */
function searchParamOnce(search: URLSearchParams, name: string): string | undefined {
  const values = search.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/** The operation text of a request, where Apollo reads it: a POST body's `query`, else the search string's. */
export function queryTextOf(method: string, body: unknown, search: URLSearchParams): unknown {
  return method === 'POST' ? (body as { query?: unknown } | null)?.query : searchParamOnce(search, 'query');
}

function extensionsOf(method: string, body: unknown, search: URLSearchParams): unknown {
  if (method === 'POST') return (body as { extensions?: unknown } | null)?.extensions;
  const text = searchParamOnce(search, 'extensions');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // Apollo refuses it (400 BAD_REQUEST)
  }
}

/**
 * A persisted query (APQ) sent with its text must name the text's SHA-256, as Apollo checks
 * after us (it answers a mismatch without a code, as a server error would read). Other
 * persisted-query mistakes (another version) are Apollo's to refuse.
 * @throws AppError PERSISTED_QUERY_HASH_MISMATCH
 */
export function checkPersistedQuery(method: string, body: unknown, search: URLSearchParams): void {
  const query = queryTextOf(method, body, search);
  if (typeof query !== 'string') return;
  const persisted = (extensionsOf(method, body, search) as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | null)?.persistedQuery;
  if (typeof persisted !== 'object' || persisted === null || persisted.version !== 1) return;
  if (persisted.sha256Hash !== createHash('sha256').update(query).digest('hex')) throw new AppError('PERSISTED_QUERY_HASH_MISMATCH');
}

// 4. The entity types' reference resolvers.

export type ResolveReference = (reference: object, context: unknown, info: unknown) => unknown;

interface EntityType {
  name: string;
  extensions: { apollo?: { subgraph?: { resolveReference?: unknown } } };
}

/** Each entity type's resolveReference by name. @throws ApolloRelianceError when one is not where @apollo/subgraph kept it. */
export function referenceResolversOf(schema: GraphQLSchema): Map<string, ResolveReference> {
  // Duck-typed: @apollo/subgraph may load graphql's CommonJS build, so instanceof checks fail.
  const union = schema.getType('_Entity') as { getTypes?: () => readonly EntityType[] } | undefined;
  if (typeof union?.getTypes !== 'function') throw new ApolloRelianceError('the subgraph schema has no _Entity union');
  const resolvers = new Map<string, ResolveReference>();
  for (const type of union.getTypes()) {
    const resolveReference = type.extensions.apollo?.subgraph?.resolveReference;
    if (typeof resolveReference !== 'function') {
      throw new ApolloRelianceError(`@apollo/subgraph no longer keeps ${type.name}'s __resolveReference at extensions.apollo.subgraph.resolveReference, so _entities would answer raw references`);
    }
    resolvers.set(type.name, resolveReference as ResolveReference);
  }
  return resolvers;
}

// Checked at start.

type ServerClass = new (config: ApolloServerOptions<BaseContext>) => ApolloServer<BaseContext>;

function expectThat(holds: boolean, what: string): void {
  if (!holds) throw new ApolloRelianceError(what);
}

/**
 * Runs a throwaway Apollo Server over a one-field schema through this module's gateway and
 * release plugin, and checks the reliances 1 to 3 (4 is checked as the schema is built).
 */
async function probe(Server: ServerClass): Promise<void> {
  const executed: { document: DocumentNode; contextValue: unknown; traced: boolean }[] = [];
  const sources: string[] = [];
  const contexts: { requestContext: GraphQLRequestContext<BaseContext>; contextValue: BaseContext }[] = [];
  const schemas: GraphQLSchema[] = [];
  let loaded = false;
  const gateway = createExecutionGateway(
    () => schemas[schemas.push(buildSchema('type Query { probe: String }')) - 1]!,
    async (execution, traced) => {
      executed.push({ document: execution.document, contextValue: execution.contextValue, traced });
      return execute(execution);
    },
  );
  const observer: ApolloServerPlugin<BaseContext> = {
    async requestDidStart(requestContext) {
      contexts.push({ requestContext, contextValue: requestContext.contextValue });
      return {
        async didResolveSource({ source }) {
          sources.push(source);
        },
      };
    },
  };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const apollo = new Server({
    gateway: { ...gateway, load: (options) => ((loaded = true), gateway.load(options)) },
    logger: silent,
    // As server.ts configures it: no plugin hooks every field (cache control would).
    plugins: [ApolloServerPluginCacheControlDisabled(), createRequestReleasePlugin(), observer],
  });
  await apollo.start();
  const send = async (method: string, body: unknown, search = '', headers: [string, string][] = []) => {
    const request = { method, headers: new HeaderMap([['content-type', 'application/json'], ['apollo-require-preflight', 'true'], ...headers]), search, body };
    const response = await executeHTTPGraphQLRequestReleasing(apollo, request, { probe: true } as BaseContext);
    return { status: response.status ?? 200, text: response.body.kind === 'complete' ? response.body.string : '' };
  };
  try {
    expectThat(loaded, 'Apollo Server no longer loads its gateway: graphql-jit (executor.ts) would be out of use');
    const query = '{ probe }';
    await send('POST', { query });
    await send('POST', { query });
    expectThat(executed.length === 2, 'the gateway executor is not called for every operation');
    expectThat(executed[0]!.document === executed[1]!.document, 'a repeated query reaches the gateway executor as a new document object: nothing would ever be compiled');
    expectThat(executed[0]!.contextValue === contexts[0]!.contextValue, "the gateway executor's context is not the context value plugins see: resolvers would miss the request's loaders");
    expectThat(contexts[0]!.requestContext.request === undefined, 'request contexts are not emptied once answered: plugins no longer see the context value by reference');
    expectThat((schemas[0]!.getType('Query') as GraphQLObjectType).getFields()['probe']!.resolve === undefined, 'Apollo wraps the resolvers of the schema it serves for untraced requests');
    await send('POST', { query }, '', [[TRACE_HEADER, 'ftv1']]);
    expectThat(executed[2]?.traced === true, "the gateway executor no longer sees the request's headers: traced requests would run compiled, untraced");
    await send('GET', undefined, `?query=${encodeURIComponent('{ probe }')}`);
    expectThat(sources.at(-1) === queryTextOf('GET', undefined, new URLSearchParams({ query: '{ probe }' })), 'Apollo no longer parses the search string\'s `query`: the document guard checks another text');
    expectThat(sources[0] === query, "Apollo no longer parses the JSON body's `query`: the document guard checks another text");
    const parsed = sources.length;
    expectThat((await send('POST', [{ query }])).status === 400 && sources.length === parsed, 'Apollo accepts a batch, whose operations the document guard never sees');
    const hash = createHash('sha256').update('{ unregistered: probe }').digest('hex');
    await send('POST', { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
    expectThat(sources.length === parsed, 'Apollo runs a persisted-query hash never registered with its text, which the document guard never saw');
    const unknown = await send('POST', { query: 'query A { probe }', operationName: 'B' });
    expectThat(unknown.status === 400 && unknown.text.includes('OPERATION_RESOLUTION_FAILURE'), 'an unknown operation name is no longer answered 400 OPERATION_RESOLUTION_FAILURE');
  } finally {
    await apollo.stop();
  }
}

let verified: Promise<void> | undefined;

/**
 * Checks, once per process, that every reliance on Apollo's internals still holds.
 * @throws ApolloRelianceError naming the first that does not. `Server`: for tests of the check.
 */
export function verifyApolloReliances(Server?: ServerClass): Promise<void> {
  if (Server !== undefined) return probe(Server);
  verified ??= probe(ApolloServer as unknown as ServerClass).catch((error: unknown) => {
    verified = undefined;
    throw error;
  });
  return verified;
}
