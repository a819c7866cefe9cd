// Prometheus metrics for one app instance: its own registry (never prom-client's global one),
// so several apps can run in one process (tests) without clashing or sharing counts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { TokenVerifier } from './auth/verifier.js';
import type { IssuerConfig } from './config/issuers.js';
import type { Database } from './db/queryable.js';
import type { ExecutionMode } from './graphql/executor.js';
import { isAppError } from './errors.js';
import { createFastHistogram } from './lib/fastHistogram.js';

export type Outcome = 'success' | 'error';

export interface Metrics {
  readonly registry: Registry;
  /**
   * One finished HTTP request, labelled by GraphQL operation name on /graphql (client-chosen,
   * so checked and capped in distinct values; `anonymous` when unnamed) and by path elsewhere.
   */
  observeRequest(event: { path: string; operationName: string | null; outcome: Outcome; durationMs: number; errorCode: string | null }): void;
  observeVerification(issuer: string, outcome: string): void;
  observeJwksFetch(issuer: string, outcome: 'success' | 'error' | 'timeout'): void;
  observeProvisioned(what: 'user' | 'identity'): void;
  /** One GraphQL operation executed, by how it ran (graphql/executor.ts). */
  observeExecution(mode: ExecutionMode): void;
  /** `GET /metrics` handler. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

// Operation names come from clients: cap their length and charset so a hostile client cannot
// blow up the label set with arbitrary strings.
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const MAX_OPERATION_LABELS = 500;
const ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/router/coprocessor']);

export function createMetrics(options: { db: Database; defaultMetrics?: boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Every request lands in these two: plain numbers on the request path, handed to prom-client
  // at scrape time (counts: the counter's collect; durations: lib/fastHistogram.ts).
  const requestCounts = new Map<string, Record<Outcome, number>>();
  new Counter({
    name: 'identity_requests_total',
    help: 'HTTP requests by GraphQL operation name (or route) and outcome.',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
    collect() {
      for (const [operation, counts] of requestCounts) {
        for (const outcome of ['success', 'error'] as const) {
          if (counts[outcome] > 0) this.inc({ operation, outcome }, counts[outcome]);
          counts[outcome] = 0;
        }
      }
    },
  });
  const duration = createFastHistogram({
    name: 'identity_request_duration_seconds',
    help: 'HTTP request latency by GraphQL operation name (or route) and outcome.',
    labelNames: ['operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registry,
  });
  const successes = new Map<string, number>();
  const verifications = new Counter({
    name: 'identity_token_verifications_total',
    help: 'Bearer token verifications by configured issuer name and outcome.',
    labelNames: ['issuer', 'outcome'],
    registers: [registry],
    collect() {
      for (const [issuer, count] of successes) this.inc({ issuer, outcome: 'success' }, count);
      successes.clear();
    },
  });
  const jwksFetches = new Counter({
    name: 'identity_jwks_fetches_total',
    help: 'JWKS fetches by configured issuer name and outcome (success, error, timeout).',
    labelNames: ['issuer', 'outcome'],
    registers: [registry],
  });
  const provisioned = new Counter({
    name: 'identity_provisioned_total',
    help: 'Users and external identities provisioned by this instance.',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Every operation lands here: plain counts, added to the counter at scrape time.
  const executed: Record<ExecutionMode, number> = { compiled: 0, interpreted: 0, traced: 0 };
  new Counter({
    name: 'identity_graphql_executions_total',
    help: 'GraphQL operations executed, by mode (compiled: graphql-jit; interpreted: graphql-js; traced: graphql-js for ftv1).',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      for (const mode of Object.keys(executed) as ExecutionMode[]) {
        this.inc({ mode }, executed[mode]);
        executed[mode] = 0;
      }
    },
  });
  const errors = new Counter({
    name: 'identity_errors_total',
    help: 'Requests that failed, by public error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  const db = options.db;
  new Gauge({
    name: 'identity_db_pool_connections',
    help: 'Database pool connections by state (total, idle, in_use).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = db.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'in_use' }, Math.max(0, stats.total - stats.idle));
    },
  });
  new Gauge({
    name: 'identity_db_pool_waiting',
    help: 'Queries waiting for a database pool connection.',
    registers: [registry],
    collect() {
      this.set(db.poolStats().waiting);
    },
  });

  const seenOperations = new Set<string>();
  function operationLabel(name: string): string {
    if (seenOperations.has(name)) return name;
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (seenOperations.size >= MAX_OPERATION_LABELS) return 'other';
    seenOperations.add(name);
    return name;
  }

  return {
    registry,
    observeRequest({ path, operationName, outcome, durationMs, errorCode }) {
      const operation =
        path === '/graphql' ? (operationName === null ? 'anonymous' : operationLabel(operationName)) : ROUTES.has(path) ? path : 'other';
      let counts = requestCounts.get(operation);
      if (counts === undefined) requestCounts.set(operation, (counts = { success: 0, error: 0 }));
      counts[outcome] += 1;
      duration.observe([operation, outcome], durationMs / 1000);
      if (errorCode !== null) errors.inc({ code: errorCode });
    },
    observeVerification(issuer, outcome) {
      if (outcome !== 'success') return verifications.inc({ issuer, outcome });
      // Every authenticated request lands here: a plain count, added to the counter at scrape time.
      successes.set(issuer, (successes.get(issuer) ?? 0) + 1);
    },
    observeJwksFetch(issuer, outcome) {
      jwksFetches.inc({ issuer, outcome });
    },
    observeProvisioned(what) {
      provisioned.inc({ kind: what });
    },
    observeExecution(mode) {
      executed[mode] += 1;
    },
    async handle(_req, res) {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  };
}

/**
 * Counts verifications by configured issuer name and outcome (`success`, or the error code in
 * lower case: `unauthenticated`, `auth_provider_unavailable`). A token naming no configured
 * issuer is counted under `unknown`, so labels stay bounded whatever clients send.
 */
export function instrumentVerifier(verifier: TokenVerifier, issuers: readonly IssuerConfig[], metrics: Metrics): TokenVerifier {
  const nameOf = new Map(issuers.map((issuer) => [issuer.issuer, issuer.name]));
  function issuerOf(token: string): string {
    try {
      const iss = decodeJwt(token).iss;
      return (iss !== undefined && nameOf.get(iss)) || 'unknown';
    } catch {
      return 'unknown';
    }
  }
  return {
    cachedPrincipal(token) {
      const principal = verifier.cachedPrincipal(token);
      if (principal !== undefined) metrics.observeVerification(principal.claims.provider, 'success');
      return principal;
    },
    async verify(token) {
      try {
        const principal = await verifier.verify(token);
        metrics.observeVerification(principal.claims.provider, 'success');
        return principal;
      } catch (error) {
        metrics.observeVerification(issuerOf(token), isAppError(error) ? error.code.toLowerCase() : 'error');
        throw error;
      }
    },
  };
}
