// Every SQL statement as a CLIENT span: the database system and the statement's text, which the
// SQL modules write with placeholders ($1, $2, …); the values bound to them are never recorded,
// nor a driver's error message (it can quote a row: `Key (email)=(…) already exists`).
import { SpanKind } from '@opentelemetry/api';
import { ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import type { Database, Queryable } from '../db/queryable.js';
import type { TracingCore } from './core.js';
import { fail } from './requests.js';

// The names before semantic conventions 1.26 renamed them, still what many backends read.
const ATTR_DB_SYSTEM = 'db.system';
const ATTR_DB_STATEMENT = 'db.statement';
const LEADING_KEYWORD = /^\s*([A-Za-z]+)/;

export function traceDatabase(core: TracingCore, db: Database): Database {
  const { tracer } = core;

  async function traced<T>(text: string, run: () => Promise<T>): Promise<T> {
    const operation = LEADING_KEYWORD.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    const span = tracer.startSpan(
      operation,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: 'postgresql',
          [ATTR_DB_SYSTEM]: 'postgresql',
          [ATTR_DB_OPERATION_NAME]: operation,
          [ATTR_DB_QUERY_TEXT]: text,
          [ATTR_DB_STATEMENT]: text,
        },
      },
      core.parent(),
    );
    try {
      return await run();
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  const wrap = (target: Queryable): Queryable => ({
    query: (text, params) => traced(text, () => target.query(text, params)),
    exec: (script) => traced(script, () => target.exec(script)),
  });
  const top = wrap(db);
  // Everything else (kind, pool statistics, the change feed, close) is the database's own,
  // reached through the prototype, whatever members the Database port gains.
  const overrides: Pick<Database, 'query' | 'exec' | 'transaction'> = {
    query: top.query,
    exec: top.exec,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
  };
  return Object.assign(Object.create(db) as Database, overrides);
}
