// Classifies driver errors: unreachable store (503 to clients), a client's value the database
// cannot take (400), or a statement error (a bug or a constraint the caller handles). Driver
// messages never leave this process, and reach its logs only when the server ended the
// connection (ConnectionRefusedError).
import { AppError } from '../errors.js';

/** A statement failed inside a reachable database; `sqlState` is PostgreSQL's SQLSTATE. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly sqlState: string | undefined,
    readonly constraint: string | undefined,
    options: { cause: unknown },
  ) {
    super(`database statement failed (${sqlState ?? 'unknown'})`, options);
  }
}

/**
 * PostgreSQL or a pooler refused or ended the connection (severity FATAL: a startup parameter,
 * an unknown database or role, a connection limit, a shutdown). Such a message is about the
 * connection, never row data, so logs carry it verbatim as `serverMessage`: without it an
 * operator sees `08P01` and nothing to act on.
 */
export class ConnectionRefusedError extends Error {
  override readonly name = 'ConnectionRefusedError';
  constructor(
    readonly sqlState: string | undefined,
    readonly serverMessage: string,
    options: { cause: unknown },
  ) {
    super(`the database server refused the connection (${sqlState ?? 'unknown'})`, options);
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
// 08: connection exception, 53: insufficient resources, 57: operator intervention
// (admin shutdown, statement timeout 57014), 58: system error.
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);

/** The reason of a BAD_USER_INPUT raised by the database for a client's value (HTTP 400). */
export const UNSTORABLE_VALUE = 'unstorable_value';

/**
 * A value the database cannot take: class 22, data exception (a NUL byte or an invalid byte
 * sequence 22021, text that is no uuid 22P02, a string too long 22001), and 54000 (a value too
 * large to index). Every statement is parameterised, so the value came from a client.
 */
function isClientValueError(sqlState: string): boolean {
  return sqlState.startsWith('22') || sqlState === '54000';
}

/** The server's own refusal of the connection (an ErrorResponse of severity FATAL), or null. */
export function connectionRefusal(error: unknown): { sqlState: string | undefined; message: string } | null {
  const e = error as { severity?: unknown; code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.severity !== 'FATAL' || typeof e.message !== 'string') return null;
  return { sqlState: typeof e.code === 'string' ? e.code : undefined, message: e.message };
}

/**
 * Wraps a driver error: AppError(IDENTITY_STORE_UNAVAILABLE) when the store cannot answer,
 * AppError(BAD_USER_INPUT, unstorable_value) for a value it cannot take, DatabaseError otherwise.
 */
export function toDatabaseError(error: unknown): Error {
  if (error instanceof AppError || error instanceof DatabaseError) return error;
  const refusal = connectionRefusal(error);
  if (refusal !== null) {
    // Whatever its class (3D000 unknown database, 28P01 authentication): no statement ran.
    const cause = new ConnectionRefusedError(refusal.sqlState, refusal.message, { cause: error });
    return new AppError('IDENTITY_STORE_UNAVAILABLE', { cause, retryAfterSeconds: 2 });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && SQLSTATE.test(code) && isClientValueError(code)) {
    return new AppError('BAD_USER_INPUT', { message: 'A value in the request cannot be stored.', reason: UNSTORABLE_VALUE, cause: error });
  }
  if (typeof code === 'string' && SQLSTATE.test(code) && !UNAVAILABLE_CLASSES.has(code.slice(0, 2))) {
    const constraint = (error as { constraint?: unknown }).constraint;
    return new DatabaseError(code, typeof constraint === 'string' ? constraint : undefined, { cause: error });
  }
  return new AppError('IDENTITY_STORE_UNAVAILABLE', { cause: error, retryAfterSeconds: 2 });
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    error instanceof DatabaseError &&
    error.sqlState === '23505' &&
    (constraint === undefined || error.constraint === constraint)
  );
}

/**
 * A named (prepared) statement the connection did not hold (26000) or already held (42P05):
 * the connection behind the pool is not the one that prepared it (a transaction pooler).
 */
export function isLostStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '26000' || code === '42P05';
}
