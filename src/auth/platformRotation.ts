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
  /** How long a new key is published before it signs (ms): JWKS max-age + 60 s. */
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

async function createKey(tx: Queryable, policy: KeyPolicy, now: number, activatesAt: number) {
  const key = await generateSigningKey(policy.alg);
  await insertPlatformKey(tx, {
    kid: key.kid,
    alg: key.alg,
    publicJwk: key.publicJwk,
    privateKeyEncrypted: sealPrivateKey(key.privateKey, policy.encryptionKey, key.kid),
    createdAt: now,
    activatesAt,
    maxTokenTtlSeconds: policy.tokenTtlSeconds,
  });
  await insertKeyMarker(tx);
  return { kid: key.kid, alg: key.alg, activatesAt };
}

/**
 * Rotates when due (`force`: now, as `npm run keys -- rotate`), after removing expired keys. A
 * database that never held a key gets one, active at once (no token predates it). A new key
 * signs only `leadMs` after it is created, so every JWKS cache has seen it first.
 * @throws KeyDecryptionError when the encryption key does not open the active key: a key
 * sealed with a wrong one would stop every replica that holds the right one.
 */
export async function rotateKeys(db: Database, policy: KeyPolicy, now: number, options: { force?: boolean } = {}): Promise<RotationOutcome> {
  return db.transaction(async (tx) => {
    await lockPlatformKeys(tx);
    const keys = await findPlatformKeys(tx);
    if (keys.length === 0 && !(await keyMarkerExists(tx))) {
      return { created: await createKey(tx, policy, now, now), pending: null, removed: [] };
    }
    const schedule = scheduleKeys(keys, now);
    const removed = schedule.expired.map((k) => k.kid);
    await deletePlatformKeys(tx, removed);
    const pending = schedule.published.find((k) => k.state === 'next')?.key ?? null;
    if (pending !== null) return { created: null, pending, removed };
    if (options.force !== true && !rotationDue(keys, now, policy)) return { created: null, pending: null, removed };
    const active = schedule.active;
    if (active !== null) openPrivateKey(active.privateKeyEncrypted, policy.encryptionKey, active.kid);
    return { created: await createKey(tx, policy, now, now + policy.leadMs), pending: null, removed };
  });
}
