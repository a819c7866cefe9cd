// POST /oauth/introspect (callers.md, RFC 7662): a service holding `tokens:introspect` asks whose
// a token is. The caller is authenticated as on /graphql (RFC 6750 refusals: 401 invalid_token,
// 403 insufficient_scope, nothing about the token asked); the token is answered by
// services/tokenIntrospection.ts. Always on, outside SUBGRAPH_SECRET, never cached.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { readCredentials } from '../auth/bearer.js';
import { canIntrospectTokens } from '../domain/policy.js';
import type { Principal } from '../domain/types.js';
import { isAppError } from '../errors.js';
import type { UserStore } from '../db/userStore.js';
import type { AuthenticateToken } from '../services/authenticate.js';
import type { IntrospectionAnswer, IntrospectToken } from '../services/tokenIntrospection.js';
import { readBody, sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

// RFC 7662 §4 and RFC 6749 §5.1: answers about tokens are never cached.
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

export interface IntrospectionEndpointOptions {
  /** Authenticates the caller's own bearer, as /graphql does. */
  authenticateToken: AuthenticateToken;
  introspect: IntrospectToken;
  users: UserStore;
  logger: Logger;
  maxBodyBytes: number;
}

/** A refusal of the request itself, answered as is. */
class Refusal {
  constructor(
    readonly status: number,
    readonly body: Record<string, string> | null,
    readonly headers: Record<string, string> = {},
  ) {}
}

const invalidRequest = (description: string) => new Refusal(400, { error: 'invalid_request', error_description: description });
const noCredentials = () => new Refusal(401, null, { 'www-authenticate': 'Bearer' });
const invalidToken = () => new Refusal(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
const insufficientScope = () =>
  new Refusal(403, { error: 'insufficient_scope' }, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="tokens:introspect"' });
const unavailable = (retryAfterSeconds: number | undefined) =>
  new Refusal(503, { error: 'temporarily_unavailable', error_description: 'The token cannot be checked right now; retry later.' }, { 'retry-after': String(retryAfterSeconds ?? 5) });

/** The raw Authorization values (Node keeps only the first in `req.headers`). */
function authorizationOf(req: IncomingMessage): string | null {
  const raw = req.rawHeaders;
  let found: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    // RFC 6750 §3.1: more than one method of authentication is an invalid request.
    if (found !== null) throw invalidRequest('The request carries more than one Authorization header.');
    found = raw[i + 1]!;
  }
  return found;
}

/** Any failure of the caller's own credential in RFC 6750's terms. */
function callerRefusal(error: unknown): Refusal {
  if (error instanceof Refusal) return error;
  if (isAppError(error)) {
    if (error.status === 401) return invalidToken();
    // A valid caller that may not act (suspended, unverified email): not a tokens:introspect service.
    if (error.status === 403) return insufficientScope();
    if (error.status === 503) return unavailable(error.retryAfterSeconds);
    if (error.code === 'PAYLOAD_TOO_LARGE') return new Refusal(413, { error: 'invalid_request', error_description: 'The request body is too large.' });
    if (error.status === 400) return invalidRequest('The request is malformed.');
  }
  throw error;
}

/** The form's one `token`; RFC 6749 §3.2: no parameter twice. */
function readToken(text: string): string {
  let token: string | undefined;
  for (const [name, value] of new URLSearchParams(text)) {
    if (name !== 'token') continue;
    if (token !== undefined) throw invalidRequest('token is given more than once.');
    token = value;
  }
  if (token === undefined || token === '') throw invalidRequest('token is required.');
  return token;
}

export function createIntrospectionEndpoint(options: IntrospectionEndpointOptions): RouteHandler {
  const { logger } = options;

  /** The caller, admitted to introspect; a Refusal otherwise. */
  function admitCaller(req: IncomingMessage): void | Promise<void> {
    const header = authorizationOf(req);
    if (header === null) throw noCredentials();
    const callerToken = readCredentials({ authorization: header });
    if (callerToken === null) throw noCredentials();
    const check = (caller: Principal): void => {
      if (!canIntrospectTokens(caller)) throw insufficientScope();
    };
    const caller = options.authenticateToken(callerToken, options.users.view());
    return caller instanceof Promise ? caller.then(check) : check(caller);
  }

  async function tokenOf(req: IncomingMessage): Promise<string> {
    if (!FORM.test(req.headers['content-type'] ?? '')) throw invalidRequest('The body must be application/x-www-form-urlencoded.');
    return readToken(await readBody(req, options.maxBodyBytes));
  }

  function fail(res: ServerResponse, requestId: string, error: unknown): void {
    let refusal: Refusal;
    try {
      refusal = callerRefusal(error);
    } catch {
      logger.error({ requestId, err: isAppError(error) ? (error.cause ?? error) : error }, 'token introspection failed');
      refusal = new Refusal(500, { error: 'server_error', error_description: 'Internal server error.' });
    }
    if (refusal.status === 503) logger.warn({ requestId, err: isAppError(error) ? (error.cause ?? error) : error }, 'token introspection unavailable');
    const headers = { ...NO_STORE, ...refusal.headers };
    if (refusal.body === null) {
      res.writeHead(refusal.status, { ...headers, 'content-length': 0 });
      res.end();
    } else {
      sendJson(res, refusal.status, refusal.body, headers);
    }
  }

  const answer = (res: ServerResponse, result: IntrospectionAnswer) => sendJson(res, 200, result, NO_STORE);

  return async (req, res, requestId) => {
    try {
      const admitted = admitCaller(req);
      if (admitted instanceof Promise) await admitted;
      const result = options.introspect(await tokenOf(req));
      answer(res, result instanceof Promise ? await result : result);
    } catch (error) {
      fail(res, requestId, error);
    }
  };
}
