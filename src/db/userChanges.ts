// PostgreSQL: how a replica hears of user rows (migration 002's NOTIFY at commit) and lifecycle
// changes (migration 004) made by other replicas, on one dedicated LISTEN connection. Hearing is
// proven, not assumed: at start and at every heartbeat the replica sends a notification of its
// own through its pool (the path other replicas' commits take) and requires it on the listening
// connection within the deadline; memory is trusted only while the last one heard is recent. A
// LISTEN through a transaction pooler answers every query and hears nothing: the listening
// connection runs no query while a round trip is in flight, so a pooler can never hand it one
// by chance (it does so only to a client running a query on the server that LISTENed).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const CHANNEL = 'identity_users_changed';
const LIFECYCLE_CHANNEL = 'identity_lifecycle';
const MEMBERSHIP_CHANNEL = 'identity_memberships_changed';

export type ProofOutcome = 'heard' | 'unheard';

export interface UserChangeListenerOptions {
  url: string;
  connectTimeoutMs: number;
  /** Sends `payload` on `channel` through the pool (pg_notify outside any transaction); resolves once committed. */
  notify: (channel: string, payload: string) => Promise<void>;
  /** Called for every change announced in our schema, and whenever hearing is (re)proven. */
  onChange: () => void;
  /** Called for every membership change announced in our schema (migration 012), and whenever hearing is (re)proven. */
  onMembershipChange?: () => void;
  /** Called with each lifecycle announcement in our schema (its payload after the schema). */
  onLifecycle?: (payload: string) => void;
  /** Called whenever hearing is (re)proven: whatever was announced before may have gone unheard. */
  onListening?: () => void;
  /**
   * `heard`: a round trip arrived after none had (start, reconnection, or an outage).
   * `unheard`: one was committed and never arrived; once per outage.
   */
  onProof?: (outcome: ProofOutcome) => void;
  /** Told of connection failures (logged by the app); the listener retries by itself. */
  onError?: (error: Error) => void;
  /** Heartbeat: how often the connection is checked and a round trip sent (one at a time); default 200 ms. */
  pingIntervalMs?: number;
  /**
   * The round trip's deadline: one not heard this long after its commit is missed. Memory is
   * trusted while the last one heard was sent at most this plus the heartbeat ago; default 500 ms.
   */
  staleAfterMs?: number;
  /** Wait before reconnecting; default 1 s, doubling up to 5 s while it keeps failing (memory is not trusted meanwhile). */
  retryMs?: number;
}

export interface UserChangeListener {
  /** True while changes are heard: only then may rows be cached. */
  readonly listening: boolean;
  close(): Promise<void>;
}

interface RoundTrip {
  nonce: string;
  sentAt: number;
  /** When the pool answered (the notification is committed); null while it has not. */
  committedAt: number | null;
  failed: boolean;
}

export function listenForUserChanges(options: UserChangeListenerOptions): UserChangeListener {
  const baseRetryMs = options.retryMs ?? 1000;
  const staleAfterMs = options.staleAfterMs ?? 500;
  // Ours alone: other replicas' round trips never reach this connection.
  const probeChannel = `identity_probe_${randomBytes(8).toString('hex')}`;
  const pingIntervalMs = options.pingIntervalMs ?? 200;
  let retryMs = baseRetryMs;
  let current: pg.Client | null = null;
  // LISTENing on `current`; `proven`: a round trip heard on it since it started or last missed one.
  let connected = false;
  let proven = false;
  let outage = false;
  let pending: RoundTrip | null = null;
  let lastHeardSentAt = -Infinity;
  let pinging = false;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const drop = (client: pg.Client, error?: Error): void => {
    if (error !== undefined) options.onError?.(error);
    if (current !== client) return;
    current = null;
    connected = false;
    proven = false;
    pending = null;
    pinging = false;
    client.end().catch(() => undefined);
    if (!closed) {
      retryTimer = setTimeout(connect, retryMs);
      retryTimer.unref();
      retryMs = Math.min(retryMs * 2, 5_000);
    }
  };

  function sendRoundTrip(): void {
    const trip: RoundTrip = { nonce: randomBytes(12).toString('hex'), sentAt: Date.now(), committedAt: null, failed: false };
    pending = trip;
    options.notify(probeChannel, trip.nonce).then(
      () => (trip.committedAt = Date.now()),
      // The pool cannot reach the database: requests report that; here the trip just fails.
      () => (trip.failed = true),
    );
  }

  function heard(nonce: string | undefined): void {
    if (pending === null || pending.nonce !== nonce) return;
    lastHeardSentAt = pending.sentAt;
    pending = null;
    if (proven) return;
    proven = true;
    outage = false;
    // Everything committed before our notification has been heard by now (one queue, in
    // commit order), but what was announced before this proof may not have been.
    options.onChange();
    options.onMembershipChange?.();
    options.onListening?.();
    options.onProof?.('heard');
  }

  function missed(trip: RoundTrip): void {
    pending = null;
    proven = false;
    // Only a committed notification that never came says the listening path is deaf; a pool
    // that cannot answer says nothing about it.
    if (trip.committedAt !== null && !outage) {
      outage = true;
      options.onProof?.('unheard');
    }
  }

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
        if (current !== client) return;
        if (message.channel === CHANNEL && message.payload === schema) options.onChange();
        else if (message.channel === MEMBERSHIP_CHANNEL && message.payload === schema) options.onMembershipChange?.();
        else if (message.channel === LIFECYCLE_CHANNEL && message.payload?.startsWith(prefix)) options.onLifecycle?.(message.payload.slice(prefix.length));
        else if (message.channel === probeChannel) heard(message.payload);
      });
      await client.query(`listen ${CHANNEL}`);
      await client.query(`listen ${LIFECYCLE_CHANNEL}`);
      await client.query(`listen ${MEMBERSHIP_CHANNEL}`);
      await client.query(`listen ${probeChannel}`);
    } catch (error) {
      drop(client, error as Error);
      return;
    }
    if (closed || current !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    connected = true;
    proven = false;
    pinging = false;
    retryMs = baseRetryMs;
    sendRoundTrip();
  }

  const heartbeat = setInterval(() => {
    const client = current;
    if (client === null || !connected) return;
    const trip = pending;
    if (trip !== null) {
      // In flight: nothing else runs on the listening connection (see the top), and a slow pool
      // is not flooded with more.
      const late = trip.committedAt !== null && Date.now() - trip.committedAt > staleAfterMs;
      if (!late && !trip.failed) return;
      missed(trip);
    }
    if (pinging) return;
    // The connection's own liveness first (a silent or reset socket fails this and is replaced),
    // then the round trip, sent once nothing runs on it.
    pinging = true;
    client.query('select 1').then(
      () => {
        if (current !== client) return;
        pinging = false;
        if (connected && pending === null) sendRoundTrip();
      },
      (error: Error) => drop(client, error),
    );
  }, pingIntervalMs);
  heartbeat.unref();

  void connect();

  return {
    get listening() {
      // Everything committed before the last round trip heard has been heard: recent enough?
      return connected && proven && Date.now() - lastHeardSentAt <= staleAfterMs + pingIntervalMs;
    },
    async close() {
      closed = true;
      connected = false;
      clearInterval(heartbeat);
      clearTimeout(retryTimer);
      const client = current;
      current = null;
      await client?.end().catch(() => undefined);
    },
  };
}
