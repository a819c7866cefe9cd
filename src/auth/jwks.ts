// A JWKS document turned into a set of verification keys, each with a stable identity (kid and
// RFC 7638 thumbprint), so a cached token can later ask whether its signing key is still published.
import { createHash, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, errors, type CryptoKey, type JWK, type LocalJWKSet } from 'jose';
import { AppError } from '../errors.js';
import { isPlainObject } from './fetch.js';

export type VerificationKey = CryptoKey | Uint8Array | KeyObject;

/** A key chosen for a token, and the identity of the published key it came from. */
export interface ResolvedKey {
  key: VerificationKey;
  id: string;
}

interface PublishedKey {
  id: string;
  /** jose's selection (kty, alg, use, key_ops, crv, kid) over this one key. */
  select: LocalJWKSet;
}

export interface PublishedKeySet {
  keys: PublishedKey[];
  /** The identities in this set (`holds` is a lookup here). */
  ids: ReadonlySet<string>;
  /** The sorted identities joined: equal signatures mean the same published keys. */
  signature: string;
}

// Only asymmetric signature keys: a symmetric (`oct`) key in a JWKS would let anyone holding
// the published "public" set forge tokens, and private members would mean a leaked key.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  // RFC 7638 §3.2: the required members, in lexicographic order.
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** kid + RFC 7638 thumbprint; null when the key lacks a required public member. */
function identityOf(jwk: Record<string, unknown>): string | null {
  const members = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS[jwk.kty] : undefined;
  if (members === undefined) return null;
  const canonical: Record<string, unknown> = {};
  for (const member of members) {
    if (typeof jwk[member] !== 'string') return null;
    canonical[member] = jwk[member];
  }
  const thumbprint = createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
  return `${typeof jwk.kid === 'string' ? jwk.kid : ''}#${thumbprint}`;
}

/** The usable keys of a JWKS document; throws a plain Error when nothing usable is in it. */
export function readKeySet(document: unknown): PublishedKeySet {
  if (!isPlainObject(document) || !Array.isArray(document.keys)) {
    throw new Error('JWKS response is not a JSON object with a "keys" array');
  }
  const keys: PublishedKey[] = [];
  for (const jwk of document.keys) {
    if (!isPlainObject(jwk) || PRIVATE_MEMBERS.some((member) => member in jwk)) continue;
    const id = identityOf(jwk);
    if (id === null || keys.some((key) => key.id === id)) continue;
    keys.push({ id, select: createLocalJWKSet({ keys: [jwk as JWK] }) });
  }
  if (keys.length === 0) throw new Error('JWKS holds no asymmetric signing key');
  const ids = new Set(keys.map((key) => key.id));
  return { keys, ids, signature: [...ids].sort().join('\n') };
}

export class UnknownKidError extends Error {
  override readonly name = 'UnknownKidError';
}

/**
 * The one published key that verifies a header (jose's own selection rules, applied key by key).
 * No match → UnknownKidError; several (no kid, or a kid published twice) → 401 ambiguous_kid.
 */
export async function selectKey(set: PublishedKeySet, header: { alg?: string; kid?: string }): Promise<ResolvedKey> {
  let found: ResolvedKey | null = null;
  for (const published of set.keys) {
    let key: CryptoKey;
    try {
      key = await published.select({ alg: header.alg, kid: header.kid });
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) continue;
      // Our own reason: jose's codes would name the library to clients.
      throw new AppError('UNAUTHENTICATED', { reason: 'key_lookup_failed', cause: error });
    }
    if (found !== null) throw new AppError('UNAUTHENTICATED', { reason: 'ambiguous_kid' });
    found = { key, id: published.id };
  }
  if (found === null) throw new UnknownKidError('no key matches');
  return found;
}
