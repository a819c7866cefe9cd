// Typed application errors with stable public codes. The cause is kept for logs and is
// never sent to clients. Imports nothing from src.

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'AMBIGUOUS_CREDENTIALS'
  | 'AUTH_PROVIDER_UNAVAILABLE'
  | 'IDENTITY_STORE_UNAVAILABLE'
  | 'EMAIL_NOT_VERIFIED'
  | 'IMPERSONATION_TARGET_UNKNOWN'
  | 'USER_SUSPENDED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'QUERY_TOO_DEEP'
  | 'QUERY_TOO_COMPLEX'
  | 'TOO_MANY_REPRESENTATIONS'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'PERSISTED_QUERY_HASH_MISMATCH'
  | 'INTERNAL_SERVER_ERROR';

/** HTTP status each code answers with when it fails the whole request. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  AMBIGUOUS_CREDENTIALS: 400,
  AUTH_PROVIDER_UNAVAILABLE: 503,
  IDENTITY_STORE_UNAVAILABLE: 503,
  EMAIL_NOT_VERIFIED: 403,
  IMPERSONATION_TARGET_UNKNOWN: 403,
  USER_SUSPENDED: 403,
  FORBIDDEN: 403,
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  QUERY_TOO_DEEP: 400,
  QUERY_TOO_COMPLEX: 400,
  TOO_MANY_REPRESENTATIONS: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  PERSISTED_QUERY_HASH_MISMATCH: 400,
  INTERNAL_SERVER_ERROR: 500,
};

/** Public messages: fixed per code so no internal detail can leak through a message. */
const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  UNAUTHENTICATED: 'Authentication failed: the bearer token is missing, malformed or invalid.',
  AMBIGUOUS_CREDENTIALS: 'The request carries two different tokens (Authorization and X-User-Token).',
  AUTH_PROVIDER_UNAVAILABLE: "The token issuer's signing keys cannot be fetched right now; retry later.",
  IDENTITY_STORE_UNAVAILABLE: 'The identity store cannot be reached right now; retry later.',
  EMAIL_NOT_VERIFIED:
    'This email address belongs to an existing account and the token does not show it verified.',
  IMPERSONATION_TARGET_UNKNOWN: 'The impersonated user does not exist here.',
  USER_SUSPENDED: 'This account is suspended.',
  FORBIDDEN: 'You are not allowed to do this.',
  BAD_USER_INPUT: 'The input is invalid.',
  NOT_FOUND: 'Not found.',
  CONFLICT: 'The change conflicts with existing data.',
  PAYLOAD_TOO_LARGE: 'The request body is too large.',
  QUERY_TOO_DEEP: 'The query is nested too deeply.',
  QUERY_TOO_COMPLEX: 'The query is too large or too repetitive.',
  TOO_MANY_REPRESENTATIONS: 'Too many entity representations in one request.',
  GRAPHQL_VALIDATION_FAILED: 'The document is not valid.',
  PERSISTED_QUERY_HASH_MISMATCH: 'The persisted query hash does not match the query.',
  INTERNAL_SERVER_ERROR: 'Internal server error.',
};

/**
 * Why, within its code, a request was refused: `extensions.reason` on GraphQL answers and in the
 * coprocessor's break. One union; new reasons are snake_case (as RFC 6749/6750's `error` codes,
 * and unlike `extensions.code`, so a reason never reads as a code). The reasons the contract
 * published keep their spelling whatever their casing. A claim's reason names the claim
 * (`invalid_sub`, `missing_exp`).
 */
export type Reason =
  // Published by the contract (shared/spec): never changed.
  | 'revoked'
  | 'userinfo_subject_mismatch'
  | 'LAST_OWNER'
  | 'API_KEYS_DISABLED'
  // API keys (api-keys.md).
  | 'scope_not_held'
  | 'too_many_api_keys'
  | 'api_key_not_found'
  // 401: the credentials themselves (RFC 6750), and JWT verification.
  | 'authentication_required'
  | 'empty_bearer'
  | 'malformed_bearer'
  | 'unsupported_scheme'
  | 'empty_token'
  | 'malformed_token'
  | 'token_too_large'
  | 'malformed'
  | 'alg_not_allowed'
  | 'embedded_key'
  | 'logout_token'
  | 'unknown_issuer'
  | 'issuer_mismatch'
  | 'unknown_kid'
  | 'ambiguous_kid'
  | 'key_lookup_failed'
  | 'key_withdrawn'
  | 'keys_stale'
  | 'invalid_signature'
  | 'verification_failed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_too_old'
  | 'iat_in_future'
  | 'client_id_mismatch'
  | 'service_principal_not_allowed'
  | `missing_${string}`
  | `invalid_${string}`
  // 401 and 503: opaque sessions (introspection), userinfo, the platform's keys.
  | 'inactive'
  | 'introspection_timeout'
  | 'introspection_unreachable'
  | 'introspection_refused_client'
  | 'introspection_failed'
  | 'userinfo_unavailable'
  | 'platform_keys_unavailable'
  | 'platform_keys_unusable'
  // 400 for a back-channel logout token (logged; its answer is `invalid_request`).
  | 'wrong_typ'
  | 'no_audience'
  | 'iat_too_old'
  | 'nonce_present'
  | 'replayed_jti'
  // Refusals of the organization, directory and HTTP edges (moved to the one casing: none was
  // published; SUBGRAPH_SECRET names the contract's own variable and keeps its spelling).
  | 'missing_scope'
  | 'user_required'
  | 'role_required'
  | 'owner_required'
  | 'not_invitee'
  | 'invitation_expired'
  | 'invitation_not_pending'
  | 'SUBGRAPH_SECRET'
  | 'cors_origin'
  | 'user_not_found'
  | 'membership_not_found'
  | 'organization_not_found'
  | 'already_member'
  | 'domain_taken'
  | 'external_organization_taken'
  | 'input_required'
  | 'user_id_xor_email'
  | 'invalid_json'
  | 'invalid_coprocessor_request'
  | 'invalid_email'
  | 'invalid_name'
  | 'invalid_domain'
  | 'invalid_first'
  | 'invalid_cursor'
  | 'invalid_query'
  | 'unstorable_value';

export interface AppErrorOptions {
  /** Public message; defaults to a fixed text per code. Never put driver or jose text here. */
  message?: string;
  /** Machine-readable refinement of the code, e.g. `LAST_OWNER`, `token_expired`. */
  reason?: Reason;
  /** Internal cause, logged with the request id, never sent. */
  cause?: unknown;
  /** Seconds for a `Retry-After` header (503 codes). */
  retryAfterSeconds?: number;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly reason: Reason | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? DEFAULT_MESSAGE[code], { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** BAD_USER_INPUT with a message naming the input and its reason. */
export function badInput(message: string, reason: Reason): AppError {
  return new AppError('BAD_USER_INPUT', { message, reason });
}

/** UNAUTHENTICATED for a request that carried no credentials at all (not a bad token). */
export function authenticationRequired(): AppError {
  return new AppError('UNAUTHENTICATED', { message: 'This operation requires a bearer token.', reason: 'authentication_required' });
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Headers a failing response carries for this error (RFC 6750 challenge, Retry-After). */
export function errorHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.code === 'UNAUTHENTICATED') {
    // RFC 6750 §3.1: a request that sent no token gets the bare challenge, without an error code.
    headers['www-authenticate'] = error.reason === 'authentication_required' ? 'Bearer' : 'Bearer error="invalid_token"';
  }
  if (error.status === 503) headers['retry-after'] = String(error.retryAfterSeconds ?? 5);
  return headers;
}
