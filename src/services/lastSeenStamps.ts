// Last-seen stamps of known identities, written together: each waits up to `delayMs` to share one
// statement with the others due (every active identity comes due once a seen interval).
import { stampIdentitiesSeen } from '../db/identities.js';
import type { Queryable } from '../db/queryable.js';
import { identityKey, splitIdentityKey } from './identityCache.js';

const MAX_BATCH = 500;

export interface LastSeenStampsOptions<T> {
  db: Queryable;
  delayMs: number;
  /**
   * Told of each stamp not written: its identity is gone (an operator deleted it) or the
   * statement failed (the database is down). Its next request should resolve as a first one does.
   */
  onNotWritten: (key: string, entry: T) => void;
}

export interface LastSeenStamps<T> {
  /** Queues the stamp of the identity `key` (identityKey); `entry` is handed back if it is not written. */
  queue(key: string, entry: T): void;
  /** Writes the stamps still waiting (shutdown, tests); resolves when they are written or dropped. */
  flush(): Promise<void>;
}

export function createLastSeenStamps<T>(options: LastSeenStampsOptions<T>): LastSeenStamps<T> {
  let due = new Map<string, T>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (due.size === 0) return writing;
    const batch = due;
    due = new Map();
    const written = writing.then(async () => {
      try {
        const found = new Set((await stampIdentitiesSeen(options.db, [...batch.keys()].map(splitIdentityKey))).map(identityKey));
        for (const [key, entry] of batch) if (!found.has(key)) options.onNotWritten(key, entry);
      } catch {
        for (const [key, entry] of batch) options.onNotWritten(key, entry);
      }
    });
    writing = written;
    return written;
  }

  return {
    queue(key, entry) {
      due.set(key, entry);
      if (due.size >= MAX_BATCH) void flush();
      else if (timer === null) {
        timer = setTimeout(() => void flush(), options.delayMs);
        // A stamp never keeps the process alive; shutdown flushes what is waiting.
        timer.unref();
      }
    },
    flush,
  };
}
