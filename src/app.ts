// Composition root: config → database → key sources → verifier → identity → GraphQL → HTTP.
// main.ts runs it for `npm start`; tests run the very same assembly in-process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracing } from './tracing/types.js';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { IssuerConfig } from './config/issuers.js';
import { createIssuerKeys } from './auth/issuerKeys.js';
import { createUserinfoClient } from './auth/userinfo.js';
import { openDatabase } from './db/index.js';
import { migrationsApplied } from './db/migrate.js';
import type { Database, QueryObserver } from './db/queryable.js';
import { createLifecycleFeed, type LifecycleFeed } from './db/lifecycleFeed.js';
import { createUserStore } from './db/userStore.js';
import { createRequestContexts } from './graphql/context.js';
import { describeIncident } from './db/incidents.js';
import { awaitListeningVerdict } from './db/listenProof.js';
import { createDocumentGuard, documentLimits } from './graphql/documentGuard.js';
import { startGraphQLServer } from './graphql/server.js';
import { createCoprocessorHandler } from './http/coprocessor.js';
import { createCors } from './http/cors.js';
import { createPlayground } from './http/playground.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { IdpEvents } from './idpEvents.js';
import { createAppServices } from './appServices.js';
import { createRequestObserver } from './requestLog.js';
import { createLogoutTokenVerifier } from './auth/logoutToken.js';
import { createBackchannelLogoutHandler } from './http/backchannelLogout.js';
import type { PollTimers } from './services/idpEventPoller.js';
import { createIntrospectionEndpoint } from './http/introspect.js';
import { createTokenIntrospection } from './services/tokenIntrospection.js';
import { startPlatformIssuer, type PlatformIssuer, type PlatformKeyTiming } from './platformIssuer.js';

export interface AppOptions {
  logger?: Logger;
  /** Seam for JWKS and userinfo fetches. */
  fetch?: typeof fetch;
  /** Observes every SQL statement (tests count round trips). */
  onQuery?: QueryObserver;
  /** An already-open database (tests share one per file). */
  database?: Database;
  /** Timing of the platform key store (tests step its clock and drive its reloads); the publication lead derives from it. */
  platformKeys?: PlatformKeyTiming;
  /** The clock invitations expire by; default Date.now (tests move it instead of waiting). */
  now?: () => number;
  /**
   * The lifecycle feed; default a new one. Apps sharing one embedded database in a process
   * (tests) share it, as replicas on PostgreSQL share announcements.
   */
  lifecycleFeed?: LifecycleFeed;
  /** The clock and timers of the Events API pollers and webhook signatures (tests live through an outage in no time). */
  eventTimers?: PollTimers;
}

export interface App {
  config: Config;
  server: Server;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  issuers: IssuerConfig[];
  /** The service's own token issuer; null when PLATFORM_ISSUER is unset. */
  platform: PlatformIssuer | null;
  /** WorkOS webhooks and Events API pollers (idp-events.md). */
  idpEvents: IdpEvents;
  /** OpenTelemetry tracing; null when off (no OTLP endpoint configured). */
  tracing: Tracing | null;
  /**
   * Resolves with the line the process must stop for (production, a listening connection that
   * does not hear this replica's own notifications: main.ts exits 1), else with null.
   */
  startupCheck: Promise<string | null>;
  /** Starts listening; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Stops accepting, lets in-flight requests finish (at most `shutdownTimeoutMs`, then their
   * connections are cut), closes idle keep-alive connections and the database (unless it was
   * passed in). /readyz answers 503 from the first moment.
   */
  close(): Promise<void>;
}

