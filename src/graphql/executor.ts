// Operations run on graphql-js for their first executions, then compiled by graphql-jit: once
// documents are cached, execution dominates a request. Plugged in through Apollo's gateway
// interface (docs/performance.md, "Execution"); apollo-canaries.test.ts fences what it relies on.
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

interface OperationState {
  runs: number;
  /** Undefined until compiled; null when graphql-jit declined the operation. */
  compiled?: CompiledQuery | null;
}

/** How an operation ran: graphql-jit's compiled function, graphql-js, or graphql-js on Apollo's traced schema. */
export type ExecutionMode = 'compiled' | 'interpreted' | 'traced';

export interface CompilingExecutorOptions {
  /** The execution at which an operation is compiled (1: at once); 0: never compile. */
  compileAfter: number;
  /** Told of every execution, by mode (metrics). */
  onExecution?: (mode: ExecutionMode) => void;
}

/** A GraphQL error wrapping a cause (duck-typed: it may come from another copy of graphql). */
function isWrapper(error: unknown): error is { originalError: Error } {
  return typeof error === 'object' && error !== null && 'path' in error && (error as { originalError?: unknown }).originalError instanceof Error;
}

/**
 * graphql-jit's errors pass `instanceof GraphQLError` but lack what Apollo reads (`extensions`):
 * each becomes a graphql-js GraphQLError with the same message, path, locations and cause.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  // A failure inside a list or a promise may come wrapped once more: keep the cause itself.
  let cause = error.originalError ?? undefined;
  while (isWrapper(cause)) cause = cause.originalError;
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: cause,
    extensions: error.extensions ?? undefined,
  });
  if (error.locations !== undefined) Object.assign(converted, { locations: error.locations });
  return converted;
}

function withGraphQLErrors(result: ExecutionResult): ExecutionResult {
  return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLError) };
}

/** The compiled operation, or null when graphql-jit declines it (graphql-js keeps running it). */
function compiledOrNull(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): CompiledQuery | null {
  try {
    const compiled = compileQuery(schema, document, operationName ?? undefined);
    return isCompiledQuery(compiled) ? compiled : null;
  } catch {
    return null;
  }
}

/**
 * `createSchema` builds one instance of the executable schema; it is called twice: Apollo wraps
 * every resolver of its instance for good once a request is traced, which compiled operations
 * must not pay for, so they run on the other.
 */
export function createCompilingGateway(createSchema: () => GraphQLSchema, options: CompilingExecutorOptions): GatewayInterface {
  const apiSchema = createSchema();
  const schema = createSchema();
  // Keyed by Apollo's cached document objects: entries go when Apollo's bounded document
  // cache lets the documents go.
  const operations = new WeakMap<DocumentNode, Map<string, OperationState>>();
  const observe = options.onExecution ?? (() => undefined);

  function stateOf(document: DocumentNode, operationName: string | null): OperationState {
    let byName = operations.get(document);
    if (byName === undefined) {
      byName = new Map();
      operations.set(document, byName);
    }
    const key = operationName ?? '';
    let state = byName.get(key);
    if (state === undefined) {
      state = { runs: 0 };
      byName.set(key, state);
    }
    return state;
  }

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema, coreSupergraphSdl: '' });
      return () => undefined;
    },
    async load() {
      return {
        async executor(requestContext): Promise<ExecutionResult> {
          const { document, operationName, request, context } = requestContext;
          const variables = request.variables ?? {};
          // Federated tracing (ftv1) observes each field through Apollo's resolver wrappers
          // and graphql-js's resolve info: such requests are interpreted, on Apollo's instance.
          const traced = request.http?.headers.get('apollo-federation-include-trace') === 'ftv1';
          if (traced) {
            observe('traced');
            return execute({ schema: apiSchema, document, contextValue: context, variableValues: variables, operationName });
          }
          if (options.compileAfter > 0) {
            const state = stateOf(document, operationName);
            if (state.compiled === undefined && ++state.runs >= options.compileAfter) {
              state.compiled = compiledOrNull(schema, document, operationName);
            }
            if (state.compiled) {
              const result = await state.compiled.query(undefined, context, variables);
              // No data: the variables were refused before anything ran. graphql-js says why
              // in the form Apollo answers 400 BAD_USER_INPUT for (errors located on the variable).
              if (result.data !== undefined) {
                observe('compiled');
                return withGraphQLErrors(result);
              }
            }
          }
          observe('interpreted');
          return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
        },
      };
    },
    async stop() {},
  };
}
