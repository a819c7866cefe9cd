// Apollo's request contexts, emptied once Apollo has answered, so that what they hold does not
// outlive the request in the old generation (docs/performance.md, "Request release"); the
// Apollo behaviour this relies on is fenced by apollo-canaries.test.ts.
import type { ApolloServer, BaseContext, GraphQLRequestContext, HTTPGraphQLRequest, HTTPGraphQLResponse } from '@apollo/server';

const HELD: unique symbol = Symbol('the request contexts Apollo built for this HTTP request');

/** A context value carrying the list the release plugin records Apollo's request contexts in. */
type Releasable = { [HELD]?: GraphQLRequestContext<BaseContext>[] };

/**
 * Records a request context Apollo built (one per operation of a batch), from requestDidStart
 * (requestHooks.ts), for executeHTTPGraphQLRequestReleasing to empty.
 */
export function recordForRelease(requestContext: GraphQLRequestContext<BaseContext>): void {
  // Apollo hands plugins a shallow copy of the context value: the list is shared by reference.
  (requestContext.contextValue as Releasable)[HELD]?.push(requestContext);
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
 * Apollo's `executeHTTPGraphQLRequest`, after which the request contexts Apollo built for it
 * (recorded by recordForRelease) are emptied, unless the body is still being streamed.
 */
export async function executeHTTPGraphQLRequestReleasing<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  httpGraphQLRequest: HTTPGraphQLRequest,
  context: () => Promise<TContext>,
): Promise<HTTPGraphQLResponse> {
  const held: GraphQLRequestContext<BaseContext>[] = [];
  let response: HTTPGraphQLResponse | undefined;
  try {
    response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      // The list rides on the context value (one symbol-keyed property) into every copy Apollo makes.
      context: async () => Object.assign(await context(), { [HELD]: held }),
    });
    return response;
  } finally {
    if (response?.body.kind !== 'chunked') for (const requestContext of held) empty(requestContext);
  }
}
