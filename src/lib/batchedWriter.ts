// Writes that may wait, written together: each queued value waits up to `delayMs` to share one
// statement with the others waiting (stamps of last use and last sight). Batches are written one
// after another, in queue order; a value not written is handed back, never retried here.
import { systemClock, type Clock } from './clock.js';

export interface BatchedWriterOptions<K, V> {
  /** How long a queued value waits for others before its batch is written. */
  delayMs: number;
  /** A batch this large is written at once, without waiting for the delay; default 500. */
  maxBatch?: number;
  /**
   * Writes one batch in one statement. Resolves with the keys written when some may not have
   * been (their row is gone), or nothing when all were; a rejection means none was.
   */
  write(batch: ReadonlyMap<K, V>): Promise<ReadonlySet<K> | void>;
  /** Told of each value not written (rejected statement, missing row); default: nothing. */
  onNotWritten?: (key: K, value: V) => void;
  /** Whose timer the delay runs on; default systemClock (a timer that never keeps the process alive). */
  clock?: Pick<Clock, 'schedule'>;
}

export interface BatchedWriter<K, V> {
  /** Queues `value` under `key`, replacing a value still waiting under it. */
  queue(key: K, value: V): void;
  /** The value still waiting under `key` (not yet handed to a write). */
  waiting(key: K): V | undefined;
  /** Writes what is waiting (shutdown, a read that must see it, tests); resolves when every batch so far is written or dropped. */
  flush(): Promise<void>;
  /** Stops the delay timer; what is still waiting is written only by a later flush. */
  close(): void;
}

export function createBatchedWriter<K, V>(options: BatchedWriterOptions<K, V>): BatchedWriter<K, V> {
  const maxBatch = options.maxBatch ?? 500;
  const clock = options.clock ?? systemClock;
  let due = new Map<K, V>();
  let cancel: (() => void) | null = null;
  let writing: Promise<void> = Promise.resolve();

  function notWritten(batch: ReadonlyMap<K, V>, written: ReadonlySet<K> | null): void {
    const told = options.onNotWritten;
    if (told === undefined) return;
    for (const [key, value] of batch) if (written === null || !written.has(key)) told(key, value);
  }

  function stop(): void {
    cancel?.();
    cancel = null;
  }

  function flush(): Promise<void> {
    stop();
    if (due.size === 0) return writing;
    const batch = due;
    due = new Map();
    const written = writing.then(async () => {
      try {
        const keys = await options.write(batch);
        if (keys !== undefined) notWritten(batch, keys);
      } catch {
        notWritten(batch, null);
      }
    });
    writing = written;
    return written;
  }

  return {
    queue(key, value) {
      due.set(key, value);
      if (due.size >= maxBatch) void flush();
      // A waiting write never keeps the process alive (Clock.schedule); shutdown flushes it.
      else if (cancel === null) cancel = clock.schedule(() => void flush(), options.delayMs);
    },
    waiting: (key) => due.get(key),
    flush,
    close: stop,
  };
}
