// The spans of an HTTP request: a SERVER span continuing the caller's W3C `traceparent` (as
// Apollo Router sends it), and under it authentication and the GraphQL operation. Attribute names
// follow OpenTelemetry's semantic conventions; nothing a client wrote freely (a path that is not
// a route, a header, a message) and nothing about who the user is beyond the principal's kind and
// issuer name is recorded.
import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { isAppError } from '../errors.js';
import type { Principal } from '../domain/types.js';
import type { TracingCore } from './core.js';
import type { ObservedOperation, RequestTrace, RequestTracer, Scope } from './types.js';

// Incubating semantic conventions, spelled out as OpenTelemetry advises (their constants move).
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
// This service's own.
const ATTR_PRINCIPAL = 'identity.principal';
const ATTR_ISSUER = 'identity.issuer';
const ATTR_CACHE = 'identity.cache';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The error's public code (AppError), else its class name: never its message. */
export function errorType(error: unknown): string {
  if (isAppError(error)) return error.code;
  return error instanceof Error ? error.name : 'Error';
}

/** Marks the span failed by the error's type (never its message). */
export function fail(span: Span, error: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

function describePrincipal(span: Span, principal: Principal): void {
  span.setAttribute(ATTR_PRINCIPAL, principal.kind);
  if (principal.kind === 'api_key') span.setAttribute(ATTR_ISSUER, 'api_key');
  else if (principal.kind !== 'anonymous') span.setAttribute(ATTR_ISSUER, principal.claims.provider);
}

export function createRequestTracer(core: TracingCore): RequestTracer {
  const { tracer, contexts, propagator } = core;

  function authenticate(parent: Context, run: () => Principal | Promise<Principal>): Principal | Promise<Principal> {
    const span = tracer.startSpan('authenticate', { kind: SpanKind.INTERNAL }, parent);
    let result: Principal | Promise<Principal>;
    try {
      result = contexts.with(trace.setSpan(parent, span), run);
    } catch (error) {
      // Refused without waiting (malformed or ambiguous credentials, a refusal remembered).
      fail(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      describePrincipal(span, result);
      if (result.kind !== 'anonymous') span.setAttribute(ATTR_CACHE, 'hit');
      span.end();
      return result;
    }
    span.setAttribute(ATTR_CACHE, 'miss');
    return result.then(
      (principal) => {
        describePrincipal(span, principal);
        span.end();
        return principal;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  function graphql<T>(parent: Context, execute: (scope: Scope) => Promise<T>, observed: ObservedOperation): Promise<T> {
    const span = tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL }, parent);
    const finish = () => {
      // The operation as Apollo resolved it: a GraphQL name, never free text from the body.
      const type = observed.operationType ?? null;
      const name = observed.operationName;
      if (type !== null) {
        span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, type);
        span.updateName(name === null ? type : `${type} ${name}`);
      }
      if (name !== null) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, name);
      if (observed.errorCode !== null) {
        span.setAttribute(ATTR_ERROR_TYPE, observed.errorCode);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    const context = trace.setSpan(parent, span);
    // Only the execution (the resolvers) runs in the operation's scope: Apollo's parsing,
    // validation and hooks around it issue no statement and no call (scopes.ts).
    const scope: Scope = (work) => contexts.with(context, work);
    return execute(scope).then(
      (result) => {
        finish();
        return result;
      },
      (error: unknown) => {
        fail(span, error);
        finish();
        throw error;
      },
    );
  }

  return {
    start(req, route) {
      const rawMethod = req.method ?? 'GET';
      const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
      const remote = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const span = tracer.startSpan(
        route === null ? method : `${method} ${route}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_SCHEME]: 'http',
            ...(route === null ? {} : { [ATTR_HTTP_ROUTE]: route, [ATTR_URL_PATH]: route }),
          },
        },
        remote,
      );
      const request = core.openRequest(trace.setSpan(remote, span));
      const context = request.context;
      let ended = false;
      const traced: RequestTrace = {
        run: (handle) => contexts.with(context, handle),
        authenticate: (run) => authenticate(context, run),
        graphql: (execute, observed) => graphql(context, execute, observed),
        end(status) {
          if (ended) return;
          ended = true;
          request.close();
          if (status !== null) {
            span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
            if (status >= 500) {
              span.setAttribute(ATTR_ERROR_TYPE, String(status));
              span.setStatus({ code: SpanStatusCode.ERROR });
            }
          }
          span.end();
        },
      };
      return traced;
    },
  };
}
