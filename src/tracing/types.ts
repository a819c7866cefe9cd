// What the rest of the service sees of tracing (docs/operations.md, "Tracing"): plain types with
// no OpenTelemetry import, so modules that take a tracer load nothing when tracing is off. The
// implementation (./index.ts) is imported only when OTEL_EXPORTER_OTLP_*ENDPOINT is set.
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../domain/types.js';
import type { Database } from '../db/queryable.js';
import type { Scope } from '../lib/scope.js';

export type { Scope } from '../lib/scope.js';

/** What the GraphQL layer learned about the operation (GraphQLContext.observed). */
export interface ObservedOperation {
  operationName: string | null;
  operationType?: string | null;
  errorCode: string | null;
}


/** The spans of one HTTP request. */
export interface RequestTrace {
  /**
   * Runs the request's handling with its server span as the parent of everything inside (the
   * routes other than /graphql, whose authentication and execution enter their own scopes).
   */
  run<T>(handle: () => T): T;
  /**
   * Authentication as a child span (`identity.principal`, `identity.issuer`, `identity.cache`
   * hit when the principal came back without waiting). Returns what `authenticate` returns.
   * `authenticate` is handed the span's scope, for the work of its that waits (a statement or
   * call made outside it has no parent): the warm path, which makes none, runs outside any scope.
   */
  authenticate(authenticate: (scope: Scope) => Principal | Promise<Principal>): Principal | Promise<Principal>;
  /**
   * The GraphQL operation as a child span, named and typed once `observed` is filled in.
   * `execute` is handed the operation's scope, for the work of the execution that waits
   * (GraphQLContext.scope).
   */
  graphql<T>(execute: (scope: Scope) => Promise<T>, observed: ObservedOperation): Promise<T>;
  /** Ends the server span: the HTTP status, or null when the client left before the answer. */
  end(status: number | null): void;
}

export interface RequestTracer {
  /**
   * The server span of `req`, continuing its W3C `traceparent` when it carries one. `route`: the
   * path when it is one the server routes, else null (a path a client made up is not recorded).
   */
  start(req: IncomingMessage, route: string | null): RequestTrace;
}

export interface Tracing {
  readonly requests: RequestTracer;
  /** `fetch` whose every call is a client span propagating `traceparent` (JWKS, userinfo, …). */
  fetch(base: typeof fetch): typeof fetch;
  /** The database whose every statement is a span (its text with placeholders, never values). */
  database(db: Database): Database;
  /**
   * How many times a request's work has entered async context tracking (tracing/scopes.ts): only
   * work that waits does, never a warm request's (the canary in tracing.test.ts).
   */
  scopesEntered(): number;
  /** Exports what is still buffered (bounded wait), then stops. */
  shutdown(): Promise<void>;
}
