// Observes each GraphQL operation for the request log and metrics: its name, its first error
// code, and the cause of any unexpected error (logged with the request id, never sent; the
// masked error carries the request id so a client report can be matched to the log line).
// Run from the request hooks (requestHooks.ts).
import type {
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
} from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import { appErrorOf, isCodelessClientError } from './errors.js';

function isUnexpected(error: GraphQLError): boolean {
  if (appErrorOf(error) !== null || isCodelessClientError(error)) return false;
  const code = error.extensions?.['code'];
  return typeof code !== 'string' || code === 'INTERNAL_SERVER_ERROR';
}

/** The operation's name, as Apollo resolved it. */
export function observeOperation({ operationName, operation, contextValue }: GraphQLRequestContextDidResolveOperation<GraphQLContext>): void {
  if (!contextValue.observed) return;
  contextValue.observed.operationName = operationName ?? null;
  contextValue.observed.operationType = operation?.operation ?? null;
}

/** Logs the cause of each unexpected error with the request id. */
export function logUnexpectedErrors(logger: Pick<Logger, 'error'>, { errors, contextValue }: GraphQLRequestContextDidEncounterErrors<GraphQLContext>): void {
  for (const error of errors) {
    if (!isUnexpected(error)) continue;
    logger.error({ requestId: contextValue.requestId, err: unwrapResolverError(error) }, 'unexpected error');
  }
}

/** The answer's first error code, and the request id on each masked error. */
export function observeResponse({ response, contextValue }: GraphQLRequestContextWillSendResponse<GraphQLContext>): void {
  if (response.body.kind !== 'single') return;
  const errors = response.body.singleResult.errors;
  if (errors === undefined || errors.length === 0) return;
  const code = errors[0]?.extensions?.['code'];
  if (contextValue.observed) contextValue.observed.errorCode = typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
  for (const error of errors) {
    if (error.extensions?.['code'] === 'INTERNAL_SERVER_ERROR') {
      (error as { extensions: Record<string, unknown> }).extensions = { ...error.extensions, requestId: contextValue.requestId };
    }
  }
}
