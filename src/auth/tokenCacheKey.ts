// Where a verified token is cached: under the digest of its signature alone, the part that makes
// it a credential (a cache never holds one), with a copy of its signed part (`header.payload`, no
// credential without the signature) compared on every lookup. The warm path hashes the ~340
// characters of an RS256 signature instead of the ~850 of the token: 2-3 µs a request less under
// the bench's load (bench/RESULTS.md, 2026-12-08).
import { sha256 } from '../lib/digest.js';

/** The cache key of a token (its signature's digest), and the length of the signed part before it. */
export function tokenCacheKey(token: string): { key: string; signedLength: number } {
  const dot = token.lastIndexOf('.');
  return { key: sha256(token.slice(dot + 1)), signedLength: dot };
}

/** Whether `signed`, an entry's copy, is this token's signed part (its key then names its signature). */
export function isSignedPartOf(signed: string, token: string, signedLength: number): boolean {
  return signed.length === signedLength && token.startsWith(signed);
}

/** A flat copy of the token's signed part, sharing no memory with the token (a slice would keep it alive). */
export function signedPartOf(token: string, signedLength: number): string {
  return Buffer.from(token.slice(0, signedLength), 'latin1').toString('latin1');
}
