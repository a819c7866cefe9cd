// CORS for the browser origins in CORS_ORIGINS, on /graphql only: an allowed origin gets
// itself back in Access-Control-Allow-Origin (never `*`); any other origin gets no CORS header.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './respond.js';

export const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, x-user-token, apollo-require-preflight';
/** How long a browser may reuse a preflight answer (seconds). */
export const CORS_MAX_AGE_SECONDS = 600;
const CORS_PATHS = new Set(['/graphql']);

/**
 * Returns a hook run before routing: it adds the CORS headers a request's origin is entitled
 * to, and answers the preflight itself (true: answered). Preflights come before the subgraph
 * secret check, as a browser never sends custom headers on them. No credentials mode: callers
 * send a bearer token, never cookies, so Access-Control-Allow-Credentials is never sent.
 */
export function createCors(origins: readonly string[]): ((req: IncomingMessage, res: ServerResponse) => boolean) | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  return (req, res) => {
    if (!CORS_PATHS.has((req.url ?? '/').split('?')[0]!)) return false;
    // Answers differ by Origin whether or not it is allowed: no cache may mix them.
    res.setHeader('vary', 'Origin');
    const origin = req.headers.origin;
    const isPreflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    if (origin === undefined || !allowed.has(origin)) {
      if (!isPreflight) return false;
      sendJson(res, 403, { errors: [{ message: 'This origin may not call this service from a browser.', extensions: { code: 'FORBIDDEN', reason: 'cors_origin' } }] });
      return true;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'x-request-id');
    if (!isPreflight) return false;
    res.writeHead(204, {
      'access-control-allow-methods': CORS_ALLOWED_METHODS,
      'access-control-allow-headers': CORS_ALLOWED_HEADERS,
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      'content-length': '0',
    });
    res.end();
    return true;
  };
}
