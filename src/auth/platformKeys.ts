// The platform signing keys as this replica holds them, reloaded from the database every few
// seconds so every replica signs with the active row's key and publishes the same set. A key that
// does not open, or keys that vanished, stop signing (503, one log line), never a silent new key.
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { PlatformAlgorithm } from '../config/platform.js';
import { publicationLeadMs, rotationDue, scheduleKeys, type KeySchedule } from '../domain/keySchedule.js';
import { findPlatformKeys, raiseTokenTtl, type PlatformKeyRecord } from '../db/platformKeys.js';
import type { Database } from '../db/queryable.js';
import { AppError } from '../errors.js';
import type { KeySource } from './keys.js';
import { encodeHeader, KeyDecryptionError, openPrivateKey, publicKeyOf } from './platformCrypto.js';
import { rotateKeys, type KeyPolicy } from './platformRotation.js';

/** JWKS responses may be cached this long (Cache-Control max-age). */
export const JWKS_MAX_AGE_SECONDS = 300;
/** How often a replica rereads the key rows. */
export const RELOAD_INTERVAL_MS = 10_000;
/**
 * A replica serves no key set read longer ago than this (signing and the JWKS answer 503): the
 * bound on when every replica serves a new key, even when some reloads fail.
 */
export const MAX_STALE_MS = 30_000;
/** How long after its creation a new key signs, with the default timing: 30 s + 300 s + 60 s. */
export const PUBLISH_LEAD_MS = publicationLeadMs({ propagationMs: MAX_STALE_MS, jwksMaxAgeSeconds: JWKS_MAX_AGE_SECONDS });

export interface HeldKey extends PlatformKeyRecord {
  alg: PlatformAlgorithm;
  publicKey: KeyObject;
  /** Null when the encryption key does not open it. */
  privateKey: KeyObject | null;
  encodedHeader: string;
}

export interface PlatformKeyStoreOptions {
  db: Database;
  logger: Logger;
  alg: PlatformAlgorithm;
  encryptionKey: Buffer;
  tokenTtlSeconds: number;
  rotationDays: number;
  /** The JWKS's Cache-Control max-age; default JWKS_MAX_AGE_SECONDS. */
  jwksMaxAgeSeconds?: number;
  /** How often the rows are read again; default RELOAD_INTERVAL_MS. */
  reloadIntervalMs?: number;
  /** Signing and the JWKS stop (503) when the last successful load is older; default MAX_STALE_MS. */
  maxStaleMs?: number;
  now?: () => number;
}

export interface PlatformKeyStore {
  /** Rotates if due (the first key of a new database included), then loads; never throws. */
  refresh(): Promise<void>;
  /** The key to sign with now. @throws AppError AUTH_PROVIDER_UNAVAILABLE (503) */
  signingKey(): HeldKey;
  /** The public keys to publish now. @throws AppError AUTH_PROVIDER_UNAVAILABLE (503) */
  publishedKeys(): JWK[];
  /** Verification keys of platform tokens (every published key). */
  keySource: KeySource;
  /** The JWKS's Cache-Control max-age, on which the publication lead counts. */
  readonly jwksMaxAgeSeconds: number;
  close(): void;
}

function unavailable(reason: string): AppError {
  return new AppError('AUTH_PROVIDER_UNAVAILABLE', { reason, retryAfterSeconds: 5 });
}

