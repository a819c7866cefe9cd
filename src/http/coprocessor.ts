// Apollo Router coprocessor (RouterRequest stage): verifies the client's credentials exactly as
// /graphql does and tells the router who is calling in canonical terms: identity headers for the
// subgraphs and JWT claims (database roles as scopes) for @authenticated / @requiresScopes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, errorHeaders, isAppError } from '../errors.js';
import type { Principal } from '../domain/types.js';
import { singleCredentialHeader } from '../auth/bearer.js';
import type { Authenticate, CredentialHeaders } from '../services/authenticate.js';
import { principalScope, type UserScopes } from '../services/scopes.js';
import { readBody, sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

/** Router's context key for verified JWT claims (Router 2 naming). */
export const JWT_CLAIMS_KEY = 'apollo::authentication::jwt_claims';
export const USER_ID_HEADER = 'x-identity-user-id';
export const PRINCIPAL_HEADER = 'x-identity-principal';
export const IMPERSONATOR_HEADER = 'x-identity-impersonator';
/** An organization's API key: the organization it acts for (api-keys.md). */
export const ORGANIZATION_ID_HEADER = 'x-identity-organization-id';
/** Every client-sent header under this prefix is dropped: only this service speaks for identity. */
const IDENTITY_HEADER_PREFIX = 'x-identity-';

const RouterRequestPayload = z.looseObject({
  version: z.literal(1),
  stage: z.literal('RouterRequest'),
  id: z.string().min(1),
  // Router sends every header as name → list of values; without them no credential can be read.
  headers: z.record(z.string(), z.array(z.string())),
  context: z.looseObject({ entries: z.record(z.string(), z.unknown()) }).optional(),
});
type RouterRequestPayload = z.infer<typeof RouterRequestPayload>;

type Headers = Record<string, string[]>;

export interface CoprocessorOptions {
  authenticate: Authenticate;
  /** Users' scopes (services/scopes.ts), as token introspection reads them. */
  scopes: UserScopes;
  logger: Logger;
  maxBodyBytes: number;
}

/** Lower-cased header map; several values of one credential header are ambiguous (bearer.ts). */
function normalizeHeaders(headers: Headers): Headers {
  const out: Headers = {};
  for (const [name, values] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out[key] = [...(out[key] ?? []), ...values];
  }
  return out;
}

function credentialsOf(headers: Headers): CredentialHeaders {
  return { authorization: singleCredentialHeader(headers['authorization']), 'x-user-token': singleCredentialHeader(headers['x-user-token']) };
}

/** The claims' `sub` and `exp`: the canonical user id, a service's `sub`, an organization key's id. */
function subjectOf(principal: Exclude<Principal, { kind: 'anonymous' }>): { sub: string; exp: number } {
  // A key without expiry states none: its claims are good for the usual five minutes.
  if (principal.kind === 'api_key') return { sub: principal.keyId, exp: principal.expiresAt ?? Math.floor(Date.now() / 1000) + 300 };
  if (principal.kind === 'user' && principal.apiKey !== undefined) return { sub: principal.userId, exp: principal.apiKey.expiresAt ?? Math.floor(Date.now() / 1000) + 300 };
  return { sub: principal.kind === 'user' ? principal.userId : principal.claims.subject, exp: principal.claims.expiresAt };
}

async function continueWith(scopes: UserScopes, payload: RouterRequestPayload, headers: Headers, principal: Principal) {
  const forwarded: Headers = {};
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith(IDENTITY_HEADER_PREFIX)) forwarded[name] = values;
  }
  const entries: Record<string, unknown> = { ...(payload.context?.entries ?? {}) };
  if (principal.kind === 'anonymous') {
    // No identity headers at all: a subgraph reads their absence as anonymous.
    delete entries[JWT_CLAIMS_KEY];
  } else {
    const { sub, exp } = subjectOf(principal);
    const claims: Record<string, unknown> = { sub, scope: await principalScope(scopes, principal), exp };
    forwarded[PRINCIPAL_HEADER] = [principal.kind];
    if (principal.kind === 'api_key') {
      forwarded[ORGANIZATION_ID_HEADER] = [principal.organizationId];
      claims['organization_id'] = principal.organizationId;
    }
    if (principal.kind === 'user') {
      forwarded[USER_ID_HEADER] = [principal.userId];
      if (principal.impersonator !== null) {
        forwarded[IMPERSONATOR_HEADER] = [principal.impersonator];
        claims['act'] = { sub: principal.impersonator };
      }
    }
    entries[JWT_CLAIMS_KEY] = claims;
  }
  // Router replaces the request's headers with these and upserts these context entries;
  // no `body` is returned, so the client's body goes on untouched.
  return { version: 1, stage: 'RouterRequest', control: 'continue', id: payload.id, headers: forwarded, context: { entries } };
}

function breakWith(payload: RouterRequestPayload, error: AppError, requestId: string) {
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.reason !== undefined) extensions['reason'] = error.reason;
  extensions['requestId'] = requestId;
  const headers: Headers = { 'content-type': ['application/json'] };
  for (const [name, value] of Object.entries(errorHeaders(error))) headers[name] = [value];
  return {
    version: 1,
    stage: 'RouterRequest',
    control: { break: error.status },
    id: payload.id,
    // At the router stages Router reads `body` as a string and answers the client with it.
    body: JSON.stringify({ errors: [{ message: error.message, extensions }] }),
    headers,
  };
}

/** `POST /router/coprocessor`; mount it as a protected route (SUBGRAPH_SECRET). */
export function createCoprocessorHandler(options: CoprocessorOptions): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const text = await readBody(req, options.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = RouterRequestPayload.safeParse(json);
    if (!parsed.success) {
      // Not a RouterRequest we understand (wrong stage, headers not sent): an HTTP error makes
      // Router fail the client request closed rather than let it through unidentified.
      throw new AppError('BAD_USER_INPUT', {
        message: 'Expected an Apollo Router coprocessor request (version 1, stage RouterRequest, headers included).',
        reason: 'invalid_coprocessor_request',
      });
    }
    const payload = parsed.data;
    const headers = normalizeHeaders(payload.headers);
    let answer: unknown;
    try {
      const principal = await options.authenticate(credentialsOf(headers));
      answer = await continueWith(options.scopes, payload, headers, principal);
    } catch (error) {
      const appError = isAppError(error) ? error : new AppError('INTERNAL_SERVER_ERROR', { cause: error });
      if (appError.code === 'INTERNAL_SERVER_ERROR') {
        options.logger.error({ requestId, code: appError.code, err: appError.cause ?? error }, 'unexpected error');
      } else if (appError.status >= 500) {
        options.logger.warn({ requestId, code: appError.code, err: appError.cause ?? error }, 'coprocessor request failed');
      }
      answer = breakWith(payload, appError, requestId);
    }
    sendJson(res, 200, answer);
  };
}
