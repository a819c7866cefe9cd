// The platform issuer assembled (platform-tokens.md): its key store, loaded (a new database's
// first key created) before the service serves; what the verifier needs to accept its tokens;
// and its public routes. The composition root calls this only when PLATFORM_ISSUER is set.
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { IssuerConfig } from './config/issuers.js';
import type { PlatformConfig } from './config/platform.js';
import { loadOrCreateEncryptionKey } from './auth/platformCrypto.js';
import { createPlatformKeyStore, type PlatformKeyStore, type PlatformKeyStoreOptions } from './auth/platformKeys.js';
import type { PlatformIssuer as PlatformVerification } from './auth/platformToken.js';
import type { TokenVerifier } from './auth/verifier.js';
import type { Database } from './db/queryable.js';
import type { UserStore } from './db/userStore.js';
import { createPlatformRoutes } from './http/wellKnown.js';
import type { RouteHandler } from './http/server.js';
import type { ApiKeyAuthenticator } from './services/apiKeyAuth.js';
import { createTokenAuthenticator } from './services/authenticate.js';
import type { IdentityService } from './services/identity.js';
import { createPlatformTokenService } from './services/platformTokens.js';
import type { SessionPolicy } from './services/sessions.js';

export type PlatformKeyTiming = Pick<PlatformKeyStoreOptions, 'jwksMaxAgeSeconds' | 'reloadIntervalMs' | 'maxStaleMs' | 'now'>;

export interface PlatformIssuer {
  keys: PlatformKeyStore;
  /** The verifier's view: accept our own tokens, with our keys. */
  verification: PlatformVerification;
  routes(deps: { verifier: TokenVerifier; identity: IdentityService; sessions: SessionPolicy; apiKeys?: ApiKeyAuthenticator; users: UserStore; issuers: IssuerConfig[]; fetch?: typeof fetch }): Record<string, RouteHandler>;
}

export async function startPlatformIssuer(config: Config, deps: { db: Database; logger: Logger; timing?: PlatformKeyTiming }): Promise<PlatformIssuer> {
  const platform: PlatformConfig = config.platform!;
  const keys = createPlatformKeyStore({
    db: deps.db,
    logger: deps.logger,
    alg: platform.alg,
    // Production requires the variable (src/config/platform.ts); in development a key is kept in DATA_DIR.
    encryptionKey: platform.encryptionKey ?? (await loadOrCreateEncryptionKey(config.dataDir)),
    tokenTtlSeconds: platform.tokenTtlSeconds,
    rotationDays: platform.rotationDays,
    ...deps.timing,
  });
  await keys.refresh();
  return {
    keys,
    verification: { issuer: platform.issuer, audience: platform.audience, keys: keys.keySource },
    routes: ({ verifier, identity, sessions, apiKeys, users, issuers, fetch }) =>
      createPlatformRoutes({
        config: platform,
        keys,
        service: createPlatformTokenService({
          config: platform,
          keys,
          db: deps.db,
          users,
          // The very authenticator of /graphql: a subject passes here only if it passes there.
          authenticateToken: createTokenAuthenticator({ verifier, identity, sessions, apiKeys }),
          issuers,
          fetch,
          fetchTimeoutMs: config.jwksFetchTimeoutMs,
        }),
        logger: deps.logger,
        maxBodyBytes: config.maxBodyBytes,
      }),
  };
}
