// `POST /webhooks/workos/{name}` (idp-events.md): WorkOS's signed events for the `workos` entry of
// that name. Routed only for entries with a webhook secret (any other name: 404); then the size
// (413 over 1 MiB), then the signature and the body (400 `{"error":"invalid_request"}`); 503 with
// Retry-After when the database cannot be reached (WorkOS retries); else 200 with an empty body,
// whatever the event changed. Called by WorkOS itself: outside SUBGRAPH_SECRET. Neither the
// secret nor the body (personal data) is ever logged: only the event's id, type and outcome.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { checkWorkosSignature } from '../auth/workosSignature.js';
import { readIdpEvent } from '../domain/idpEvents.js';
import { isAppError } from '../errors.js';
import type { EventSource, IdpEventService } from '../services/idpEvents.js';
import { readRawBody, sendJson } from './respond.js';
import type { RouteHandler } from './server.js';

export const MAX_WEBHOOK_BYTES = 1_048_576;
const NO_STORE = { 'cache-control': 'no-store' };

export function createWorkosWebhookHandler(options: {
  source: EventSource;
  secret: string;
  events: IdpEventService;
  logger: Logger;
  now: () => number;
}): RouteHandler {
  const { source, logger } = options;
  return async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    const invalid = (reason: string) => {
      logger.info({ requestId, issuer: source.name, reason }, 'workos webhook refused');
      sendJson(res, 400, { error: 'invalid_request' }, NO_STORE);
    };
    let body: Buffer;
    try {
      body = await readRawBody(req, MAX_WEBHOOK_BYTES);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'PAYLOAD_TOO_LARGE') throw error;
      logger.info({ requestId, issuer: source.name }, 'workos webhook refused: body over 1 MiB');
      // The rest of the body is not read: the connection closes after the answer.
      sendJson(res, 413, { error: 'invalid_request', error_description: 'PAYLOAD_TOO_LARGE' }, { ...NO_STORE, connection: 'close' });
      return;
    }
    const header = req.headers['workos-signature'];
    const refusal = checkWorkosSignature(Array.isArray(header) ? header.join(',') : header, body, options.secret, options.now());
    if (refusal !== null) return invalid(refusal);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return invalid('invalid_json');
    }
    const event = readIdpEvent(parsed);
    if (event === null) return invalid('not_an_event');
    try {
      await options.events.apply(source, event);
    } catch (error) {
      if (isAppError(error) && error.status === 503) {
        logger.warn({ requestId, issuer: source.name, eventId: event.id, code: error.code }, 'workos webhook not applied: database unreachable');
        sendJson(res, 503, { error: 'temporarily_unavailable', error_description: error.code }, { ...NO_STORE, 'retry-after': String(error.retryAfterSeconds ?? 5) });
        return;
      }
      // A value the database cannot take: the event is refused, as a body that is no event.
      if (isAppError(error) && error.status < 500) return invalid(error.reason ?? 'unstorable');
      throw error;
    }
    res.writeHead(200, { ...NO_STORE, 'content-length': '0' });
    res.end();
  };
}
