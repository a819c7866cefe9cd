// The spans of an HTTP request: a SERVER span continuing the caller's W3C `traceparent` (as
// Apollo Router sends it), and under it authentication and the GraphQL operation. Attribute names
// follow OpenTelemetry's semantic conventions; nothing a client wrote freely (a path that is not
// a route, a header, a message) and nothing about who the user is beyond the principal's kind and
// issuer name is recorded.
//
// Why these three are not SDK Spans: every request makes them, and an SDK Span (its attribute
// checks, limits, processor calls and hrtime arrays at each step) cost ~18 µs of the request's
// main-thread CPU for the three (bench/RESULTS.md, 2026-12-07). They are made here the way the
// SDK's Tracer makes a span (its id generator, the configured sampler asked once per request with
// the caller's context, the same trace state rules) and handed, ended, to the export processor
// as records (offthread.ts). The spans of SQL statements and outbound calls (database.ts,
// outbound.ts) are still the SDK's, under the context these open.
import {
  defaultTextMapGetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type TraceState,
} from '@opentelemetry/api';
import { SamplingDecision, type IdGenerator, type Sampler } from '@opentelemetry/sdk-trace-base';
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
import type { SpanRecord, SpanRecorder } from './spanRecords.js';
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

function describePrincipal(attributes: Attributes, principal: Principal): void {
  attributes[ATTR_PRINCIPAL] = principal.kind;
  if (principal.kind === 'api_key') attributes[ATTR_ISSUER] = 'api_key';
  else if (principal.kind !== 'anonymous') attributes[ATTR_ISSUER] = principal.claims.provider;
}

export interface RequestTracerDeps {
  core: TracingCore;
  /** The provider's sampler (OTEL_TRACES_SAMPLER) and id generator. */
  sampler: Sampler;
  ids: IdGenerator;
  /** Where ended spans go (the export processor). */
  recorder: SpanRecorder;
  /** The instrumentation scope the records carry: the tracer's. */
  instrumentationScope: SpanRecord['scope'];
}

