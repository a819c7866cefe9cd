// The file behind test/helpers/keyRing.ts (apart, as the global setup runs outside any worker):
// RSA key pairs for the test issuers without an RSA key generation each (~180 ms of CPU: two per
// issuer, one per rotation, some 60 s of a run). A ring of RING_SIZE pairs, generated once and
// cached on disk beside the PGlite template (made by the global setup, test/helpers/build.ts),
// is handed out in turn: any RING_SIZE consecutive draws in a worker are distinct pairs, and a
// worker runs its files one after the other, so within a file every key is its own as long as
// the file draws at most RING_SIZE (checked: a file drawing more fails rather than reuse one).
// Files run one after another in a worker and each starts its own issuers on their own ports
// with fresh kids, so a pair met again in a later file is a stranger to everything there.
import { generateKeyPair as generateNodeKeyPair } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JWK } from 'jose';

export const RING_SIZE = 48;
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/identity-subgraph-tests/', import.meta.url));
export const RING_FILE = join(CACHE_DIR, `rsa-2048-ring-${RING_SIZE}.json`);

/** Writes the ring's file unless it exists (the global setup, before any worker reads it). */
export async function ensureKeyRing(): Promise<void> {
  try {
    if ((JSON.parse(readFileSync(RING_FILE, 'utf8')) as JWK[]).length === RING_SIZE) return;
  } catch {
    // Not made yet (or unreadable): make it below.
  }
  const generate = promisify(generateNodeKeyPair);
  // In parallel on libuv's pool: a few seconds on two cores, once per machine.
  const pairs = await Promise.all(Array.from({ length: RING_SIZE }, () => generate('rsa', { modulusLength: 2048 })));
  const jwks = pairs.map(({ privateKey }) => privateKey.export({ format: 'jwk' }) as JWK);
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${RING_FILE}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(jwks));
  renameSync(partial, RING_FILE);
}
