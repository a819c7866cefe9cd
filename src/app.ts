// Composition root: config → database → key sources → verifier → identity → GraphQL → HTTP.
// main.ts runs it for `npm start`; tests run the very same assembly in-process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { Config, IssuerConfig } from './config.js';
import { devIssuerConfig, loadOrCreateDevKey } from './auth/devIssuer.js';
import { createLocalKeySet, createRemoteKeySet, type KeySource } from './auth/keys.js';
import { createUserinfoClient } from './auth/userinfo.js';
import { createTokenVerifier } from './auth/verifier.js';
import { openDatabase } from './db/index.js';
import { migrationsApplied } from './db/migrate.js';
import type { Database, QueryObserver } from './db/queryable.js';
import type { Services } from './graphql/context.js';
import { createGraphQLServer } from './graphql/server.js';
import { createCoprocessorHandler } from './http/coprocessor.js';
import { createHttpServer } from './http/server.js';
import { createAuthenticator } from './services/authenticate.js';
import { createIdentityService } from './services/identity.js';
import { createOrganizationService } from './services/organizations.js';

export interface AppOptions {
  logger?: Logger;
  /** Seam for JWKS and userinfo fetches. */
  fetch?: typeof fetch;
  /** Observes every SQL statement (tests count round trips). */
  onQuery?: QueryObserver;
  /** An already-open database (tests share one per file). */
  database?: Database;
}

export interface App {
  config: Config;
  server: Server;
  db: Database;
  logger: Logger;
  issuers: IssuerConfig[];
  /** Starts listening; resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, drains, closes the database (unless it was passed in). */
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Belt and braces: credentials never reach logs even if a header object is logged.
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-user-token"]', 'req.headers["x-subgraph-secret"]', 'token', 'email', '*.email'],
      censor: '[redacted]',
    },
  });
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config);
  const db =
    options.database ??
    (await openDatabase({
      target: config.database,
      poolMax: config.dbPoolMax,
      connectTimeoutMs: config.dbConnectTimeoutMs,
      queryTimeoutMs: config.dbQueryTimeoutMs,
      onQuery: options.onQuery,
      onPoolError: (error) => logger.warn({ code: (error as { code?: string }).code }, 'database connection lost'),
    }));

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
        }),
      );
    }
  }

  const userinfo = issuers.some((i) => i.userinfoUrl !== null)
    ? createUserinfoClient({ fetch: options.fetch, timeoutMs: config.jwksFetchTimeoutMs })
    : null;
  const verifier = createTokenVerifier({ issuers, keySources, userinfo });
  const identity = createIdentityService({ db });
  const issuerNames = new Set(issuers.map((i) => i.name));
  const organizations = createOrganizationService({ db, identity, issuerNames });
  const services: Services = { db, identity, organizations, issuerNames };
  const authenticate = createAuthenticator({ verifier, identity });

  const apollo = createGraphQLServer({ production: config.production, authorizationDirectives: config.routerAuthorizationDirectives, logger });
  await apollo.start();

  const server = createHttpServer({
    apollo,
    services,
    authenticate,
    logger,
    subgraphSecret: config.subgraphSecret,
    maxBodyBytes: config.maxBodyBytes,
    protectedRoutes: {
      'POST /router/coprocessor': createCoprocessorHandler({ authenticate, db, logger, maxBodyBytes: config.maxBodyBytes }),
    },
    isReady: async () => {
      await db.query('select 1');
      return migrationsApplied(db);
    },
  });

  return {
    config,
    server,
    db,
    logger,
    issuers,
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
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await apollo.stop();
      if (!options.database) await db.close();
    },
  };
}
