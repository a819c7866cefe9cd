// Composition root: config → database → key sources → verifier → identity → GraphQL → HTTP.
// main.ts runs it for `npm start`; tests run the very same assembly in-process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { IssuerConfig } from './config/issuers.js';
import { devIssuerConfig, loadOrCreateDevKey } from './auth/devIssuer.js';
import { createIntrospectionVerifier, withOpaqueTokens } from './auth/introspection.js';
import { createLocalKeySet, createRemoteKeySet, type KeySource } from './auth/keys.js';
import { createUserinfoClient } from './auth/userinfo.js';
import { createTokenVerifier } from './auth/verifier.js';
import { openDatabase } from './db/index.js';
import { migrationsApplied } from './db/migrate.js';
import type { Database, QueryObserver } from './db/queryable.js';
import { createLifecycleFeed, type LifecycleFeed } from './db/lifecycleFeed.js';
import { recordSessionAcceptance } from './db/sessionAcceptances.js';
import { createUserRowCache } from './db/userCache.js';
import type { Services } from './graphql/context.js';
import { createDocumentGuard, documentLimits } from './graphql/documentGuard.js';
import { createGraphQLServer } from './graphql/server.js';
import { createCoprocessorHandler } from './http/coprocessor.js';
import { createCors } from './http/cors.js';
import { createPlayground } from './http/playground.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './log.js';
import { createMetrics, instrumentVerifier, type Metrics } from './metrics.js';
import { createRequestObserver } from './requestLog.js';
import { createLogoutTokenVerifier } from './auth/logoutToken.js';
import { createBackchannelLogoutHandler } from './http/backchannelLogout.js';
import { createAuthenticator } from './services/authenticate.js';
import { createIdentityService } from './services/identity.js';
import { createInvitationService } from './services/invitations.js';
import { createLifecycleService } from './services/lifecycle.js';
import { createOrganizationService } from './services/organizations.js';
import { startPlatformIssuer, type PlatformIssuer, type PlatformKeyTiming } from './platformIssuer.js';
import { createSessionPolicy } from './services/sessions.js';

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
  let migrationPendingLogged = false;
  const db =
    options.database ??
    (await openDatabase({
      target: config.database,
      poolMax: config.dbPoolMax,
      connectTimeoutMs: config.dbConnectTimeoutMs,
      queryTimeoutMs: config.dbQueryTimeoutMs,
      onQuery: options.onQuery,
      onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
      // Warn once per outage, not once per retry.
      onMigrationPending: (error) => {
        if (!migrationPendingLogged) logger.warn({ err: error }, 'database unreachable: migrations pending, retrying (/readyz answers 503)');
        migrationPendingLogged = true;
      },
      onMigrated: () => logger.info('database reachable: migrations applied'),
    }));
  const metrics = createMetrics({ db });
  // The one user row cache: everything that reads or writes user rows is handed it.
  const userRows = createUserRowCache(db);
  // The one lifecycle feed: the lifecycle service publishes its commits, the session view
  // subscribes, and the database relays other replicas' announcements and listening restarts.
  const lifecycleFeed = options.lifecycleFeed ?? createLifecycleFeed();
  const stopHearingLifecycle = db.userChanges?.onLifecycle({ onChange: lifecycleFeed.publish, onRestart: lifecycleFeed.restart });
  let stopping = false;

  const keySources = new Map<string, KeySource>();
  let issuers = config.issuers;
  if (config.useDevIssuer) {
    const devKey = await loadOrCreateDevKey(config.dataDir);
    issuers = [devIssuerConfig()];
    keySources.set(issuers[0]!.name, createLocalKeySet({ keys: [devKey.publicJwk] }));
    logger.warn(
      { issuer: issuers[0]!.issuer },
      'development issuer is ON: tokens from `npm run token` are trusted. Set AUTH_ISSUERS for real issuers; never use this in production.',
    );
  } else {
    for (const issuer of issuers) {
      keySources.set(
        issuer.name,
        createRemoteKeySet({
          issuerName: issuer.name,
          jwksUri: issuer.jwksUri!,
          refreshSeconds: issuer.jwksRefreshSeconds,
          maxStaleSeconds: issuer.jwksMaxStaleSeconds,
          fetchTimeoutMs: config.jwksFetchTimeoutMs,
          fetch: options.fetch,
          onFetch: (outcome) => {
            metrics.observeJwksFetch(issuer.name, outcome);
            if (outcome !== 'success') logger.warn({ issuer: issuer.name, outcome }, 'JWKS fetch failed');
          },
        }),
      );
    }
  }

  const userinfo = issuers.some((i) => i.userinfoUrl !== null)
    ? createUserinfoClient({ fetch: options.fetch, timeoutMs: config.jwksFetchTimeoutMs })
    : null;
  const platform = config.platform === null ? null : await startPlatformIssuer(config, { db, logger, timing: options.platformKeys });
  const legacy = config.introspection;
  const opaque =
    legacy === null
      ? null
      : createIntrospectionVerifier({
          config: legacy,
          fetch: options.fetch,
          timeoutMs: config.jwksFetchTimeoutMs,
          firstAccepted: (digest) => recordSessionAcceptance(db, digest, config.maxTokenAgeSeconds),
          onCall: (outcome) => {
            if (outcome === 'refused') logger.error({ issuer: legacy.name, clientId: legacy.clientId }, 'introspection endpoint refused our client credentials');
            else if (outcome === 'error' || outcome === 'timeout') logger.warn({ issuer: legacy.name, outcome }, 'introspection call failed');
          },
        });
  const verifier = instrumentVerifier(
    withOpaqueTokens(createTokenVerifier({ issuers, keySources, userinfo, platform: platform?.verification ?? null }), opaque),
    issuers,
    metrics,
  );
  const sessions = createSessionPolicy({
    db,
    feed: lifecycleFeed,
    maxTokenAgeSeconds: config.maxTokenAgeSeconds,
    onError: (error) => logger.warn({ err: error }, 'session view not loaded: checking sessions in the database'),
  });
  // Not awaited: until the view is loaded every check reads the database.
  void sessions.start();
  const identity = createIdentityService({
    db,
    userRows,
    onProvisioned: (what) => metrics.observeProvisioned(what),
    adoptSubjectAsUserId: new Set(legacy?.adoptSubjectAsUserId === true ? [legacy.name] : []),
    isSuspended: (userId) => sessions.isSuspended(userId),
    maxEntryAgeMs: config.maxTokenAgeSeconds * 1000,
  });
  const issuerNames = new Set([...issuers.map((i) => i.name), ...(legacy === null ? [] : [legacy.name])]);
  const organizations = createOrganizationService({ db, userRows, identity, issuerNames });
  const invitations = createInvitationService({ db, ttlHours: config.invitationTtlHours, now: options.now });
  const lifecycle = createLifecycleService({ db, userRows, feed: lifecycleFeed, maxTokenAgeSeconds: config.maxTokenAgeSeconds });
  const services: Services = { db, userRows, identity, organizations, invitations, lifecycle, now: options.now };
  const authenticate = createAuthenticator({ verifier, identity, sessions });

  const limits = documentLimits({ maxTokens: config.maxQueryTokens, maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases });
  const apollo = createGraphQLServer({
    production: config.production,
    authorizationDirectives: config.routerAuthorizationDirectives,
    logger,
    documentLimits: limits,
    maxEntityRepresentations: config.maxEntityRepresentations,
    compileOperationsAfter: config.compileOperationsAfter,
    onExecution: metrics.observeExecution,
  });
  await apollo.start();

  // The IDE never exists in production: neither its page nor its assets are routed there.
  const playground = config.production ? null : createPlayground();
  const server = createHttpServer({
    apollo,
    services,
    authenticate,
    logger,
    subgraphSecret: config.subgraphSecret,
    maxBodyBytes: config.maxBodyBytes,
    documentGuard: createDocumentGuard(limits),
    protectedRoutes: {
      'POST /router/coprocessor': createCoprocessorHandler({ authenticate, db, logger, maxBodyBytes: config.maxBodyBytes }),
    },
    isReady: async () => {
      if (stopping) return false;
      await db.query('select 1');
      return migrationsApplied(db);
    },
    // The token endpoint and the issuer's documents are public (docs/platform-tokens.md).
    routes: {
      'GET /metrics': (req, res) => metrics.handle(req, res),
      ...playground?.routes,
      ...platform?.routes({ verifier, identity, sessions, userRows, issuers, fetch: options.fetch }),
      // Called by IdPs directly, not through the router: the logout token is the credential.
      'POST /backchannel-logout': createBackchannelLogoutHandler({
        verifier: createLogoutTokenVerifier({ issuers, keySources }),
        lifecycle,
        logger,
        maxBodyBytes: config.maxBodyBytes,
      }),
    },
    ide: playground?.page ?? null,
    cors: createCors(config.corsOrigins),
    onRequestEnd: createRequestObserver({ logger, metrics }),
  });

  return {
    config,
    server,
    db,
    logger,
    metrics,
    issuers,
    platform,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
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
      platform?.keys.close();
      await apollo.stop();
      for (const keys of keySources.values()) keys.close();
      // Last-seen stamps still waiting are written before the database goes.
      await identity.flushStamps();
      sessions.close();
      stopHearingLifecycle?.();
      userRows.close();
      if (!options.database) await db.close();
    },
  };
}
