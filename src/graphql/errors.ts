// The one place AppErrors become GraphQL errors, and unknown errors are masked.
import type { GraphQLFormattedError } from 'graphql';
import type { BaseContext, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { errorHeaders, isAppError, type AppError, type ErrorCode } from '../errors.js';
import { UNSTORABLE_VALUE } from '../db/errors.js';

// Codes that fail a whole request answer with their HTTP status even when raised inside a
// resolver (the database vanishing mid-request is a 503, not a 200 with a null viewer); the
// rest (FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, CONFLICT) stay 200 with partial data, as
// GraphQL clients expect.
const REQUEST_LEVEL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UNAUTHENTICATED',
  'AUTH_PROVIDER_UNAVAILABLE',
  'IDENTITY_STORE_UNAVAILABLE',
  'EMAIL_NOT_VERIFIED',
  'IMPERSONATION_TARGET_UNKNOWN',
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COMPLEX',
  'TOO_MANY_REPRESENTATIONS',
]);

/** Whether the error fails the whole request (its HTTP status answers it). */
function failsRequest(error: AppError): boolean {
  // A value the database could not take failed a statement the request depended on.
  return REQUEST_LEVEL.has(error.code) || error.reason === UNSTORABLE_VALUE;
}

/**
 * A client's mistake Apollo refused without a code of its own (a persisted query of another
 * version, say): Apollo gave it a 4xx status. Answered BAD_REQUEST, and not logged as an error.
 */
export function isCodelessClientError(error: unknown): boolean {
  const status = (error as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && (error as { extensions: { code?: unknown } }).extensions.code === undefined;
}

/**
 * The AppError behind a GraphQL error: thrown in a resolver, or kept as `originalError` by
 * Apollo when a validation rule (QUERY_TOO_DEEP) or a plugin hook (TOO_MANY_REPRESENTATIONS)
 * raised it.
 */
export function appErrorOf(error: unknown): AppError | null {
  const original = unwrapResolverError(error);
  if (isAppError(original)) return original;
  const wrapped = (original as { originalError?: unknown } | null)?.originalError;
  return isAppError(wrapped) ? wrapped : null;
}

/**
 * Sets the response's HTTP status and headers from the request's first request-level AppError
 * (`requestContext.errors`: what Apollo handed didEncounterErrors). Run in willSendResponse
 * (requestHooks.ts).
 */
export function applyRequestLevelFailure(requestContext: GraphQLRequestContextWillSendResponse<BaseContext>): void {
  const { errors, response } = requestContext;
  if (errors === undefined) return;
  let failure: AppError | undefined;
  for (const error of errors) {
    const original = appErrorOf(error);
    if (original !== null && failsRequest(original)) {
      failure = original;
      break;
    }
  }
  if (failure === undefined) return;
  // The request failed as a whole: partial data (a `viewer: null` next to a 503) would
  // read as "signed out" to a client that looks at data first.
  if (response.body.kind === 'single' && response.body.singleResult.data !== undefined) response.body.singleResult.data = null;
  response.http.status = failure.status;
  for (const [name, value] of Object.entries(errorHeaders(failure))) response.http.headers.set(name, value);
}

export interface FormatErrorOptions {
  production: boolean;
}

/**
 * Lets intended errors through (AppErrors, GraphQL validation errors) and masks everything
 * else as INTERNAL_SERVER_ERROR (observe.ts logs the cause with the request id).
 */
export function createFormatError(options: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = appErrorOf(error) ?? unwrapResolverError(error);
    if (isAppError(original)) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original.reason !== undefined) extensions['reason'] = original.reason;
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (isCodelessClientError(error)) return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    const code = formatted.extensions?.['code'];
    const known = typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
    if (known) {
      if (!options.production) return formatted;
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    return { message: 'Internal server error.', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
