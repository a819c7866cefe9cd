// lru-cache set up for entries that expire on the service's clock (injectable in tests); the
// bound and the expiry both live in the library.
import { LRUCache } from 'lru-cache';

/**
 * A cache of at most `max` entries whose per-entry expiry is read from `now`. ttlResolution 0:
 * the clock is read on each lookup (no debounce timer), so a test's clock is seen at once.
 */
export function expiringCache<K extends {}, V extends {}>(max: number, now: () => number): LRUCache<K, V> {
  return new LRUCache<K, V>({ max, ttlResolution: 0, perf: { now } });
}

/**
 * Holds `value` until `until` (ms, the cache's clock): from that instant on it is never served.
 * lru-cache serves an entry while its age is at most its ttl, hence the millisecond less; an
 * entry with less than that left is not held (a ttl of 0 would mean "never expires").
 */
export function setUntil<K extends {}, V extends {}>(cache: LRUCache<K, V>, key: K, value: V, until: number): void {
  const start = cache.perf.now();
  const ttl = Math.ceil(until - start) - 1;
  if (ttl >= 1) cache.set(key, value, { ttl, start });
  else cache.delete(key);
}
