// What happens when a request ends: one metrics observation and one log line, with the
// request id, operation, status, duration, outcome and principal (never a token or an email).
import type { Logger } from 'pino';
import type { RequestEvent } from './http/server.js';
import { principalFields } from './log.js';
import type { Metrics } from './metrics.js';

export function createRequestObserver(deps: { logger: Logger; metrics: Metrics }): (event: RequestEvent) => void {
  const { logger, metrics } = deps;
  return (event) => {
    const outcome = event.status < 400 && event.errorCode === null ? 'success' : 'error';
    metrics.observeRequest({ path: event.path, operationName: event.operationName, outcome, durationMs: event.durationMs, errorCode: event.errorCode });
    // Probes and scrapes every few seconds would drown the request log: debug level only.
    const level = event.path !== '/graphql' && event.status < 400 ? 'debug' : event.status >= 500 ? 'warn' : 'info';
    // Every request ends here: build the line only when it is written.
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        requestId: event.requestId,
        method: event.method,
        path: event.path,
        operation: event.operationName,
        status: event.status,
        durationMs: Math.round(event.durationMs * 10) / 10,
        outcome,
        errorCode: event.errorCode,
        ...principalFields(event.principal),
      },
      'request',
    );
  };
}
