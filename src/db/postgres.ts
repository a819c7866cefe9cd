// PostgreSQL through a pg pool, with bounded waits (connect, client query and server statement
// timeouts) so a vanished database answers 503 instead of hanging a request; it relays the user
// and lifecycle changes other replicas announce (userChanges.ts) to whoever keeps them in memory.
// Behind a transaction pooler (PgBouncer) it recovers from what the pooler breaks: named
// statements lost between connections are retried unnamed, a refused statement_timeout startup
// parameter is dropped (poolerFaults.ts), and the listening connection must prove it hears.
import pg from 'pg';
import { isAppError } from '../errors.js';
import { DatabaseError, isLostStatement, toDatabaseError } from './errors.js';
import type { DatabaseIncident } from './incidents.js';
import type { Database, QueryObserver, Queryable } from './queryable.js';
import { parseLifecycleAnnouncement, type LifecycleSubscriber } from './lifecycleFeed.js';
import { createPoolerFaults } from './poolerFaults.js';
import { countingWrites } from './writeClock.js';
import { listenForUserChanges, type ProofOutcome } from './userChanges.js';

export interface PostgresOptions {
  url: string;
  /** Where to LISTEN for other replicas' user changes; default `url`; null: cache no user rows. */
  listenUrl?: string | null;
  /** Named (server-side prepared) statements; default true. Off for poolers that cannot keep them. */
  preparedStatements?: boolean;
  max: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  onQuery?: QueryObserver;
  onError?: (error: Error) => void;
  /** Told what an operator must know about the connection (db/incidents.ts); the app logs it. */
  onIncident?: (incident: DatabaseIncident) => void;
}

type Client = pg.Pool | pg.PoolClient;

