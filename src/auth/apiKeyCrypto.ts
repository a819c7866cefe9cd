// API keys' cryptography (api-keys.md, Storage): new keys from the CSPRNG, the stored HMAC-SHA256
// of a secret under a pepper, constant-time comparison whose cost is the same whether the public
// id is known or not, and the development pepper kept in DATA_DIR.
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { ApiKeyPepper } from '../config/apiKeys.js';
import { base62FromBytes, composeApiKey, PUBLIC_ID_LENGTH, SECRET_LENGTH } from '../domain/apiKeyFormat.js';
import { readOrCreateFile } from '../lib/files.js';

const DEV_PEPPER_FILE = 'api-key-pepper.key';
export const DEV_PEPPER_KID = 'dev';

export interface NewApiKey {
  publicId: string;
  secret: string;
  /** The full key, shown once. */
  key: string;
}

export function generateApiKey(): NewApiKey {
  const publicId = base62FromBytes(PUBLIC_ID_LENGTH, randomBytes);
  const secret = base62FromBytes(SECRET_LENGTH, randomBytes);
  return { publicId, secret, key: composeApiKey(publicId, secret) };
}

export function hmacSecret(pepper: Buffer, secret: string): Buffer {
  return createHmac('sha256', pepper).update(secret, 'utf8').digest();
}

// What an unknown key is compared with: a digest nobody's secret produces on purpose.
const DUMMY_DIGEST = randomBytes(32);
const DUMMY_PEPPER = randomBytes(32);

/**
 * Whether `secret` matches `stored` under `pepper`, in constant time. Without a row (unknown
 * public id, or its pepper no longer configured) the same HMAC and comparison run against a
 * dummy, so an unknown id costs what a wrong secret costs.
 */
export function secretMatches(secret: string, pepper: Buffer | null, stored: Uint8Array | null): boolean {
  const digest = hmacSecret(pepper ?? DUMMY_PEPPER, secret);
  const expected = stored !== null && stored.length === digest.length ? Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength) : DUMMY_DIGEST;
  const equal = timingSafeEqual(digest, expected);
  return equal && stored !== null && pepper !== null && expected !== DUMMY_DIGEST;
}

/**
 * The SHA-256 of a secret whose HMAC has matched: kept with a warm key (never the secret itself) so
 * that its next uses cost one one-shot hash and a constant-time comparison instead of an HMAC
 * (measured in `npm run bench`, "API key"; test/api-keys/format.test.ts holds it).
 */
export function secretFingerprint(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** What a presented fingerprint is compared with when no key is warm: nobody's. */
export const NO_FINGERPRINT = randomBytes(32);

/** Whether `presented` is the warm key's fingerprint, in constant time; the same comparison runs when there is none. */
export function fingerprintMatches(presented: Buffer, warm: Buffer | undefined): boolean {
  return timingSafeEqual(presented, warm ?? NO_FINGERPRINT) && warm !== undefined;
}

/** The development pepper, generated once into DATA_DIR (never in production). */
export async function loadOrCreateDevPepper(dataDir: string): Promise<ApiKeyPepper> {
  const text = await readOrCreateFile(join(dataDir, DEV_PEPPER_FILE), () => randomBytes(32).toString('base64'));
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length < 16) throw new Error(`${join(dataDir, DEV_PEPPER_FILE)} does not hold a pepper in base64`);
  return { kid: DEV_PEPPER_KID, key };
}
