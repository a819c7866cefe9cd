// Changes to the platform signing keys, each in one transaction under the keys' advisory lock,
// so that however many replicas (and `npm run keys`) try at once, exactly one does it: the first
// key of a database that never held one, scheduled or forced rotation, removal of expired keys.
import type { PlatformAlgorithm } from '../config/platform.js';
import { rotationDue, scheduleKeys } from '../domain/keySchedule.js';
import {
  deletePlatformKeys,
  findPlatformKeys,
  insertKeyMarker,
  insertPlatformKey,
  keyMarkerExists,
  lockPlatformKeys,
  type PlatformKeyRecord,
} from '../db/platformKeys.js';
import type { Database, Queryable } from '../db/queryable.js';
import { generateSigningKey, openPrivateKey, sealPrivateKey } from './platformCrypto.js';

export interface KeyPolicy {
  alg: PlatformAlgorithm;
  encryptionKey: Buffer;
  tokenTtlSeconds: number;
  /** How long a key signs before its successor takes over (ms). */
  periodMs: number;
  /** How long a new key is published before it signs (ms): publicationLeadMs of the replicas' timing. */
  leadMs: number;
}

export interface RotationOutcome {
  /** The key this call created (kid and when it starts signing); null if none. */
  created: { kid: string; alg: PlatformAlgorithm; activatesAt: number } | null;
  /** A successor already scheduled (no new key then). */
  pending: PlatformKeyRecord | null;
  /** Keys removed because every token they signed has expired. */
  removed: string[];
}

/** `leadMs`: 0 for a database's first key (active at once), else the publication lead. */
async function createKey(tx: Queryable, policy: KeyPolicy, clock: () => number, leadMs: number) {
  const key = await generateSigningKey(policy.alg);
  // Read after the key exists (RSA generation takes a while): the lead counts from as close to
  // the commit that makes the key visible to replicas as the clock can be read.
  const createdAt = clock();
  const activatesAt = createdAt + leadMs;
  await insertPlatformKey(tx, {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk,
    privateKeyEncrypted: sealPrivateKey(key.privateKey, policy.encryptionKey, key.kid),
    createdAt,
    activatesAt,
    maxTokenTtlSeconds: policy.tokenTtlSeconds,
  });
  await insertKeyMarker(tx);
  return { kid: key.kid, alg: key.alg, activatesAt };
}

/**
 * Rotates when due (`force`: now, as `npm run keys -- rotate`), after removing expired keys. A
 * database that never held a key gets one, active at once (no token predates it). A new key
 * signs only `leadMs` after it is created, so every replica serves it, and every JWKS cache
 * fetched before it did has expired, first. `clock` is read once the lock is held.
 * @throws KeyDecryptionError when the encryption key does not open the active key: a key
 * sealed with a wrong one would stop every replica that holds the right one.
 */
export async function rotateKeys(db: Database, policy: KeyPolicy, clock: () => number, options: { force?: boolean } = {}): Promise<RotationOutcome> {
  return db.transaction(async (tx) => {
    await lockPlatformKeys(tx);
    const now = clock();
    const keys = await findPlatformKeys(tx);
    if (keys.length === 0 && !(await keyMarkerExists(tx))) {
      return { created: await createKey(tx, policy, clock, 0), pending: null, removed: [] };
    }
    const schedule = scheduleKeys(keys, now);
    const removed = schedule.expired.map((k) => k.kid);
    await deletePlatformKeys(tx, removed);
    const pending = schedule.published.find((k) => k.state === 'next')?.key ?? null;
    if (pending !== null) return { created: null, pending, removed };
    if (options.force !== true && !rotationDue(keys, now, policy)) return { created: null, pending: null, removed };
    const active = schedule.active;
    if (active !== null) openPrivateKey(active.privateKeyEncrypted, policy.encryptionKey, active.kid);
    return { created: await createKey(tx, policy, clock, policy.leadMs), pending: null, removed };
  });
}
