// A bounded map with least-recently-used eviction, in two generations (the "hashlru" scheme):
// a hit in the young generation is one Map lookup with no reordering (these caches sit on the
// path of every request); a hit in the old generation moves the entry to the young one; when
// the young generation is full it becomes the old one and the previous old one is dropped.
// Every in-process cache (verified tokens, userinfo, identity ids, user rows) uses it, so each
// has a size bound: at most maxEntries entries are held.

export class Lru<K, V> {
  readonly #generationSize: number;
  #young = new Map<K, V>();
  #old = new Map<K, V>();

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    // The young generation rotates when it reaches half the bound (rounded up), so the two
    // together hold at most maxEntries.
    this.#generationSize = Math.ceil(maxEntries / 2);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Returns the value and marks it recently used. */
  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    this.#insertYoung(key, old);
    return old;
  }

  /** Inserts or replaces; evicts the least recently used generation beyond the bound. */
  set(key: K, value: V): void {
    if (this.#young.has(key)) {
      this.#young.set(key, value);
      return;
    }
    this.#old.delete(key);
    this.#insertYoung(key, value);
  }

  delete(key: K): boolean {
    const young = this.#young.delete(key);
    return this.#old.delete(key) || young;
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
  }

  #insertYoung(key: K, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size >= this.#generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }
}
