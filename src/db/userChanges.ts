// PostgreSQL: how a replica hears of user rows changed by other replicas. Migration 002
// announces every such change at commit (NOTIFY identity_users_changed, payload: the schema);
// one dedicated connection LISTENs. While it is down a change could go unheard, so the
// listener reports "not listening" and the row cache is off until it is back (and everything
// cached before is dropped then). A periodic ping notices a connection that died silently.
import pg from 'pg';

const CHANNEL = 'identity_users_changed';

export interface UserChangeListenerOptions {
  url: string;
  connectTimeoutMs: number;
  /** Called for every change announced in our schema, and whenever listening (re)starts. */
  onChange: () => void;
  /** Told of connection failures (logged by the app); the listener retries by itself. */
  onError?: (error: Error) => void;
  /** How often the listening connection is checked; default 10 s. */
  pingIntervalMs?: number;
  /** Wait before reconnecting; default 1 s, doubling up to 30 s while it keeps failing. */
  retryMs?: number;
}

export interface UserChangeListener {
  /** True while changes are heard: only then may rows be cached. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export function listenForUserChanges(options: UserChangeListenerOptions): UserChangeListener {
  const baseRetryMs = options.retryMs ?? 1000;
  let retryMs = baseRetryMs;
  let current: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const drop = (client: pg.Client, error?: Error): void => {
    if (error !== undefined) options.onError?.(error);
    if (current !== client) return;
    current = null;
    listening = false;
    client.end().catch(() => undefined);
    if (!closed) {
      retryTimer = setTimeout(connect, retryMs);
      retryTimer.unref();
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  };

  async function connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'identity-subgraph-listener',
    });
    current = client;
    client.on('error', (error) => drop(client, error));
    client.on('end', () => drop(client));
    try {
      await client.connect();
      const [row] = (await client.query<{ schema: string }>('select current_schema() as schema')).rows;
      const schema = row?.schema ?? 'public';
      client.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload === schema) options.onChange();
      });
      await client.query(`listen ${CHANNEL}`);
    } catch (error) {
      drop(client, error as Error);
      return;
    }
    if (closed || current !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    listening = true;
    retryMs = baseRetryMs;
    // Whatever was cached before may have changed unheard.
    options.onChange();
  }

  const ping = setInterval(() => {
    const client = current;
    if (client === null || !listening) return;
    client.query('select 1').catch((error: Error) => drop(client, error));
  }, options.pingIntervalMs ?? 10_000);
  ping.unref();

  void connect();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listening = false;
      clearInterval(ping);
      clearTimeout(retryTimer);
      const client = current;
      current = null;
      await client?.end().catch(() => undefined);
    },
  };
}
