// The one place AppErrors become GraphQL errors, and unknown errors are masked.
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { AppError, errorHeaders, isAppError } from '../errors.js';

// Codes that fail a whole request carry their HTTP status; the rest (FORBIDDEN,
// BAD_USER_INPUT, NOT_FOUND, CONFLICT inside a resolver) stay 200 with partial data,
// as GraphQL clients expect.
const REQUEST_LEVEL = new Set([
  'UNAUTHENTICATED', 'AUTH_PROVIDER_UNAVAILABLE', 'IDENTITY_STORE_UNAVAILABLE', 'EMAIL_NOT_VERIFIED', 'IMPERSONATION_TARGET_UNKNOWN',
  'QUERY_TOO_DEEP', 'TOO_MANY_REPRESENTATIONS',
]);

/** A GraphQLError for an AppError, with its code, reason and (for request-level codes) HTTP status. */
export function toGraphQLError(error: AppError): GraphQLError {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.reason !== undefined) extensions['reason'] = error.reason;
  if (REQUEST_LEVEL.has(error.code)) {
    extensions['http'] = { status: error.status, headers: new Map(Object.entries(errorHeaders(error))) };
  }
  return new GraphQLError(error.message, { extensions, originalError: error });
}

export interface FormatErrorOptions {
  production: boolean;
  onUnexpected: (error: unknown, requestId: string | undefined) => void;
}

/**
 * Lets intended errors through (AppErrors, GraphQL validation errors) and masks everything
 * else as INTERNAL_SERVER_ERROR, logging the cause.
 */
export function createFormatError(options: FormatErrorOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    let original = unwrapResolverError(error);
    // Apollo wraps validation-rule errors (QUERY_TOO_DEEP) and keeps ours as originalError.
    const wrapped = (original as { originalError?: unknown } | null)?.originalError;
    if (!isAppError(original) && isAppError(wrapped)) original = wrapped;
    if (isAppError(original)) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original.reason !== undefined) extensions['reason'] = original.reason;
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    const code = formatted.extensions?.['code'];
    const known = typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
    if (known) {
      if (!options.production) return formatted;
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    options.onUnexpected(original, undefined);
    return { message: 'Internal server error.', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
