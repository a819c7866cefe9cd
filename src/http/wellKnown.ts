// The platform issuer's public documents: /.well-known/jwks.json (every published key, cacheable
// for the key store's max-age, on which the key schedule's publication lead relies) and the
// metadata, as /.well-known/openid-configuration and RFC 8414's oauth-authorization-server.
// All public: any service and the router fetch them.
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { PlatformConfig } from '../config/platform.js';
import { isAppError } from '../errors.js';
import type { PlatformKeyStore } from '../auth/platformKeys.js';
import type { PlatformTokenService } from '../services/platformTokens.js';
import { createTokenEndpoint, TOKEN_EXCHANGE_GRANT } from './oauth.js';
import { sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

function unavailable(res: ServerResponse, error: unknown): void {
  if (!isAppError(error) || error.status !== 503) throw error;
  sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'The signing keys cannot be read right now; retry later.' }, {
    'cache-control': 'no-store',
    'retry-after': String(error.retryAfterSeconds ?? 5),
  });
}

/** The issuer's base for its endpoints (no trailing slash). */
function baseOf(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

export function createPlatformRoutes(options: {
  config: PlatformConfig;
  keys: PlatformKeyStore;
  service: PlatformTokenService;
  logger: Logger;
  maxBodyBytes: number;
}): Record<string, RouteHandler> {
  const { config, keys, service } = options;
  const base = baseOf(config.issuer);
  // The key schedule's publication lead counts on this max-age: both come from the key store.
  const publicCache = { 'cache-control': `public, max-age=${keys.jwksMaxAgeSeconds}` };

  const serveMetadata: RouteHandler = (_req, res) => {
    let algorithms: string[];
    try {
      algorithms = [...new Set([config.alg, ...keys.publishedKeys().map((k) => k.alg!)])];
    } catch {
      algorithms = [config.alg];
    }
    sendJson(
      res,
      200,
      {
        issuer: config.issuer,
        jwks_uri: `${base}/.well-known/jwks.json`,
        token_endpoint: `${base}/oauth/token`,
        // Always served (callers.md); advertised with the issuer's other endpoints.
        introspection_endpoint: `${base}/oauth/introspect`,
        grant_types_supported: [TOKEN_EXCHANGE_GRANT, ...(service.codeGrantIssuers.length > 0 ? ['authorization_code'] : [])],
        token_endpoint_auth_methods_supported: ['none'],
        id_token_signing_alg_values_supported: algorithms,
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      },
      publicCache,
    );
  };

  return {
    'POST /oauth/token': createTokenEndpoint({ service, logger: options.logger, maxBodyBytes: options.maxBodyBytes }),
    'GET /.well-known/jwks.json': (_req, res) => {
      try {
        sendJson(res, 200, { keys: keys.publishedKeys() }, publicCache);
      } catch (error) {
        unavailable(res, error);
      }
    },
    // One document under both names: OIDC discovery and RFC 8414 (OAuth clients such as
    // openid-client's `algorithm: 'oauth2'` look only at the latter).
    'GET /.well-known/openid-configuration': serveMetadata,
    'GET /.well-known/oauth-authorization-server': serveMetadata,
  };
}
