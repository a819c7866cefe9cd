// Signing-key sources for token verification: a fixed local JWKS (development issuer) and a
// remote JWKS with single-flight fetches, stale-if-error, bounded staleness and a cooldown on
// refetches triggered by unknown `kid`s.
import type { KeyObject, webcrypto } from 'node:crypto';
import { createLocalJWKSet, errors, type CryptoKey, type JSONWebKeySet, type JWK, type LocalJWKSet } from 'jose';
import { AppError } from '../errors.js';
import { fetchJson, isPlainObject, isTimeout } from './fetch.js';

export type VerificationKey = CryptoKey | Uint8Array | KeyObject;

export interface KeySource {
  getKey(header: { alg?: string; kid?: string }): Promise<VerificationKey>;
}

// Only asymmetric signature keys: a symmetric (`oct`) key in a JWKS would let anyone holding
// the published "public" set forge tokens, and private members would mean a leaked key.
const ASYMMETRIC_KTY = new Set(['RSA', 'EC', 'OKP']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function usableKeys(keys: readonly unknown[]): JWK[] {
  return keys.filter(
    (key): key is JWK =>
      isPlainObject(key) &&
      typeof key.kty === 'string' &&
      ASYMMETRIC_KTY.has(key.kty) &&
      PRIVATE_MEMBERS.every((member) => !(member in key)),
  );
}

/** Builds a lookup from a JWKS document; throws a plain Error when nothing usable is in it. */
function buildLookup(document: unknown): LocalJWKSet {
  if (!isPlainObject(document) || !Array.isArray(document.keys)) {
    throw new Error('JWKS response is not a JSON object with a "keys" array');
  }
  const keys = usableKeys(document.keys);
  if (keys.length === 0) throw new Error('JWKS holds no asymmetric signing key');
  return createLocalJWKSet({ keys } satisfies JSONWebKeySet);
}

class UnknownKidError extends Error {
  override readonly name = 'UnknownKidError';
}

/** Finds the key for a header; unknown kid → UnknownKidError, other jose failures → 401. */
async function lookup(jwks: LocalJWKSet, header: { alg?: string; kid?: string }): Promise<CryptoKey> {
  try {
    return await jwks({ alg: header.alg, kid: header.kid });
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey) throw new UnknownKidError('no key matches', { cause: error });
    if (error instanceof errors.JOSEError) {
      // Our own reason: jose's codes would name the library to clients.
      const reason = error instanceof errors.JWKSMultipleMatchingKeys ? 'ambiguous_kid' : 'key_lookup_failed';
      throw new AppError('UNAUTHENTICATED', { reason, cause: error });
    }
    throw new AppError('UNAUTHENTICATED', { reason: 'key_lookup_failed', cause: error });
  }
}

function unknownKid(cause: unknown): AppError {
  return new AppError('UNAUTHENTICATED', { reason: 'unknown_kid', cause });
}

/** A fixed key set (the development issuer's key). */
export function createLocalKeySet(jwks: { keys: ReadonlyArray<webcrypto.JsonWebKey | JWK> }): KeySource {
  const set = buildLookup(jwks);
  return {
    async getKey(header) {
      try {
        return await lookup(set, header);
      } catch (error) {
        if (error instanceof UnknownKidError) throw unknownKid(error.cause);
        throw error;
      }
    },
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
  now?: () => number /* ms */;
  onFetch?: (outcome: 'success' | 'error' | 'timeout') => void;
}

interface HeldKeys {
  lookup: LocalJWKSet;
  fetchedAt: number;
}

// After a failed fetch, no new attempt for this long: a down IdP is not hammered once per
// request, and callers without keys get a fast 503 with Retry-After instead of a queue.
const MAX_FAILURE_BACKOFF_MS = 5_000;

/**
 * A remote JWKS. Keys are fetched lazily, at most one fetch in flight; they are refreshed in the
 * background once older than `refreshSeconds`; when refreshes fail the last good keys keep
 * serving for `maxStaleSeconds` beyond that (RFC 5861 stale-if-error semantics), then are dropped.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): KeySource & { readonly fetchCount: number } {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const refreshMs = options.refreshSeconds * 1000;
  const usableMs = refreshMs + options.maxStaleSeconds * 1000;
  const cooldownMs = (options.unknownKidCooldownSeconds ?? 30) * 1000;
  const failureBackoffMs = Math.min(MAX_FAILURE_BACKOFF_MS, cooldownMs);

  let held: HeldKeys | null = null;
  let inflight: Promise<HeldKeys> | null = null;
  let lastError: unknown = null;
  let retryNotBefore = 0;
  let lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  let fetchCount = 0;

  function report(outcome: 'success' | 'error' | 'timeout'): void {
    try {
      options.onFetch?.(outcome);
    } catch {
      // A metrics callback must never break verification.
    }
  }

  async function fetchKeys(): Promise<HeldKeys> {
    const response = await fetchJson({ fetch: fetchImpl, url: options.jwksUri, timeoutMs: options.fetchTimeoutMs });
    if (response.status !== 200) throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
    return { lookup: buildLookup(response.body), fetchedAt: now() };
  }

  /** Starts a fetch, or joins the one in flight (single flight per key set). */
  function refresh(): Promise<HeldKeys> {
    if (inflight !== null) return inflight;
    fetchCount += 1;
    const attempt = fetchKeys().then(
      (fresh) => {
        held = fresh;
        lastError = null;
        retryNotBefore = 0;
        report('success');
        return fresh;
      },
      (error: unknown) => {
        lastError = new Error(`JWKS fetch for issuer "${options.issuerName}" failed`, { cause: error });
        retryNotBefore = now() + failureBackoffMs;
        report(isTimeout(error) ? 'timeout' : 'error');
        throw lastError;
      },
    );
    const shared = attempt.finally(() => {
      inflight = null;
    });
    inflight = shared;
    return shared;
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
    if (held !== null && at - held.fetchedAt > usableMs) held = null; // too stale to trust
    if (held !== null) {
      if (at - held.fetchedAt > refreshMs && inflight === null && at >= retryNotBefore) {
        // Background refresh: the request goes on with the keys it has (stale-if-error).
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

    async getKey(header) {
      const at = now();
      const { keys, fresh } = await currentKeys(at);
      try {
        return await lookup(keys.lookup, header);
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
        if (retry === null || retry === keys) throw unknownKid(error.cause);
        try {
          return await lookup(retry.lookup, header);
        } catch (again) {
          if (again instanceof UnknownKidError) throw unknownKid(again.cause);
          throw again;
        }
      }
    },
  };
}
