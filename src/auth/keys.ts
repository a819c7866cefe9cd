// Signing-key sources for token verification: a fixed local JWKS (development issuer) and a
// remote JWKS refreshed on a schedule, with single-flight fetches, stale-if-error, bounded
// staleness and a cooldown on refetches triggered by unknown `kid`s.
import type { webcrypto } from 'node:crypto';
import type { JWK } from 'jose';
import { AppError } from '../errors.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { fetchJson, isTimeout } from './fetch.js';
import { readKeySet, selectKey, UnknownKidError, type PublishedKeySet, type ResolvedKey } from './jwks.js';

export type { ResolvedKey, VerificationKey } from './jwks.js';

/**
 * Where an issuer's verification keys come from. `generation`, `holds` and `usableUntil` are
 * what a cached token re-checks on every request, so they are plain reads.
 */
export interface KeySource {
  /** @throws AppError UNAUTHENTICATED (unknown kid, ambiguous key), AUTH_PROVIDER_UNAVAILABLE. */
  getKey(header: { alg?: string; kid?: string }): Promise<ResolvedKey>;
  /** Changes whenever the published key set changes. */
  readonly generation: number;
  /** Whether the key with this identity (ResolvedKey.id) is in the published set held now. */
  holds(id: string): boolean;
  /** Until when (ms, the source's clock) the held keys may be used; Infinity for a fixed set. */
  readonly usableUntil: number;
  /** Stops background refreshes. */
  close(): void;
}

function unknownKid(cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', { reason: 'unknown_kid', cause });
}

/** A fixed key set (the development issuer's key). */
export function createLocalKeySet(jwks: { keys: ReadonlyArray<webcrypto.JsonWebKey | JWK> }): KeySource {
  const set = readKeySet(jwks);
  return {
    generation: 0,
    usableUntil: Number.POSITIVE_INFINITY,
    holds: (id) => set.ids.has(id),
    async getKey(header) {
      try {
        return await selectKey(set, header);
      } catch (error) {
        if (error instanceof UnknownKidError) throw unknownKid();
        throw error;
      }
    },
    close() {},
  };
}

export interface RemoteKeySetOptions {
  issuerName: string;
  jwksUri: string;
  refreshSeconds: number;
  maxStaleSeconds: number;
  fetchTimeoutMs: number;
  unknownKidCooldownSeconds?: number /* default 30 */;
  fetch?: typeof fetch;
  /** Time and the refresh timer; default the system clock (tests move a fake one). */
  clock?: Clock;
  onFetch?: (outcome: 'success' | 'error' | 'timeout') => void;
}

interface HeldKeys {
  set: PublishedKeySet;
  fetchedAt: number;
}

// While refreshes fail they are retried this often (at most): a down IdP is not hammered once
// per request, callers without keys get a fast 503, and keys come back within a few seconds
// of the endpoint answering again.
const MAX_FAILURE_BACKOFF_MS = 5_000;

export interface RemoteKeySet extends KeySource {
  readonly fetchCount: number;
  /**
   * Fetches the keys unless some are held (joining a fetch under way): the start-up fetch, so a
   * user's first request pays none. Resolves once that fetch has succeeded or failed (within
   * `fetchTimeoutMs`), never rejects; a failed one is retried on the usual schedule.
   */
  prefetch(): Promise<void>;
}

