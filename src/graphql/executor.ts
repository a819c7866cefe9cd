// Operations run on graphql-js for their first executions, then compiled by graphql-jit: once
// documents are cached, execution dominates a request (docs/performance.md, "Compiled
// execution"). Apollo hands operations over through apolloBoundary.ts.
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

/** One operation to run: what Apollo validated and the request's values. */
export interface Execution {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | null;
  contextValue: unknown;
  variableValues: Record<string, unknown>;
}

/** The operation on graphql-js. */
function interpret({ schema, document, contextValue, variableValues, operationName }: Execution): ExecutionResult | Promise<ExecutionResult> {
  return execute({ schema, document, contextValue, variableValues, operationName });
}

/** Runs an operation; `traced`: interpreted, so that Apollo's field wrappers see every field. */
export type Execute = (execution: Execution, traced: boolean) => Promise<ExecutionResult>;

/**
 * graphql-js for an operation's first executions, graphql-jit from `compileAfter` on. Plugged
 * into Apollo by its gateway interface (apolloBoundary.ts, which picks the schema instance).
 */
export function createCompilingExecutor(options: CompilingExecutorOptions): Execute {
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

  return async (execution, traced) => {
    const { schema, document, operationName, contextValue, variableValues } = execution;
    if (traced) {
      observe('traced');
      return interpret(execution);
    }
    if (options.compileAfter > 0) {
      const state = stateOf(document, operationName);
      if (state.compiled === undefined && ++state.runs >= options.compileAfter) {
        state.compiled = compiledOrNull(schema, document, operationName);
      }
      if (state.compiled) {
        const compiled = state.compiled;
        const result = await compiled.query(undefined, contextValue, variableValues);
        // No data: the variables were refused before anything ran. graphql-js says why
        // in the form Apollo answers 400 BAD_USER_INPUT for (errors located on the variable).
        if (result.data !== undefined) {
          observe('compiled');
          return withGraphQLErrors(result);
        }
      }
    }
    observe('interpreted');
    return interpret(execution);
  };
}
