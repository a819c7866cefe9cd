// API keys assembled (api-keys.md): the peppers (API_KEY_PEPPERS; in development one generated
// into DATA_DIR; in production without them keys are off), the authenticator every credential
// path shares, and the management service GraphQL calls.
import type { Logger } from 'pino';
import type { Config } from './config/index.js';
import type { ApiKeyPepper } from './config/apiKeys.js';
import { loadOrCreateDevPepper } from './auth/apiKeyCrypto.js';
import type { LifecycleFeed } from './db/lifecycleFeed.js';
import type { Database } from './db/queryable.js';
import type { UserStore } from './db/userStore.js';
import { createApiKeyAuthenticator, type ApiKeyAuthenticator } from './services/apiKeyAuth.js';
import { createApiKeyService, type ApiKeyService } from './services/apiKeys.js';

export interface ApiKeys {
  peppers: readonly ApiKeyPepper[] | null;
  authenticator: ApiKeyAuthenticator;
  service: ApiKeyService;
}

export async function startApiKeys(config: Config, deps: { db: Database; users: UserStore; feed: LifecycleFeed; logger: Logger; now?: () => number }): Promise<ApiKeys> {
  const peppers = config.apiKeyPeppers ?? (config.production ? null : [await loadOrCreateDevPepper(config.dataDir)]);
  if (peppers === null) deps.logger.warn('API_KEY_PEPPERS is not set: API keys are off (createApiKey answers API_KEYS_DISABLED, every key 401)');
  const authenticator = createApiKeyAuthenticator({
    db: deps.db,
    feed: deps.feed,
    peppers,
    warn: (fields, message) => deps.logger.warn(fields, message),
  });
  return { peppers, authenticator, service: createApiKeyService({ db: deps.db, users: deps.users, feed: deps.feed, peppers, now: deps.now }) };
}
