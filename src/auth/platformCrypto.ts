// Platform signing keys' cryptography, with node:crypto alone: key generation, the private half
// sealed with AES-256-GCM (the kid as associated data, so a ciphertext cannot be moved to
// another key's row), the development encryption key in DATA_DIR, and compact JWS signing.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { decodeEncryptionKey, type PlatformAlgorithm } from '../config/platform.js';
import { readOrCreateFile } from '../lib/files.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENCRYPTION_KEY_FILE = 'platform-key-encryption.key';

export interface GeneratedKey {
  kid: string;
  alg: PlatformAlgorithm;
  privateKey: KeyObject;
  /** The public half as published: kty members, kid, alg, use "sig". */
  publicJwk: JWK;
}

function keyPair(alg: PlatformAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

/** A new signing key; its kid is the RFC 7638 thumbprint of the public key. */
export async function generateSigningKey(alg: PlatformAlgorithm): Promise<GeneratedKey> {
  const { privateKey, publicKey } = keyPair(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** iv || tag || AES-256-GCM(PKCS#8 DER), bound to `kid`. */
export function sealPrivateKey(privateKey: KeyObject, encryptionKey: Buffer, kid: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
  cipher.setAAD(Buffer.from(kid, 'utf8'));
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = Buffer.concat([cipher.update(der), cipher.final()]);
  der.fill(0);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
}

/** Thrown when a sealed key does not open: a wrong encryption key, or a row tampered with. */
export class KeyDecryptionError extends Error {
  override readonly name = 'KeyDecryptionError';
}

export function openPrivateKey(blob: Uint8Array, encryptionKey: Buffer, kid: string): KeyObject {
  const data = Buffer.from(blob);
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(kid, 'utf8'));
    decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const der = Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    der.fill(0);
    return key;
  } catch {
    // No cause kept: nothing about the key material may reach a log.
    throw new KeyDecryptionError(`the encryption key does not open platform key ${kid}`);
  }
}

export function publicKeyOf(jwk: JWK): KeyObject {
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

/** The development encryption key, generated once into DATA_DIR (never in production). */
export async function loadOrCreateEncryptionKey(dataDir: string): Promise<Buffer> {
  const text = await readOrCreateFile(join(dataDir, ENCRYPTION_KEY_FILE), () => randomBytes(32).toString('base64'));
  const key = decodeEncryptionKey(text);
  if (key === null) throw new Error(`${join(dataDir, ENCRYPTION_KEY_FILE)} does not hold 32 bytes in base64`);
  return key;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The protected header of every token a key signs, encoded once (RFC 9068 `at+jwt`). */
export function encodeHeader(alg: PlatformAlgorithm, kid: string): string {
  return b64url(JSON.stringify({ alg, kid, typ: 'at+jwt' }));
}

/**
 * A compact JWS (RFC 7515 §7.1) over `payload`. Signed synchronously with node:crypto: for
 * ES256 JOSE wants the raw r||s form (RFC 7518 §3.4), not DER.
 */
export function signCompact(alg: PlatformAlgorithm, encodedHeader: string, payload: object, privateKey: KeyObject): string {
  const input = `${encodedHeader}.${b64url(JSON.stringify(payload))}`;
  const data = Buffer.from(input, 'utf8');
  const signature =
    alg === 'ES256'
      ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(alg === 'EdDSA' ? null : 'sha256', data, privateKey);
  return `${input}.${signature.toString('base64url')}`;
}