export function createPlatformKeyStore(options: PlatformKeyStoreOptions): PlatformKeyStore {
  const { db, logger } = options;
  const now = options.now ?? Date.now;
  const maxStaleMs = options.maxStaleMs ?? MAX_STALE_MS;
  const jwksMaxAgeSeconds = options.jwksMaxAgeSeconds ?? JWKS_MAX_AGE_SECONDS;
  const policy: KeyPolicy = {
    alg: options.alg,
    encryptionKey: options.encryptionKey,
    tokenTtlSeconds: options.tokenTtlSeconds,
    periodMs: options.rotationDays * 86_400_000,
    // Every replica runs with the same timing, so the staleness bound of this one is every one's.
    leadMs: publicationLeadMs({ propagationMs: maxStaleMs, jwksMaxAgeSeconds }),
  };
  let held: { keys: HeldKey[]; loadedAt: number } | null = null;
  const opened = new Map<string, HeldKey>();
  // Each problem is logged once when it starts, not once per request.
  let reported: string | null = null;
  let refreshing: Promise<void> | null = null;
  let publishedKids = '';
  let generation = 0;

  function report(problem: string | null, log: () => void): void {
    if (problem !== reported && problem !== null) log();
    reported = problem;
  }

  function hold(record: PlatformKeyRecord): HeldKey {
    const known = opened.get(record.kid);
    if (known !== undefined) return { ...known, maxTokenTtlSeconds: record.maxTokenTtlSeconds };
    let privateKey: KeyObject | null = null;
    try {
      privateKey = openPrivateKey(record.privateKeyEncrypted, policy.encryptionKey, record.kid);
    } catch (error) {
      if (!(error instanceof KeyDecryptionError)) throw error;
    }
    const key: HeldKey = {
      ...record,
      alg: record.alg as PlatformAlgorithm,
      publicKey: publicKeyOf(record.publicJwk),
      privateKey,
      encodedHeader: encodeHeader(record.alg as PlatformAlgorithm, record.kid),
    };
    // A key that did not open is tried again at the next load (the operator may fix the variable).
    if (privateKey !== null) opened.set(record.kid, key);
    return key;
  }

  function schedule(): KeySchedule<HeldKey> | null {
    return held === null ? null : scheduleKeys(held.keys, now());
  }

  /** Logs the state signing is in after a load, once per change of state. */
  function checkSigning(): void {
    const current = schedule()!;
    const active = current.active;
    if (active === null) {
      report('lost', () =>
        logger.error(
          'platform signing keys missing: this database held keys before, but none is active now (rows lost?). POST /oauth/token answers 503; no key is generated, as it would invalidate tokens other replicas issued. Restore the platform_keys rows, or run `npm run keys -- rotate`.',
        ),
      );
    } else if (active.privateKey === null) {
      report(`sealed:${active.kid}`, () =>
        logger.error(
          { kid: active.kid },
          'PLATFORM_KEY_ENCRYPTION_KEY does not decrypt the active platform signing key (wrong key?): POST /oauth/token answers 503 until it is fixed.',
        ),
      );
    } else {
      report(null, () => undefined);
    }
  }

  async function load(): Promise<void> {
    // The set is at least as fresh as the moment the read began (its snapshot is taken later):
    // staleness counts from there, so a slow read never stretches the publication bound.
    const readAt = now();
    const records = await findPlatformKeys(db);
    const keys = records.map(hold);
    for (const kid of opened.keys()) if (!records.some((r) => r.kid === kid)) opened.delete(kid);
    // Keys this replica may sign with record its token lifetime before it signs with them.
    const signing = scheduleKeys(keys, now()).published.filter((k) => k.state !== 'retiring' && k.key.maxTokenTtlSeconds < policy.tokenTtlSeconds);
    if (signing.length > 0) {
      await raiseTokenTtl(db, signing.map((k) => k.key.kid), policy.tokenTtlSeconds);
      for (const { key } of signing) key.maxTokenTtlSeconds = policy.tokenTtlSeconds;
    }
    held = { keys, loadedAt: readAt };
    checkSigning();
  }

  async function refreshOnce(): Promise<void> {
    try {
      // One locked transaction at start (a new database's first key); later only when due.
      const current = held === null ? null : scheduleKeys(held.keys, now());
      const active = current?.active ?? null;
      const due = current === null || current.expired.length > 0 || (active?.privateKey != null && rotationDue(held!.keys, now(), policy));
      if (due) {
        const outcome = await rotateKeys(db, policy, now);
        if (outcome.created !== null) logger.info({ kid: outcome.created.kid, alg: outcome.created.alg, activatesAt: new Date(outcome.created.activatesAt).toISOString() }, 'platform signing key created');
      }
      await load();
    } catch (error) {
      if (error instanceof KeyDecryptionError) {
        await load().catch(() => undefined);
        return;
      }
      report('unreachable', () => logger.warn({ err: error }, 'platform signing keys could not be loaded; retrying'));
    }
  }

  const refresh = (): Promise<void> => {
    refreshing ??= refreshOnce().finally(() => (refreshing = null));
    return refreshing;
  };

  const timer = setInterval(() => void refresh(), options.reloadIntervalMs ?? RELOAD_INTERVAL_MS);
  timer.unref();

  function current(): KeySchedule<HeldKey> {
    if (held === null || now() - held.loadedAt > maxStaleMs) throw unavailable('platform_keys_unavailable');
    return schedule()!;
  }

  return {
    refresh,
    jwksMaxAgeSeconds,
    signingKey() {
      const active = current().active;
      if (active === null || active.privateKey === null || active.maxTokenTtlSeconds < policy.tokenTtlSeconds) throw unavailable('platform_keys_unusable');
      return active;
    },
    publishedKeys() {
      return current().published.map(({ key }) => key.publicJwk);
    },
    keySource: {
      async getKey(header) {
        const found = schedule()?.published.find(({ key }) => key.kid === header.kid);
        if (held === null) throw unavailable('platform_keys_unavailable');
        if (found === undefined || found.key.alg !== header.alg) throw new AppError('UNAUTHENTICATED', { reason: 'unknown_kid' });
        return { id: found.key.kid, key: found.key.publicKey };
      },
      // The published set changes at loads and as time retires keys: its kids name a generation.
      get generation() {
        const kids = schedule()?.published.map(({ key }) => key.kid).join(' ') ?? '';
        if (kids !== publishedKids) {
          publishedKids = kids;
          generation += 1;
        }
        return generation;
      },
      holds(id) {
        return schedule()?.published.some(({ key }) => key.kid === id) ?? false;
      },
      usableUntil: Number.POSITIVE_INFINITY,
      close() {},
    },
    close() {
      clearInterval(timer);
    },
  };
}
