// The cache helpers every expiring cache uses: lru-cache's bound, and an entry never served
// from its expiry instant on, read from an injected clock.
import { describe, expect, it } from 'vitest';
import { expiringCache, setUntil } from '../../src/lib/expiringCache.js';

describe('expiring cache', () => {
  it('serves an entry until the millisecond before its expiry, and never from it on', () => {
    const clock = { now: 1_800_000_000_000 };
    const cache = expiringCache<string, string>(10, () => clock.now);
    setUntil(cache, 'a', 'alpha', clock.now + 5000);
    clock.now += 4999;
    expect(cache.get('a')).toBe('alpha');
    clock.now += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds nothing that expires within a millisecond or has expired (a ttl of 0 never expires)', () => {
    const clock = { now: 1_800_000_000_000 };
    const cache = expiringCache<string, string>(10, () => clock.now);
    setUntil(cache, 'past', 'x', clock.now - 1);
    setUntil(cache, 'now', 'x', clock.now);
    setUntil(cache, 'next', 'x', clock.now + 1);
    expect(cache.size).toBe(0);
    setUntil(cache, 'a', 'alpha', clock.now + 10);
    setUntil(cache, 'a', 'beta', clock.now); // a replacement already expired removes the old value
    expect(cache.get('a')).toBeUndefined();
  });

  it('is bounded: the least recently used entry goes first', () => {
    const clock = { now: 1_800_000_000_000 };
    const cache = expiringCache<number, number>(100, () => clock.now);
    for (let i = 0; i < 10_000; i += 1) {
      setUntil(cache, i, i, clock.now + 60_000);
      cache.get(0); // keeps 0 recently used
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.get(0)).toBe(0);
    expect(cache.get(9_000)).toBeUndefined();
    expect(cache.get(9_999)).toBe(9_999);
  });
});
