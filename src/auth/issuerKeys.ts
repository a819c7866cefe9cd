// Each trusted issuer's key source: the development issuer's local key, or every configured
// issuer's remote JWKS, prefetched once in parallel at start-up (operations.md: /readyz waits
// for each fetch to succeed or fail, so no user's first request pays one).
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { IssuerConfig } from '../config/issuers.js';
import type { Metrics } from '../metrics.js';
import { devIssuerConfig, loadOrCreateDevKey } from './devIssuer.js';
import { createLocalKeySet, createRemoteKeySet, type KeySource } from './keys.js';

export interface IssuerKeys {
  issuers: IssuerConfig[];
  keySources: Map<string, KeySource>;
  /** True once every start-up fetch has succeeded or failed. */
  fetched(): boolean;
}

export async function createIssuerKeys(config: Config, deps: { fetch?: typeof fetch; metrics: Metrics; logger: Logger }): Promise<IssuerKeys> {
  const keySources = new Map<string, KeySource>();
  if (config.useDevIssuer) {
    const devKey = await loadOrCreateDevKey(config.dataDir);
    const issuers = [devIssuerConfig()];
    keySources.set(issuers[0]!.name, createLocalKeySet({ keys: [devKey.publicJwk] }));
    deps.logger.warn(
      { issuer: issuers[0]!.issuer },
      'development issuer is ON: tokens from `npm run token` are trusted. Set AUTH_ISSUERS for real issuers; never use this in production.',
    );
    return { issuers, keySources, fetched: () => true };
  }
  const prefetches: Promise<void>[] = [];
  for (const issuer of config.issuers) {
    const keys = createRemoteKeySet({
      issuerName: issuer.name,
      jwksUri: issuer.jwksUri!,
      refreshSeconds: issuer.jwksRefreshSeconds,
      maxStaleSeconds: issuer.jwksMaxStaleSeconds,
      fetchTimeoutMs: config.jwksFetchTimeoutMs,
      fetch: deps.fetch,
      onFetch: (outcome) => {
        deps.metrics.observeJwksFetch(issuer.name, outcome);
        if (outcome !== 'success') deps.logger.warn({ issuer: issuer.name, outcome }, 'JWKS fetch failed');
      },
    });
    keySources.set(issuer.name, keys);
    prefetches.push(keys.prefetch());
  }
  let fetched = false;
  void Promise.all(prefetches).then(() => {
    fetched = true;
  });
  return { issuers: config.issuers, keySources, fetched: () => fetched };
}
