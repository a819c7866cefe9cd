// POST /oauth/token (platform-tokens.md): RFC 8693 token exchange and WorkOS's authorization-code
// grant, form-encoded in, JSON out, refusals in RFC 6749 §5.2's shape and nothing internal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MAX_IDENTIFIER_BYTES, readClientId } from '../auth/claims.js';
import { isAppError } from '../errors.js';
import { ACCESS_TOKEN_TYPE, OAuthError, type PlatformTokenService } from '../services/platformTokens.js';
import { readBody, sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SUBJECT_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, 'urn:ietf:params:oauth:token-type:jwt']);
// RFC 6749 §5.1: token answers must not be cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);

/** The form's parameters; RFC 6749 §3.2: none may appear twice. */
function readForm(text: string): Map<string, string> {
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (form.has(name)) throw invalidRequest(`${name} is given more than once.`);
    form.set(name, value);
  }
  return form;
}

function required(form: Map<string, string>, name: string): string {
  const value = form.get(name);
  if (value === undefined || value === '') throw invalidRequest(`${name} is required.`);
  return value;
}

/**
 * RFC 6749 §2.2's client identifier, carried into the token's `client_id` claim (RFC 9068): no
 * client is registered, so any identifier a public client names is taken, but only as printable
 * text of at most 255 bytes. Empty counts as absent (RFC 6749 §3.1).
 */
function readClientIdField(form: Map<string, string>): string | null {
  const field = form.get('client_id');
  if (field === undefined || field === '') return null;
  const clientId = readClientId(field);
  if (clientId === null) throw invalidRequest(`client_id must be printable text of at most ${MAX_IDENTIFIER_BYTES} bytes.`);
  return clientId;
}

function readScope(form: Map<string, string>): string[] | null {
  const scope = form.get('scope');
  if (scope === undefined) return null;
  const scopes = scope.split(' ').filter((s) => s !== '');
  if (scopes.length === 0) throw invalidRequest('scope is empty.');
  return scopes;
}

/** Any failure in OAuth's terms: our refusals as they are, the authenticator's codes mapped. */
function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (isAppError(error)) {
    if (error.code === 'UNAUTHENTICATED') return new OAuthError(400, 'invalid_grant', 'The subject token is invalid, expired or revoked.', { cause: error });
    // Suspended, email not verified, unknown impersonation target: the code says which.
    if (error.status === 403) return new OAuthError(403, 'access_denied', error.code, { cause: error });
    if (error.status === 503) {
      return new OAuthError(503, 'temporarily_unavailable', 'Tokens cannot be issued right now; retry later.', { cause: error, retryAfterSeconds: error.retryAfterSeconds ?? 5 });
    }
    if (error.code === 'PAYLOAD_TOO_LARGE') return new OAuthError(413, 'invalid_request', 'The request body is too large.');
  }
  return new OAuthError(500, 'server_error', 'Internal server error.', { cause: error });
}

export function createTokenEndpoint(options: { service: PlatformTokenService; logger: Logger; maxBodyBytes: number }): RouteHandler {
  const { service, logger } = options;

  async function grant(req: IncomingMessage) {
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      throw invalidRequest('The body must be application/x-www-form-urlencoded.');
    }
    const form = readForm(await readBody(req, options.maxBodyBytes));
    const grantType = required(form, 'grant_type');
    if (grantType === TOKEN_EXCHANGE_GRANT) {
      const subjectToken = required(form, 'subject_token');
      if (!SUBJECT_TOKEN_TYPES.has(required(form, 'subject_token_type'))) throw invalidRequest('subject_token_type must be an access_token or a jwt.');
      const requested = form.get('requested_token_type');
      if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) throw invalidRequest('requested_token_type must be an access_token.');
      if (form.has('actor_token') || form.has('actor_token_type')) throw invalidRequest('Delegation (actor_token) is not supported.');
      return service.exchange({ subjectToken, scope: readScope(form), clientId: readClientIdField(form) });
    }
    if (grantType === 'authorization_code' && service.codeGrantIssuers.length > 0) {
      return service.exchangeCode({
        issuer: required(form, 'issuer'),
        code: required(form, 'code'),
        // RFC 7636: a code obtained with PKCE is worth nothing without its verifier, so a leaked
        // code alone never reaches WorkOS with our API key.
        codeVerifier: required(form, 'code_verifier'),
        scope: readScope(form),
        clientId: readClientIdField(form),
      });
    }
    throw new OAuthError(400, 'unsupported_grant_type', 'This grant type is not supported.');
  }

  return async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    try {
      const issued = await grant(req);
      sendJson(res, 200, issued, NO_STORE);
    } catch (caught) {
      const error = toOAuthError(caught);
      if (error.status >= 500) {
        const log = error.status === 500 ? logger.error.bind(logger) : logger.warn.bind(logger);
        log({ requestId, err: error.cause ?? error }, 'token endpoint failed');
      }
      const headers: Record<string, string> = { ...NO_STORE };
      if (error.status === 503) headers['retry-after'] = String(error.retryAfterSeconds ?? 5);
      sendJson(res, error.status, { error: error.error, error_description: error.description }, headers);
    }
  };
}