export function createPostgresDatabase(options: PostgresOptions): Database {
  const faults = createPoolerFaults({ preparedStatements: options.preparedStatements !== false, onIncident: options.onIncident });
  // pg-pool builds every connection through this class: a startup parameter a pooler refused
  // is left out of every later connection.
  class PooledClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(faults.startupConfig(config ?? {}));
    }
  }
  const pool = new pg.Pool({
    Client: PooledClient,
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    // The client-side bound holds whatever the server or a pooler does with statement_timeout.
    query_timeout: options.queryTimeoutMs,
    statement_timeout: options.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'identity-subgraph',
  });
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on('error', (error) => options.onError?.(error));

  /**
   * Runs one statement on `client`: named when names are on (and `named` is not false), unnamed
   * again if the pooler lost it.
   */
  const send = async <Row>(client: Client, text: string, params: readonly unknown[] | undefined, onLost?: () => void, named = true): Promise<Row[]> => {
    const name = params === undefined || !named ? undefined : faults.nameOf(text);
    const values = params as unknown[] | undefined;
    try {
      return (await client.query<Row & pg.QueryResultRow>(name === undefined ? { text, values } : { text, values, name })).rows;
    } catch (error) {
      if (name !== undefined && faults.statementLost(error)) {
        // Inside a transaction the error aborted it: the transaction is run again instead.
        if (onLost !== undefined) {
          onLost();
          throw toDatabaseError(error);
        }
        return send(client, text, params);
      }
      throw error;
    }
  };

  /** Outside a transaction: a connection refused for a startup parameter is tried once more without it. */
  const runOnPool = async <Row>(text: string, params?: readonly unknown[], named = true): Promise<Row[]> => {
    try {
      return await send<Row>(pool, text, params, undefined, named);
    } catch (error) {
      if (faults.parameterRefused(error)) {
        try {
          return await send<Row>(pool, text, params, undefined, named);
        } catch (again) {
          throw toDatabaseError(again);
        }
      }
      throw toDatabaseError(error);
    }
  };

  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      if (!faults.parameterRefused(error)) throw toDatabaseError(error);
      try {
        return await pool.connect();
      } catch (again) {
        throw toDatabaseError(again);
      }
    }
  };

  async function attempt<T>(work: (tx: Queryable) => Promise<T>): Promise<{ result: T } | { lost: unknown }> {
    const client = await connect();
    let lost = false;
    const onLost = () => (lost = true);
    const run = async <Row>(text: string, params?: readonly unknown[]) => {
      options.onQuery?.(text);
      try {
        return await send<Row>(client, text, params, onLost);
      } catch (error) {
        throw toDatabaseError(error);
      }
    };
    // Without parameters pg uses the simple protocol, which accepts several statements.
    const tx: Queryable = { query: run, exec: async (script) => void (await run(script)) };
    let broken: Error | undefined;
    try {
      await run('begin');
      const result = await work(tx);
      // `work` swallowed a lost statement's error: the transaction is aborted, and a commit would
      // roll it back without a word.
      if (lost) throw new DatabaseError('25P02', undefined, { cause: null });
      await run('commit');
      return { result };
    } catch (error) {
      if (isAppError(error) && error.code === 'IDENTITY_STORE_UNAVAILABLE') {
        // The connection itself failed or timed out: a rollback would wait out another
        // query timeout on it. The server rolls back when the client is destroyed.
        broken = error;
      } else {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      // Failed by the lost statement itself, or by a statement after it in the aborted transaction.
      if (lost && broken === undefined && error instanceof DatabaseError && (isLostStatement(error.cause) || error.sqlState === '25P02')) return { lost: error };
      // Already classified: tx.query wraps driver errors, and the caller's own errors (a lost
      // race it retries) must reach it unchanged, not turn into IDENTITY_STORE_UNAVAILABLE.
      throw error;
    } finally {
      // A broken client (connection lost, rollback failed) is destroyed, not pooled.
      client.release(broken);
    }
  }

  const changeHandlers = new Set<() => void>();
  const membershipHandlers = new Set<() => void>();
  const lifecycleSubscribers = new Set<LifecycleSubscriber>();
  const proofHandlers = new Set<(outcome: ProofOutcome) => void>();
  let unheard = false;
  const listenUrl = options.listenUrl === undefined ? options.url : options.listenUrl;
  const listener =
    listenUrl === null
      ? null
      : listenForUserChanges({
          url: listenUrl,
          connectTimeoutMs: options.connectTimeoutMs,
          // Through the pool, unnamed and unobserved: a heartbeat, not a statement of the service.
          notify: async (channel, payload) => void (await runOnPool('select pg_notify($1, $2)', [channel, payload], false)),
          onChange: () => {
            for (const handler of changeHandlers) handler();
          },
          onMembershipChange: () => {
            for (const handler of membershipHandlers) handler();
          },
          onLifecycle: (payload) => {
            const change = parseLifecycleAnnouncement(payload);
            if (change === null) return;
            for (const subscriber of lifecycleSubscribers) subscriber.onChange(change);
          },
          onListening: () => {
            for (const subscriber of lifecycleSubscribers) subscriber.onRestart();
          },
          onProof: (outcome) => {
            // Logged: an outage once, and its end (not every reconnection's first round trip).
            if (outcome === 'unheard' || unheard) options.onIncident?.({ kind: outcome === 'heard' ? 'listen-heard' : 'listen-unheard' });
            unheard = outcome === 'unheard';
            for (const handler of proofHandlers) handler(outcome);
          },
          onError: (error) => options.onError?.(error),
        });

  return countingWrites({
    kind: 'postgres',
    query: (text, params) => {
      options.onQuery?.(text);
      return runOnPool(text, params);
    },
    exec: async (script) => {
      options.onQuery?.(script);
      await runOnPool(script);
    },
    async transaction(work) {
      const first = await attempt(work);
      if ('result' in first) return first.result;
      // A named statement was lost behind a pooler: names are off now, so once more, unnamed.
      // `work` may run twice, as it may for its callers' own retries after a lost race.
      const second = await attempt(work);
      if ('result' in second) return second.result;
      throw second.lost;
    },
    // Not listening (nothing about users trusted from memory) while other replicas' changes could go unheard.
    userChanges: {
      get listening() {
        return listener?.listening ?? false;
      },
      onChange(handler) {
        changeHandlers.add(handler);
        return () => changeHandlers.delete(handler);
      },
      onMembershipChange(handler) {
        membershipHandlers.add(handler);
        return () => membershipHandlers.delete(handler);
      },
      onLifecycle(subscriber) {
        lifecycleSubscribers.add(subscriber);
        return () => lifecycleSubscribers.delete(subscriber);
      },
      onProof(handler) {
        proofHandlers.add(handler);
        return () => proofHandlers.delete(handler);
      },
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await listener?.close();
      await pool.end();
    },
  } satisfies Omit<Database, 'writes'>);
}
