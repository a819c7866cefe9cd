// What the database layer tells an operator about how it is connected (a listening connection
// that does not hear, statements a pooler loses, a refused startup parameter): reported once
// by src/db, worded here once, logged by the server and printed by the commands.

export type DatabaseIncident =
  /** This process's own notification, committed through its pool, never reached its listening connection. */
  | { kind: 'listen-unheard' }
  /** The round trip succeeds again after `listen-unheard`. */
  | { kind: 'listen-heard' }
  /** A named statement was lost (26000) or already there (42P05) behind a pooler; retried unnamed. */
  | { kind: 'statements-lost'; sqlState: string }
  /** The server refused a startup parameter the pool sends; connecting without it from now on. */
  | { kind: 'startup-parameter-refused'; parameter: string; serverMessage: string }
  /** The pool's connections run with statement_timeout 0 (a pooler dropped the startup parameter). */
  | { kind: 'server-statement-timeout-off'; queryTimeoutMs: number };

export interface IncidentLine {
  level: 'error' | 'warn' | 'info';
  fields: Record<string, string>;
  message: string;
}

/** The one wording of each incident: what happened, what the service does, what to change. */
export function describeIncident(incident: DatabaseIncident): IncidentLine {
  switch (incident.kind) {
    case 'listen-unheard':
      return {
        level: 'error',
        fields: {},
        message:
          "DB_LISTEN_URL does not hear this replica's own notification: sent through its pool (DATABASE_URL), it never reached the listening connection, so other replicas' suspensions, revocations, deletions and user changes would go unheard. Nothing about users is trusted from memory meanwhile (every request checks the database). A transaction pooler (PgBouncer pool_mode = transaction) delivers no notifications: point DB_LISTEN_URL at PostgreSQL itself (or a session-mode pool), or set DB_LISTEN_URL=off",
      };
    case 'listen-heard':
      return { level: 'info', fields: {}, message: 'DB_LISTEN_URL hears this replica’s own notifications again: memory is trusted again' };
    case 'statements-lost':
      return {
        level: 'error',
        fields: { sqlState: incident.sqlState },
        message:
          'named statements are being lost across connections (a pooler between this service and PostgreSQL, such as PgBouncer in transaction mode without max_prepared_statements, does not keep them): the statement was retried unnamed, and this process sends every statement unnamed from now on. Set DB_PREPARED_STATEMENTS=false',
      };
    case 'startup-parameter-refused':
      return {
        level: 'error',
        fields: { serverMessage: incident.serverMessage },
        message: `the database server refused the connection: "${incident.serverMessage}". Connecting without ${incident.parameter} from now on: add \`ignore_startup_parameters = ${incident.parameter}\` to pgbouncer.ini, and keep the server-side timeout with ALTER ROLE … SET ${incident.parameter} (DB_QUERY_TIMEOUT_MS still bounds every query on the client side)`,
      };
    case 'server-statement-timeout-off':
      return {
        level: 'warn',
        fields: {},
        message: `statement_timeout is 0 on the pool's connections (a pooler dropped the startup parameter): set it for the role, e.g. ALTER ROLE … SET statement_timeout = '${incident.queryTimeoutMs}ms', so a statement whose client gave up does not keep running (DB_QUERY_TIMEOUT_MS still bounds every query on the client side)`,
      };
  }
}