export { createLogger } from './log.js';

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  // Loaded only when configured: with tracing off no OpenTelemetry code is loaded or run.
  const tracing = config.tracing === null ? null : (await import('./tracing/index.js')).startTracing(config.tracing, { logger });
  // Every outbound call (JWKS, userinfo, introspection, WorkOS) goes through this one fetch.
  const outbound = tracing === null ? options.fetch : tracing.fetch(options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
  let migrationPendingLogged = false;
  const opened =
    options.database ??
    (await openDatabase({
      target: config.database,
      poolMax: config.dbPoolMax,
      connectTimeoutMs: config.dbConnectTimeoutMs,
      queryTimeoutMs: config.dbQueryTimeoutMs,
      onQuery: options.onQuery,
      onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
      onIncident: (incident) => {
        const line = describeIncident(incident);
        logger[line.level](line.fields, line.message);
      },
      // Warn once per outage, not once per retry.
      onMigrationPending: (error) => {
        if (!migrationPendingLogged) logger.warn({ err: error }, 'database unreachable: migrations pending, retrying (/readyz answers 503)');
        migrationPendingLogged = true;
      },
      onMigrated: () => logger.info('database reachable: migrations applied'),
    }));
  const db = tracing === null ? opened : tracing.database(opened);
  const metrics = createMetrics({ db });
  // The one user store: every read and write of user rows goes through it (and its cache).
  const users = createUserStore(db);
  // The one lifecycle feed: the lifecycle service publishes its commits, the session view
  // subscribes, and the database relays other replicas' announcements and listening restarts.
  const lifecycleFeed = options.lifecycleFeed ?? createLifecycleFeed();
  const stopHearingLifecycle = db.userChanges?.onLifecycle({ onChange: lifecycleFeed.publish, onRestart: lifecycleFeed.restart });
  const changes = db.userChanges;
  const listens = options.database === undefined && config.database.kind === 'postgres' && config.database.listenUrl !== null;
  const startupCheck =
    config.production && listens && changes !== undefined
      ? awaitListeningVerdict(changes).then((verdict) => (verdict === 'unheard' ? describeIncident({ kind: 'listen-unheard' }).message : null))
      : Promise.resolve(null);
  let stopping = false;

  const { issuers, keySources, fetched: keysFetched } = await createIssuerKeys(config, { fetch: outbound, metrics, logger });

  const userinfo = issuers.some((i) => i.userinfoUrl !== null)
    ? createUserinfoClient({ fetch: outbound, timeoutMs: config.jwksFetchTimeoutMs })
    : null;
  const platform = config.platform === null ? null : await startPlatformIssuer(config, { db, logger, timing: options.platformKeys });
  const { verifier, sessions, ssoEmailTrust, identity, lifecycle, apiKeys, userSessions, services, authenticate, authenticateToken, scopes, idpEvents } =
    await createAppServices(config, {
      logger, metrics, db, users, lifecycleFeed, issuers, keySources, userinfo, platform,
      fetch: outbound, now: options.now, eventTimers: options.eventTimers,
    });
  const contexts = createRequestContexts({ db, users, services, now: options.now });

  const limits = documentLimits({ maxTokens: config.maxQueryTokens, maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases });
  const apollo = await startGraphQLServer({
    production: config.production,
    authorizationDirectives: config.routerAuthorizationDirectives,
    logger,
    documentLimits: limits,
    maxEntityRepresentations: config.maxEntityRepresentations,
    compileOperationsAfter: config.compileOperationsAfter,
    onExecution: metrics.observeExecution,
  });

  // The IDE never exists in production: neither its page nor its assets are routed there.
  const playground = config.production ? null : createPlayground();
  const server = createHttpServer({
    apollo,
    contexts,
    authenticate,
    logger,
    subgraphSecret: config.subgraphSecret,
    maxBodyBytes: config.maxBodyBytes,
    documentGuard: createDocumentGuard(limits),
    protectedRoutes: {
      'POST /router/coprocessor': createCoprocessorHandler({ authenticate, scopes, logger, maxBodyBytes: config.maxBodyBytes }),
    },
    isReady: async () => {
      if (stopping || !keysFetched()) return false;
      await db.query('select 1');
      return migrationsApplied(db);
    },
    // The token endpoint and the issuer's documents are public (docs/platform-tokens.md).
    routes: {
      'GET /metrics': (req, res) => metrics.handle(req, res),
      ...playground?.routes,
      ...platform?.routes({ verifier, identity, sessions, apiKeys: apiKeys.authenticator, users, issuers, fetch: outbound }),
      // Always on, whether or not platform tokens are (callers.md); the caller's bearer is the credential.
      'POST /oauth/introspect': createIntrospectionEndpoint({
        authenticateToken,
        introspect: createTokenIntrospection({ authenticateToken, users, scopes, platformIssuer: config.platform?.issuer ?? null }),
        users,
        logger,
        maxBodyBytes: config.maxBodyBytes,
      }),
      // Called by IdPs directly, not through the router: the logout token is the credential.
      'POST /backchannel-logout': createBackchannelLogoutHandler({
        verifier: createLogoutTokenVerifier({ issuers, keySources }),
        lifecycle,
        logger,
        maxBodyBytes: config.maxBodyBytes,
      }),
      // Called by WorkOS directly: the signature is the credential.
      ...idpEvents.routes,
    },
    ide: playground?.page ?? null,
    cors: createCors(config.corsOrigins),
    onRequestEnd: createRequestObserver({ logger, metrics }),
    tracer: tracing?.requests ?? null,
  });

  return {
    config,
    server,
    db,
    logger,
    metrics,
    issuers,
    platform,
    idpEvents,
    tracing,
    startupCheck,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          // The Events API catch-up starts with the service (its first poll sets the cursor).
          idpEvents.start();
          resolve(`http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      stopping = true;
      await new Promise<void>((resolve) => {
        // Keep-alive connections turn idle as their last response ends: close them as they do.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      logger.debug('http server closed');
      await idpEvents.close();
      platform?.keys.close();
      await apollo.stop();
      for (const keys of keySources.values()) keys.close();
      // Last-seen stamps still waiting are written before the database goes.
      await identity.flushStamps();
      await apiKeys.authenticator.flush();
      apiKeys.authenticator.close();
      await userSessions.close();
      sessions.close();
      stopHearingLifecycle?.();
      ssoEmailTrust.close();
      users.close();
      scopes.close();
      if (!options.database) await db.close();
      // Last: the spans of everything above are exported before the process exits.
      await tracing?.shutdown();
    },
  };
}
