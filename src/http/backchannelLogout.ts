// `POST /backchannel-logout` (OpenID Connect Back-Channel Logout 1.0 §2.5), form field
// `logout_token`: 200 with an empty body when recorded; 400 `{"error":"invalid_request"}` for
// anything else; 503 when the keys or the database cannot be reached (the IdP may retry).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isAppError } from '../errors.js';
import type { LogoutTokenVerifier } from '../auth/logoutToken.js';
import type { LifecycleService } from '../services/lifecycle.js';
import { readBody, sendGraphQLError, sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

const NO_STORE = { 'cache-control': 'no-store' };

export function createBackchannelLogoutHandler(options: {
  verifier: LogoutTokenVerifier;
  lifecycle: LifecycleService;
  logger: Logger;
  maxBodyBytes: number;
}): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const invalid = (reason: string) => {
      options.logger.info({ requestId, reason }, 'back-channel logout refused');
      sendJson(res, 400, { error: 'invalid_request' }, NO_STORE);
    };
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return invalid('content_type');
    const form = new URLSearchParams(await readBody(req, Math.min(options.maxBodyBytes, 65_536)));
    const tokens = form.getAll('logout_token');
    if (tokens.length !== 1 || tokens[0] === '') return invalid('missing_logout_token');
    try {
      await options.lifecycle.backchannelLogout(await options.verifier.verify(tokens[0]!));
    } catch (error) {
      if (isAppError(error) && error.status >= 500) return sendGraphQLError(res, error, requestId);
      if (isAppError(error) && error.code === 'BAD_USER_INPUT') return invalid(error.reason ?? 'invalid');
      throw error;
    }
    res.writeHead(200, { ...NO_STORE, 'content-length': '0' });
    res.end();
  };
}
