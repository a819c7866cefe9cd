// Structured JSON logs (pino) that never carry secrets: errors are reduced to their type and
// codes (driver messages and `detail` quote row values such as emails), credentials redacted.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config/index.js';
import type { Principal } from './domain/types.js';

const MAX_CAUSE_DEPTH = 4;

/**
 * A log-safe view of an error: name, code, SQLSTATE, constraint, AppError reason, stack frames
 * and the cause chain. Never `message` or `detail` (pg puts `Key (email)=(ada@x.com)` there,
 * jose and fetch put URLs and claim values), except an AppError's message, which is public, and
 * a `serverMessage` (the text with which a server refused a connection).
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { type: typeof error };
  const e = error as Record<string, unknown> & { name?: unknown; stack?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { type: typeof e.name === 'string' ? e.name : (error.constructor?.name ?? 'Object') };
  if (typeof e['code'] === 'string' || typeof e['code'] === 'number') out['code'] = e['code'];
  if (typeof e['sqlState'] === 'string') out['sqlState'] = e['sqlState'];
  if (typeof e['constraint'] === 'string') out['constraint'] = e['constraint'];
  // A server's refusal of a connection (db/errors.ts ConnectionRefusedError): never row data.
  if (typeof e['serverMessage'] === 'string') out['serverMessage'] = e['serverMessage'];
  if (e.name === 'AppError') {
    if (typeof e['reason'] === 'string') out['reason'] = e['reason'];
    if (typeof e['message'] === 'string') out['message'] = e['message'];
  }
  if (typeof e.stack === 'string') {
    // Frames only: the first line of a stack repeats the (unsafe) message.
    out['stack'] = e.stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 12).map((line) => line.trim());
  }
  if (e.cause !== undefined && depth < MAX_CAUSE_DEPTH) out['cause'] = serializeError(e.cause, depth + 1);
  return out;
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      serializers: { err: (error: unknown) => serializeError(error), error: (error: unknown) => serializeError(error) },
      // Belt and braces: credentials never reach logs even if a header object is logged.
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-user-token"]', 'req.headers["x-subgraph-secret"]', 'token', 'email', '*.email'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Who called, for a log line: kind and id (canonical user id, or a service's `sub`), never an email. */
export function principalFields(principal: Principal | null): Record<string, string> {
  if (principal === null) return {};
  if (principal.kind === 'anonymous') return { principal: 'anonymous' };
  if (principal.kind === 'user') {
    const fields: Record<string, string> = { principal: 'user', principalId: principal.userId, issuer: principal.claims.provider };
    // The actor's `act.sub` can be an email address (WorkOS): only the fact is logged.
    if (principal.impersonator !== null) fields['impersonated'] = 'true';
    return fields;
  }
  if (principal.kind === 'api_key') return { principal: 'api_key', principalId: principal.keyId, organizationId: principal.organizationId };
  return { principal: 'service', principalId: principal.claims.subject, issuer: principal.claims.provider };
}
