// PostgreSQL through a pg pool, with bounded waits (connect, client query and server statement
// timeouts) so a vanished database answers 503 instead of hanging a request; it relays the user
// and lifecycle changes other replicas announce (userChanges.ts) to whoever keeps them in memory.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { isAppError } from '../errors.js';
import { toDatabaseError } from './errors.js';
import type { Database, QueryObserver, Queryable } from './queryable.js';
import { parseLifecycleAnnouncement, type LifecycleSubscriber } from './lifecycleFeed.js';
import { listenForUserChanges } from './userChanges.js';

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
}

/**
 * Names for parameterised statements, so each connection parses and plans a statement once
 * instead of at every execution: planning is most of a short statement's server CPU
 * (docs/performance.md). A name is a digest of the text, so it can never stand for another
 * text. The SQL modules' texts are constants; past a bound any further text runs unnamed, so a
 * dynamic text could not fill the server's memory.
 */
class StatementNames {
  static readonly MAX = 500;
  readonly #names = new Map<string, string>();

  of(text: string): string | undefined {
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < StatementNames.MAX) {
      name = `s_${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
      this.#names.set(text, name);
    }
    return name;
  }
}

export function createPostgresDatabase(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    statement_timeout: options.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'identity-subgraph',
  });
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on('error', (error) => options.onError?.(error));

  const changeHandlers = new Set<() => void>();
  const lifecycleSubscribers = new Set<LifecycleSubscriber>();
  const listenUrl = options.listenUrl === undefined ? options.url : options.listenUrl;
  const listener =
    listenUrl === null
      ? null
      : listenForUserChanges({
          url: listenUrl,
          connectTimeoutMs: options.connectTimeoutMs,
          onChange: () => {
            for (const handler of changeHandlers) handler();
          },
          onLifecycle: (payload) => {
            const change = parseLifecycleAnnouncement(payload);
            if (change === null) return;
            for (const subscriber of lifecycleSubscribers) subscriber.onChange(change);
          },
          onListening: () => {
            for (const subscriber of lifecycleSubscribers) subscriber.onRestart();
          },
          onError: (error) => options.onError?.(error),
        });

  const names = options.preparedStatements === false ? null : new StatementNames();
  const run = async <Row>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) => {
    options.onQuery?.(text);
    const name = params === undefined ? undefined : names?.of(text);
    const query: pg.QueryConfig = { text, values: params as unknown[] | undefined, ...(name === undefined ? {} : { name }) };
    try {
      return (await client.query(query)).rows as Row[];
    } catch (error) {
      throw toDatabaseError(error);
    }
  };

  const database: Database = {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    exec: async (script) => void (await run(pool, script)),
    async transaction(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw toDatabaseError(error);
      }
      // Without parameters pg uses the simple protocol, which accepts several statements.
      const tx: Queryable = {
        query: (text, params) => run(client, text, params),
        exec: async (script) => void (await run(client, script)),
      };
      let broken: Error | undefined;
      try {
        await tx.query('begin');
        const result = await work(tx);
        await tx.query('commit');
        return result;
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
        // Already classified: tx.query wraps driver errors, and the caller's own errors (a lost
        // race it retries) must reach it unchanged, not turn into IDENTITY_STORE_UNAVAILABLE.
        throw error;
      } finally {
        // A broken client (connection lost, rollback failed) is destroyed, not pooled.
        client.release(broken);
      }
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
      onLifecycle(subscriber) {
        lifecycleSubscribers.add(subscriber);
        return () => lifecycleSubscribers.delete(subscriber);
      },
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await listener?.close();
      await pool.end();
    },
  };
  return database;
}
