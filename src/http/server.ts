// The HTTP edge: routes, the subgraph secret, request ids, the document guard and
// authentication before GraphQL, and Apollo Server's executeHTTPGraphQLRequest (no web
// framework needed; apolloBoundary.ts holds what this leans on in Apollo).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../errors.js';
import type { Principal } from '../domain/types.js';
import type { GraphQLContext, RequestContexts } from '../graphql/context.js';
import type { DocumentGuard } from '../graphql/documentGuard.js';
import { checkPersistedQuery, executeHTTPGraphQLRequestReleasing, queryTextOf } from '../graphql/apolloBoundary.js';
import { singleCredentialHeader } from '../auth/bearer.js';
import type { Authenticate, CredentialHeaders } from '../services/authenticate.js';
import type { RequestTrace, RequestTracer, Scope } from '../tracing/types.js';
import { prefersHtml } from './playground.js';
import { readBody, sendGraphQLError, sendJson } from './respond.js';
import { createSecretCheck } from './secret.js';

export interface RouteHandler {
  (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> | void;
}

export interface HttpServerOptions {
  apollo: ApolloServer<GraphQLContext>;
  /** Builds each request's GraphQL context. */
  contexts: RequestContexts;
  authenticate: Authenticate;
  logger: Logger;
  subgraphSecret: string | null;
  maxBodyBytes: number;
  /** Refuses a hostile document before Apollo parses or validates it. */
  documentGuard: DocumentGuard;
  /** Readiness: database answers and migrations applied. */
  isReady: () => Promise<boolean>;
  /** Extra routes by "METHOD path" (metrics, the Router coprocessor). */
  routes?: Record<string, RouteHandler>;
  /** Extra routes that require the subgraph secret. */
  protectedRoutes?: Record<string, RouteHandler>;
  /** Runs before routing: adds CORS headers, answers preflights itself (true: answered). */
  cors?: ((req: IncomingMessage, res: ServerResponse) => boolean) | null;
  /** Answers GET /graphql from a browser (Accept prefers text/html): the IDE outside production. */
  ide?: RouteHandler | null;
  /** Observes each finished request (logs, metrics). */
  onRequestEnd?: (event: RequestEvent) => void;
  /** Spans for each request (tracing on); null: tracing off, and no tracing code runs. */
  tracer?: RequestTracer | null;
}

export interface RequestEvent {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  principal: Principal | null;
  errorCode: string | null;
  /** GraphQL operation name (as resolved, else as the body named it); null elsewhere. */
  operationName: string | null;
}

interface RequestState {
  principal: Principal | null;
  errorCode: string | null;
  operationName: string | null;
  trace: RequestTrace | null;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The credential headers, each at most once (AMBIGUOUS_CREDENTIALS otherwise). Read from the raw
 * list: Node keeps only the first Authorization in `req.headers` and joins X-User-Token's.
 */
function credentialHeaders(req: IncomingMessage): CredentialHeaders {
  const raw = req.rawHeaders;
  let authorization: string[] | undefined;
  let legacy: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') (authorization ??= []).push(raw[i + 1]!);
    else if (name.length === 12 && name.toLowerCase() === 'x-user-token') (legacy ??= []).push(raw[i + 1]!);
  }
  return { authorization: singleCredentialHeader(authorization), 'x-user-token': singleCredentialHeader(legacy) };
}

export function createHttpServer(options: HttpServerOptions): Server {
  const { apollo, contexts, logger } = options;
  const secretOk = createSecretCheck(options.subgraphSecret);

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string, state: RequestState) {
    const method = req.method ?? 'GET';
    const url = searchOf(req.url ?? '/');
    let body: unknown = undefined;
    if (method === 'POST') {
      const text = await readBody(req, options.maxBodyBytes);
      const contentType = req.headers['content-type'] ?? '';
      if (/application\/(graphql-response\+)?json/i.test(contentType)) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new AppError('BAD_USER_INPUT', { message: 'The request body is not valid JSON.', reason: 'invalid_json' });
        }
      } else {
        body = text;
      }
    }
    // Named before authentication, so a refused request's log line still says what it was.
    state.operationName = operationNameOf(method === 'POST' ? body : Object.fromEntries(url.searchParams));
    const query = queryTextOf(method, body, url.searchParams);
    if (typeof query === 'string') options.documentGuard.check(query);
    checkPersistedQuery(method, body, url.searchParams);
    const users = contexts.users();
    const credentials = credentialHeaders(req);
    const { trace } = state;
    const authenticated = trace === null ? options.authenticate(credentials, users) : trace.authenticate((scope) => options.authenticate(credentials, users, scope));
    const principal = authenticated instanceof Promise ? await authenticated : authenticated;
    state.principal = principal;
    const observed: NonNullable<GraphQLContext['observed']> = { operationName: null, operationType: null, errorCode: null };
    // Apollo sees the request's headers but not its credentials: they were read above, and no
    // plugin has a use for them (nor a chance to log them).
    const headers = new HeaderMap();
    for (const key in req.headers) {
      if (key === 'authorization' || key === 'x-user-token') continue;
      const value = req.headers[key];
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    // The context is built here, once, and handed to Apollo as it is (no async wrapper per request);
    // tracing on, with the operation's scope (GraphQLContext.scope).
    const execute = (scope?: Scope) => {
      const context: GraphQLContext = contexts.create(principal, users, requestId, scope);
      context.observed = observed;
      return executeHTTPGraphQLRequestReleasing(apollo, { method: method.toUpperCase(), headers, search: url.search, body }, context);
    };
    const response = await (trace === null ? execute() : trace.graphql(execute, observed));
    if (observed.operationName !== null) state.operationName = observed.operationName;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    // Answers depend on who asks: no shared cache may keep them.
    if (!res.hasHeader('cache-control')) res.setHeader('cache-control', 'no-store');
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      if (res.statusCode >= 400) state.errorCode = errorCodeOf(response.body.string);
      state.errorCode ??= observed.errorCode;
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string, path: string, state: RequestState) {
    const method = req.method ?? 'GET';
    const key = `${method} ${path}`;
    if (options.cors?.(req, res)) return;
    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz' && (method === 'GET' || method === 'HEAD')) {
      const ready = await options.isReady().catch(() => false);
      return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' });
    }
    const open = options.routes?.[key];
    if (open) return open(req, res, requestId);
    const isGraphQL = path === '/graphql';
    const guarded = options.protectedRoutes?.[key];
    if (!isGraphQL && !guarded) {
      return sendJson(res, 404, { errors: [{ message: 'Not found.', extensions: { code: 'NOT_FOUND' } }] });
    }
    if (!secretOk(req.headers['x-subgraph-secret'])) {
      state.errorCode = 'FORBIDDEN';
      return sendGraphQLError(res, new AppError('FORBIDDEN', { message: 'Missing or wrong X-Subgraph-Secret.', reason: 'SUBGRAPH_SECRET' }), requestId);
    }
    if (guarded) return guarded(req, res, requestId);
    if (isGraphQL && method === 'GET' && options.ide && prefersHtml(req.headers.accept)) return options.ide(req, res, requestId);
    if (method !== 'GET' && method !== 'POST') {
      return sendJson(res, 405, { errors: [{ message: 'Method not allowed.', extensions: { code: 'METHOD_NOT_ALLOWED' } }] }, { allow: 'GET, POST' });
    }
    return handleGraphQL(req, res, requestId, state);
  }

  const tracer = options.tracer ?? null;
  // The paths recorded as a span's route; any other path is a client's invention.
  const routes = new Set(['/graphql', '/healthz', '/readyz', ...[...Object.keys(options.routes ?? {}), ...Object.keys(options.protectedRoutes ?? {})].map((key) => key.slice(key.indexOf(' ') + 1))]);

  return createServer((req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const path = pathOf(req.url ?? '/');
    const trace = tracer === null ? null : tracer.start(req, routes.has(path) ? path : null);
    const state: RequestState = { principal: null, errorCode: null, operationName: null, trace };
    let reported = false;
    const report = () => {
      if (reported) return;
      reported = true;
      const answered = res.writableFinished;
      trace?.end(answered ? res.statusCode : null);
      options.onRequestEnd?.({
        requestId,
        method: req.method ?? 'GET',
        path,
        // 499 (nginx's "client closed request"): the connection closed before the answer was sent.
        status: answered ? res.statusCode : 499,
        durationMs: performance.now() - started,
        principal: state.principal,
        errorCode: state.errorCode,
        operationName: state.operationName,
      });
    };
    // One listener: a response emits 'close' after 'finish' once answered, and alone when the
    // connection closed first (writableFinished tells which).
    res.once('close', report);
    // /graphql enters its scopes itself (authentication, execution): the rest of its handling, by
    // far the most of it, runs without async context tracking (tracing/scopes.ts).
    const handled = trace === null || path === '/graphql' ? route(req, res, requestId, path, state) : trace.run(() => route(req, res, requestId, path, state));
    handled.catch((error: unknown) => {
      const appError = isAppError(error) ? error : new AppError('INTERNAL_SERVER_ERROR', { cause: error });
      state.errorCode = appError.code;
      if (appError.code === 'INTERNAL_SERVER_ERROR') {
        // A bug or an unexpected database state: an error, as in GraphQL execution (observe.ts).
        logger.error({ requestId, code: appError.code, err: appError.cause ?? error }, 'unexpected error');
      } else if (appError.status >= 500) {
        logger.warn({ requestId, code: appError.code, err: appError.cause ?? error }, 'request failed');
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendGraphQLError(res, appError, requestId);
    });
  });
}

/** The path of a request target, without its query string. */
function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

const NO_QUERY = { search: '', searchParams: new URLSearchParams() } as const;

/**
 * The query string of a request target as Apollo and the checks read it: parsed by `URL` only
 * when there is one (most POSTs have none, and a `URL` per request costs).
 */
function searchOf(target: string): { search: string; searchParams: URLSearchParams } {
  if (!target.includes('?')) return NO_QUERY;
  return new URL(target, 'http://localhost');
}

const LEADING_OPERATION = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** The operation name a request declares (`operationName`, else its first named operation). */
function operationNameOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { operationName, query } = body as { operationName?: unknown; query?: unknown };
  if (typeof operationName === 'string' && operationName !== '') return operationName;
  if (typeof query !== 'string') return null;
  return LEADING_OPERATION.exec(query.slice(0, 512))?.[1] ?? null;
}

function errorCodeOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    const code = parsed.errors?.[0]?.extensions?.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}
