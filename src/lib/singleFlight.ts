// One call per key in flight: concurrent callers for the same key share its promise, which is
// forgotten once it settles (so a failure is retried by the next caller).

export interface SingleFlight<K, V> {
  /** The promise in flight for `key`, or `start()`'s, shared until it settles. */
  run(key: K, start: () => Promise<V>): Promise<V>;
  /** How many keys have a call in flight. */
  readonly size: number;
}

export function singleFlight<K, V>(): SingleFlight<K, V> {
  const inFlight = new Map<K, Promise<V>>();
  return {
    run(key, start) {
      let pending = inFlight.get(key);
      if (pending === undefined) {
        // Removed before any caller's continuation runs: a caller retrying on failure starts anew.
        pending = start().finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    get size() {
      return inFlight.size;
    },
  };
}