/**
 * A remote JWKS. `prefetch` (at start-up) or the first token fetches the keys; from then on a
 * timer refreshes them every `refreshSeconds` (every few seconds while refreshes fail), whether
 * or not tokens need them, so a key leaving the published set is noticed within
 * `refreshSeconds` + the fetch timeout.
 * When refreshes fail the last good keys keep serving for `maxStaleSeconds` beyond the refresh
 * that was due (RFC 5861 stale-if-error), the due attempt's fetch timeout included; then
 * `usableUntil` has passed and every token of the issuer is answered 503 until keys come back.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const refreshMs = options.refreshSeconds * 1000;
  const usableMs = refreshMs + options.fetchTimeoutMs + options.maxStaleSeconds * 1000;
  const cooldownMs = (options.unknownKidCooldownSeconds ?? 30) * 1000;
  const failureBackoffMs = Math.min(MAX_FAILURE_BACKOFF_MS, cooldownMs, refreshMs);

  let held: HeldKeys | null = null;
  let usableUntil = Number.NEGATIVE_INFINITY;
  let generation = 0;
  let inflight: Promise<HeldKeys> | null = null;
  let lastError: unknown = null;
  let retryNotBefore = 0;
  let lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  let fetchCount = 0;
  let cancelTimer: (() => void) | null = null;
  let closed = false;

  function report(outcome: 'success' | 'error' | 'timeout'): void {
    try {
      options.onFetch?.(outcome);
    } catch {
      // A metrics callback must never break verification.
    }
  }

  function schedule(delayMs: number): void {
    cancelTimer?.();
    cancelTimer = null;
    if (closed) return;
    cancelTimer = clock.schedule(() => {
      cancelTimer = null;
      refresh().catch(() => undefined);
    }, delayMs);
  }

  async function fetchKeys(): Promise<HeldKeys> {
    const response = await fetchJson({ fetch: fetchImpl, url: options.jwksUri, timeoutMs: options.fetchTimeoutMs, clock });
    if (response.status !== 200) throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
    return { set: readKeySet(response.body), fetchedAt: now() };
  }

  /** Starts a fetch, or joins the one in flight (single flight per key set). */
  function refresh(): Promise<HeldKeys> {
    if (inflight !== null) return inflight;
    fetchCount += 1;
    // `inflight` is cleared before anyone hears the outcome, so a refresh started on hearing it
    // (a timer due at that very moment) fetches anew instead of joining the finished attempt.
    const attempt = fetchKeys().then(
      (fresh) => {
        inflight = null;
        // Same keys as before: cached tokens have nothing to re-check.
        if (held === null || held.set.signature !== fresh.set.signature) generation += 1;
        held = fresh;
        usableUntil = fresh.fetchedAt + usableMs;
        lastError = null;
        retryNotBefore = 0;
        report('success');
        schedule(refreshMs);
        return fresh;
      },
      (error: unknown) => {
        inflight = null;
        lastError = new Error(`JWKS fetch for issuer "${options.issuerName}" failed`, { cause: error });
        retryNotBefore = now() + failureBackoffMs;
        report(isTimeout(error) ? 'timeout' : 'error');
        schedule(failureBackoffMs);
        throw lastError;
      },
    );
    inflight = attempt;
    return attempt;
  }

  function unavailable(cause: unknown): AppError {
    const waitMs = Math.max(0, retryNotBefore - now());
    return new AppError('AUTH_PROVIDER_UNAVAILABLE', {
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      cause,
    });
  }

  /** Keys to verify with, fetching them when none are usable. */
  async function currentKeys(at: number): Promise<{ keys: HeldKeys; fresh: boolean }> {
    if (held !== null && at <= usableUntil) {
      if (at - held.fetchedAt > refreshMs && inflight === null && at >= retryNotBefore) {
        // Overdue (the timer is late or was never started): the request goes on with the keys
        // it has while they are refreshed (stale-if-error).
        refresh().catch(() => undefined);
      }
      return { keys: held, fresh: false };
    }
    if (inflight === null && at < retryNotBefore) throw unavailable(lastError);
    try {
      return { keys: await refresh(), fresh: true };
    } catch (error) {
      throw unavailable(error);
    }
  }

  return {
    get fetchCount() {
      return fetchCount;
    },
    get generation() {
      return generation;
    },
    get usableUntil() {
      return usableUntil;
    },
    holds(id) {
      return held !== null && held.set.ids.has(id);
    },
    prefetch() {
      if (held !== null) return Promise.resolve();
      return refresh().then(
        () => undefined,
        () => undefined,
      );
    },
    close() {
      closed = true;
      cancelTimer?.();
      cancelTimer = null;
    },

    async getKey(header) {
      const at = now();
      const { keys, fresh } = await currentKeys(at);
      try {
        return await selectKey(keys.set, header);
      } catch (error) {
        if (!(error instanceof UnknownKidError)) throw error;
        let retry: HeldKeys | null = null;
        if (inflight !== null) {
          // A fetch is already under way: its result may hold the kid, and costs nothing extra.
          retry = await inflight.catch(() => null);
        } else if (!fresh && at - lastUnknownKidFetchAt >= cooldownMs && at >= retryNotBefore) {
          // A new kid usually means the IdP rotated keys. One refetch per cooldown, so a flood of
          // random kids cannot turn into a flood of requests to the IdP.
          lastUnknownKidFetchAt = at;
          retry = await refresh().catch(() => null);
        }
        if (retry === null || retry === keys) throw unknownKid(error);
        try {
          return await selectKey(retry.set, header);
        } catch (again) {
          if (again instanceof UnknownKidError) throw unknownKid(again);
          throw again;
        }
      }
    },
  };
}