export function createRequestTracer(deps: RequestTracerDeps): RequestTracer {
  const { core, sampler, ids, recorder, instrumentationScope } = deps;
  const { contexts, propagator } = core;

  /** One request's trace: its ids, the sampler's decision (its children share it), its open mark. */
  class RequestSpans {
    readonly spanId = ids.generateSpanId();
    readonly traceId: string;
    readonly parentSpanId: string | null;
    readonly traceFlags: number;
    readonly traceState: TraceState | undefined;
    readonly sampled: boolean;
    readonly attributes: Attributes;
    readonly started = performance.now();
    private readonly request: { context: Context; close(): void };
    private ended = false;

    constructor(
      private readonly name: string,
      attributes: Attributes,
      remote: Context,
    ) {
      // As the SDK's Tracer.startSpan: the caller's trace (and trace state) when its context is
      // valid, else a new trace; then the sampler, asked with the caller's context.
      const parent = trace.getSpanContext(remote);
      const valid = parent !== undefined && isSpanContextValid(parent);
      this.traceId = valid ? parent.traceId : ids.generateTraceId();
      this.parentSpanId = valid ? parent.spanId : null;
      const result = sampler.shouldSample(remote, this.traceId, name, SpanKind.SERVER, attributes, []);
      this.traceState = result.traceState ?? (valid ? parent.traceState : undefined);
      this.sampled = result.decision === SamplingDecision.RECORD_AND_SAMPLED;
      this.traceFlags = this.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE;
      this.attributes = result.attributes === undefined ? attributes : { ...attributes, ...result.attributes };
      this.request = core.openRequest(ROOT_CONTEXT);
    }

    /**
     * The scope of child span `spanId`: what runs in it (SQL, outbound calls) hangs under the span.
     * Its context is made when work first enters it: work that does not wait never does.
     */
    scopeOf(spanId: string): Scope {
      let context: Context | undefined;
      return (work) => contexts.with((context ??= this.contextOf(spanId)), work);
    }

    /** The context a child span `spanId` opens for what runs under it (SQL, outbound calls). */
    contextOf(spanId: string): Context {
      const context: SpanContext = { traceId: this.traceId, spanId, traceFlags: this.traceFlags };
      if (this.traceState !== undefined) context.traceState = this.traceState;
      return trace.setSpanContext(this.request.context, context);
    }

    record(spanId: string, parentSpanId: string | null, name: string, kind: SpanKind, started: number, attributes: Attributes, failed: boolean): void {
      if (!this.sampled) return;
      recorder.record({
        traceId: this.traceId,
        spanId,
        traceFlags: this.traceFlags,
        traceState: this.traceState,
        parentSpanId,
        name,
        kind,
        started,
        ended: performance.now(),
        statusCode: failed ? SpanStatusCode.ERROR : SpanStatusCode.UNSET,
        attributes,
        scope: instrumentationScope,
      });
    }

    end(status: number | null): void {
      if (this.ended) return;
      this.ended = true;
      this.request.close();
      let failed = false;
      if (status !== null) {
        this.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
        if (status >= 500) {
          this.attributes[ATTR_ERROR_TYPE] = String(status);
          failed = true;
        }
      }
      this.record(this.spanId, this.parentSpanId, this.name, SpanKind.SERVER, this.started, this.attributes, failed);
    }
  }

  function authenticate(request: RequestSpans, run: (scope: Scope) => Principal | Promise<Principal>): Principal | Promise<Principal> {
    const spanId = ids.generateSpanId();
    const started = performance.now();
    const attributes: Attributes = {};
    const done = (failed: boolean) => request.record(spanId, request.spanId, 'authenticate', SpanKind.INTERNAL, started, attributes, failed);
    // Entered only by the work that waits (a verification, a read).
    const scope = request.scopeOf(spanId);
    let result: Principal | Promise<Principal>;
    try {
      result = run(scope);
    } catch (error) {
      // Refused without waiting (malformed or ambiguous credentials, a refusal remembered).
      attributes[ATTR_ERROR_TYPE] = errorType(error);
      done(true);
      throw error;
    }
    if (!(result instanceof Promise)) {
      describePrincipal(attributes, result);
      if (result.kind !== 'anonymous') attributes[ATTR_CACHE] = 'hit';
      done(false);
      return result;
    }
    attributes[ATTR_CACHE] = 'miss';
    return result.then(
      (principal) => {
        describePrincipal(attributes, principal);
        done(false);
        return principal;
      },
      (error: unknown) => {
        attributes[ATTR_ERROR_TYPE] = errorType(error);
        done(true);
        throw error;
      },
    );
  }

  function graphql<T>(request: RequestSpans, execute: (scope: Scope) => Promise<T>, observed: ObservedOperation): Promise<T> {
    const spanId = ids.generateSpanId();
    const started = performance.now();
    const finish = (error: unknown) => {
      // The operation as Apollo resolved it: a GraphQL name, never free text from the body.
      const attributes: Attributes = {};
      const type = observed.operationType ?? null;
      const name = observed.operationName;
      if (type !== null) attributes[ATTR_GRAPHQL_OPERATION_TYPE] = type;
      if (name !== null) attributes[ATTR_GRAPHQL_OPERATION_NAME] = name;
      const code = error === undefined ? observed.errorCode : errorType(error);
      if (code !== null) attributes[ATTR_ERROR_TYPE] = code;
      const spanName = type === null ? 'GraphQL Operation' : name === null ? type : `${type} ${name}`;
      request.record(spanId, request.spanId, spanName, SpanKind.INTERNAL, started, attributes, code !== null);
    };
    // Entered only by the work that waits (resolvers calling services, reads of the request's
    // view and loaders: GraphQLContext.scope).
    return execute(request.scopeOf(spanId)).then(
      (result) => {
        finish(undefined);
        return result;
      },
      (error: unknown) => {
        finish(error);
        throw error;
      },
    );
  }

  return {
    start(req, route) {
      const rawMethod = req.method ?? 'GET';
      const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : '_OTHER';
      const remote = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
      const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_SCHEME]: 'http' };
      if (route !== null) {
        attributes[ATTR_HTTP_ROUTE] = route;
        attributes[ATTR_URL_PATH] = route;
      }
      const request = new RequestSpans(route === null ? method : `${method} ${route}`, attributes, remote);
      return {
        run: (handle) => contexts.with(request.contextOf(request.spanId), handle),
        authenticate: (run) => authenticate(request, run),
        graphql: (execute, observed) => graphql(request, execute, observed),
        end: (status) => request.end(status),
      };
    },
  };
}
