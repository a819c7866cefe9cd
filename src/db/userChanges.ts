// PostgreSQL: how a replica hears of user rows (migration 002's NOTIFY at commit) and lifecycle
// changes (migration 004) made by other replicas, on one dedicated LISTEN connection. While it is
// down or its heartbeat unanswered, it reports "not listening" and memory is not trusted.
import pg from 'pg';

const CHANNEL = 'identity_users_changed';
const LIFECYCLE_CHANNEL = 'identity_lifecycle';

export interface UserChangeListenerOptions {
  url: string;
  connectTimeoutMs: number;
  /** Called for every change announced in our schema, and whenever listening (re)starts. */
  onChange: () => void;
  /** Called with each lifecycle announcement in our schema (its payload after the schema). */
  onLifecycle?: (payload: string) => void;
  /** Called whenever listening (re)starts: whatever was announced before may have gone unheard. */
  onListening?: () => void;
  /** Told of connection failures (logged by the app); the listener retries by itself. */
  onError?: (error: Error) => void;
  /** How often the listening connection is checked (a heartbeat); default 200 ms. */
  pingIntervalMs?: number;
  /** A heartbeat unanswered this long makes the listener "not listening" until it answers; default 500 ms. */
  staleAfterMs?: number;
  /** Wait before reconnecting; default 1 s, doubling up to 5 s while it keeps failing (memory is not trusted meanwhile). */
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
  // Heartbeat: while one is unanswered past staleAfterMs, changes may be stuck on the way.
  let stale = false;
  let pinging = false;
  const staleAfterMs = options.staleAfterMs ?? 500;
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
      retryMs = Math.min(retryMs * 2, 5_000);
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
      const prefix = `${schema} `;
      client.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload === schema) options.onChange();
        else if (message.channel === LIFECYCLE_CHANNEL && message.payload?.startsWith(prefix)) options.onLifecycle?.(message.payload.slice(prefix.length));
      });
      await client.query(`listen ${CHANNEL}`);
      await client.query(`listen ${LIFECYCLE_CHANNEL}`);
    } catch (error) {
      drop(client, error as Error);
      return;
    }
    if (closed || current !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    listening = true;
    stale = false;
    pinging = false;
    retryMs = baseRetryMs;
    // Whatever was cached before may have changed unheard.
    options.onChange();
    options.onListening?.();
  }

  const ping = setInterval(() => {
    const client = current;
    if (client === null || !listening || pinging) return;
    pinging = true;
    // Notifications sent before the answer arrive before it, on the same connection.
    const staleTimer = setTimeout(() => (stale = true), staleAfterMs);
    staleTimer.unref();
    client.query('select 1').then(
      () => {
        clearTimeout(staleTimer);
        if (current !== client) return;
        pinging = false;
        if (stale) options.onChange(); // rows read while unheard are not kept
        stale = false;
      },
      (error: Error) => {
        clearTimeout(staleTimer);
        drop(client, error);
      },
    );
  }, options.pingIntervalMs ?? 200);
  ping.unref();

  void connect();

  return {
    get listening() {
      return listening && !stale;
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
