// RSA key pairs for the test issuers, drawn in turn from a ring generated once (why and how:
// test/helpers/keyRingFile.ts).
import { readFileSync } from 'node:fs';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { expect } from 'vitest';
import { ensureKeyRing, RING_FILE, RING_SIZE } from './keyRingFile.js';

let ring: JWK[] | null = null;
let position = 0;
const drawsByFile = new Map<string, number>();

export interface RsaKeyPair {
  privateKey: CryptoKey;
  /** The public half as a JWK (no kid, alg or use: the caller adds its own). */
  publicJwk: JWK;
}

/** The next pair of the ring, for RS256 or PS256. */
export async function rsaKeyPair(alg: 'RS256' | 'PS256'): Promise<RsaKeyPair> {
  if (ring === null) await ensureKeyRing().then(() => (ring = JSON.parse(readFileSync(RING_FILE, 'utf8')) as JWK[]));
  const file = expect.getState().testPath ?? '';
  const draws = (drawsByFile.get(file) ?? 0) + 1;
  drawsByFile.set(file, draws);
  if (draws > RING_SIZE) throw new Error(`${file} drew more than ${RING_SIZE} RSA keys from test/helpers/keyRing.ts: raise RING_SIZE`);
  const jwk = ring![position % RING_SIZE]!;
  position += 1;
  const { n, e } = jwk;
  return { privateKey: (await importJWK({ ...jwk, alg }, alg)) as CryptoKey, publicJwk: { kty: 'RSA', n, e } };
}
