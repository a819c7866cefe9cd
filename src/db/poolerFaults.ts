// What a connection pooler between this service and PostgreSQL can break, recognised once per
// database object: named statements it loses between connections (26000, 42P05), and a startup
// parameter it refuses (PgBouncer refuses `statement_timeout` unless told to ignore it).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { connectionRefusal, isLostStatement } from './errors.js';
import type { DatabaseIncident } from './incidents.js';

/** At most one line a minute about lost statements, however many requests meet one. */
const LOST_REPORT_INTERVAL_MS = 60_000;
const REFUSED_PARAMETER = /^unsupported startup parameter: (\S+)$/;

export interface PoolerFaults {
  /** The statement's name, or undefined: unnamed (names off, no parameters, or past the bound). */
  nameOf(text: string): string | undefined;
  /** True when `error` is a lost named statement: names are off from now on (reported). */
  statementLost(error: unknown): boolean;
  /** True when `error` refused a startup parameter this pool can go without: left out from now on (reported). */
  parameterRefused(error: unknown): boolean;
  /** The client configuration, without the parameters refused so far. */
  startupConfig(config: pg.ClientConfig): pg.ClientConfig;
}

/**
 * Names for parameterised statements, so each connection parses and plans a statement once
 * instead of at every execution: planning is most of a short statement's server CPU
 * (docs/performance.md). A name is a digest of the text, so it can never stand for another
 * text. The SQL modules' texts are constants; past a bound any further text runs unnamed, so a
 * dynamic text could not fill the server's memory.
 *
 * Behind a pooler that does not keep them, named statements fail at random: once one is lost,
 * every later statement of the process goes unnamed (a pooler that lost one will lose more,
 * and each loss costs a failed round trip), and the failed one is retried unnamed.
 */
export function createPoolerFaults(options: { preparedStatements: boolean; onIncident?: (incident: DatabaseIncident) => void }): PoolerFaults {
  const MAX_NAMES = 500;
  const names = new Map<string, string>();
  let named = options.preparedStatements;
  let lostReportedAt = -Infinity;
  let sendStatementTimeout = true;

  return {
    nameOf(text) {
      if (!named) return undefined;
      let name = names.get(text);
      if (name === undefined && names.size < MAX_NAMES) {
        name = `s_${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
        names.set(text, name);
      }
      return name;
    },
    statementLost(error) {
      if (!isLostStatement(error)) return false;
      named = false;
      const now = Date.now();
      if (now - lostReportedAt >= LOST_REPORT_INTERVAL_MS) {
        lostReportedAt = now;
        options.onIncident?.({ kind: 'statements-lost', sqlState: String((error as { code: unknown }).code) });
      }
      return true;
    },
    parameterRefused(error) {
      const refusal = connectionRefusal(error);
      const parameter = refusal === null ? undefined : REFUSED_PARAMETER.exec(refusal.message)?.[1];
      // Only a parameter the service can go without: the client-side query timeout still holds.
      if (parameter !== 'statement_timeout') return false;
      if (sendStatementTimeout) {
        sendStatementTimeout = false;
        options.onIncident?.({ kind: 'startup-parameter-refused', parameter, serverMessage: refusal!.message });
      }
      return true;
    },
    startupConfig(config) {
      return sendStatementTimeout ? config : { ...config, statement_timeout: undefined };
    },
  };
}
