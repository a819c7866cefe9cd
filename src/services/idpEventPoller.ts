// The Events API catch-up (idp-events.md): every `eventsPollSeconds`, one replica at a time (a
// lease on the cursor's row, so it holds across replicas and on PGlite alike) reads
// `GET {apiBaseUrl}/events?events=…&after=<cursor>&limit=100` with the API key and applies what
// it finds exactly as a webhook would (each event once, by id). The cursor lives in the database:
// the first poll of a database without one starts from now, and an event whose webhook was lost
// is applied at the next poll, after an outage of any length within WorkOS's retention.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { fetchJson, isPlainObject } from '../auth/fetch.js';
import { HANDLED_EVENT_TYPES, readIdpEvent } from '../domain/idpEvents.js';
import { advanceCursor, purgeOldEvents, releasePollLease, takePollLease } from '../db/idpEvents.js';
import type { Database } from '../db/queryable.js';
import type { EventSource, IdpEventService } from './idpEvents.js';

/** The clock and timers the poller runs on (tests pass a fake one to live through an outage in no time). */
export interface PollTimers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: PollTimers = {
  now: () => Date.now(),
  setTimeout: (run, ms) => {
    const handle = setTimeout(run, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PollSource extends EventSource {
  apiBaseUrl: string;
  apiKey: string;
  intervalSeconds: number;
}

export type PollResult = { kind: 'busy' } | { kind: 'polled'; fetched: number; applied: number } | { kind: 'failed' };

export interface IdpEventPoller {
  /** Polls now, then every interval. */
  start(): void;
  /** One round (tests drive it); never throws. */
  pollOnce(): Promise<PollResult>;
  /** Resolves once no round is in progress (tests driving the timers wait on it). */
  idle(): Promise<void>;
  /** Stops scheduling and waits for a round in progress. */
  close(): Promise<void>;
}

const PAGE = 100;
/** Pages read in one round at most (10,000 events); the rest wait for the next round. */
const MAX_PAGES = 100;
/** A poll's lease, renewed at each page: a replica gone mid-poll holds the others back this long at most. */
const LEASE_SECONDS = 30;
const FETCH_TIMEOUT_MS = 10_000;
const RETENTION_DAYS = 45;
const PURGE_EVERY_MS = 3_600_000;

export function createIdpEventPoller(options: {
  db: Database;
  events: IdpEventService;
  source: PollSource;
  logger: Logger;
  fetch?: typeof fetch;
  timers?: PollTimers;
}): IdpEventPoller {
  const { db, source, logger } = options;
  const timers = options.timers ?? systemTimers;
  const holder = randomUUID();
  let timer: unknown = null;
  let running: Promise<PollResult> | null = null;
  let closed = false;
  let lastPurge = 0;

  async function fetchPage(after: string | null, startedAt: Date): Promise<unknown[]> {
    const query = new URLSearchParams({ events: HANDLED_EVENT_TYPES.join(','), limit: String(PAGE) });
    if (after !== null) query.set('after', after);
    else query.set('range_start', startedAt.toISOString());
    const response = await fetchJson({
      fetch: options.fetch ?? globalThis.fetch,
      url: `${source.apiBaseUrl}/events?${query.toString()}`,
      headers: { authorization: `Bearer ${source.apiKey}` },
      timeoutMs: FETCH_TIMEOUT_MS,
      maxBytes: 16 * 1_048_576,
    });
    const data = isPlainObject(response.body) ? response.body['data'] : undefined;
    if (response.status !== 200 || !Array.isArray(data)) throw new Error(`the Events API answered HTTP ${response.status}${Array.isArray(data) ? '' : ' without a list'}`);
    return data;
  }

  async function round(): Promise<PollResult> {
    const cursor = await takePollLease(db, source.issuer, holder, LEASE_SECONDS, new Date(timers.now()));
    if (cursor === null) return { kind: 'busy' };
    let fetched = 0;
    let applied = 0;
    try {
      let after = cursor.afterEvent;
      for (let page = 0; page < MAX_PAGES && !closed; page += 1) {
        const items = await fetchPage(after, cursor.startedAt);
        fetched += items.length;
        let last: string | null = null;
        for (const item of items) {
          const event = readIdpEvent(item);
          if (event === null) {
            logger.warn({ issuer: source.name }, 'Events API: an item that is no event, skipped');
            continue;
          }
          last = event.id;
          // Before the first poll of this database: not caught up (idp-events.md).
          if (event.createdAt.getTime() < cursor.startedAt.getTime()) continue;
          const outcome = await options.events.apply(source, event);
          if (outcome !== 'duplicate') applied += 1;
        }
        if (last === null) break;
        after = last;
        if (!(await advanceCursor(db, source.issuer, holder, after, LEASE_SECONDS))) break;
        if (items.length < PAGE) break;
      }
      if (timers.now() - lastPurge > PURGE_EVERY_MS) {
        lastPurge = timers.now();
        await purgeOldEvents(db, RETENTION_DAYS);
      }
    } finally {
      await releasePollLease(db, source.issuer, holder).catch(() => undefined);
    }
    return { kind: 'polled', fetched, applied };
  }

  function pollOnce(): Promise<PollResult> {
    running ??= round()
      .catch((error: unknown) => {
        logger.warn({ issuer: source.name, err: error }, 'Events API catch-up failed; retrying at the next poll');
        return { kind: 'failed' } as const;
      })
      .finally(() => (running = null));
    return running;
  }

  function schedule(ms: number): void {
    if (closed) return;
    timer = timers.setTimeout(() => {
      timer = null;
      void pollOnce().then(() => schedule(source.intervalSeconds * 1000));
    }, ms);
  }

  return {
    start: () => schedule(0),
    pollOnce,
    async idle() {
      while (running !== null) await running;
    },
    async close() {
      closed = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
