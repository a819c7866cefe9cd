// The API key format (api-keys.md, Format): `idk_` + a 12-character public id + `_` + a
// 32-character secret + a 6-character checksum, the base62 CRC32 of everything before it (as
// GitHub's tokens carry one). Pure: a mistyped key is refused here, before any database lookup.

export const API_KEY_PREFIX = 'idk_';
export const PUBLIC_ID_LENGTH = 12;
export const SECRET_LENGTH = 32;
export const CHECKSUM_LENGTH = 6;
/** 55 characters. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH;
/** The pattern secret scanners look for (README). */
export const API_KEY_PATTERN = /^idk_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/;

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib) of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i += 1) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Base62 of a 32-bit value, left-padded with `0` to 6 characters (62^6 > 2^32). */
export function base62(value: number, width = CHECKSUM_LENGTH): string {
  let out = '';
  let rest = value;
  do {
    out = BASE62[rest % 62]! + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, '0');
}

export function checksumOf(body: string): string {
  return base62(crc32(body));
}

/** The full key from its public id and secret (both base62, of the lengths above). */
export function composeApiKey(publicId: string, secret: string): string {
  const body = `${API_KEY_PREFIX}${publicId}_${secret}`;
  return body + checksumOf(body);
}

/** What a listed key shows: `idk_` and its public id. */
export function apiKeyPrefix(publicId: string): string {
  return `${API_KEY_PREFIX}${publicId}`;
}

/** A bearer that claims to be an API key (a JWT never starts so: its header begins `eyJ`). */
export function isApiKeyLike(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export interface ParsedApiKey {
  publicId: string;
  secret: string;
}

/** The key's parts when its shape and checksum hold; null otherwise (no lookup is due). */
export function parseApiKey(token: string): ParsedApiKey | null {
  if (token.length !== API_KEY_LENGTH || !API_KEY_PATTERN.test(token)) return null;
  const bodyEnd = API_KEY_LENGTH - CHECKSUM_LENGTH;
  if (checksumOf(token.slice(0, bodyEnd)) !== token.slice(bodyEnd)) return null;
  const idStart = API_KEY_PREFIX.length;
  return { publicId: token.slice(idStart, idStart + PUBLIC_ID_LENGTH), secret: token.slice(idStart + PUBLIC_ID_LENGTH + 1, bodyEnd) };
}

/** Base62 text of `length` characters from uniformly random bytes (rejection sampling: no bias). */
export function base62FromBytes(length: number, randomBytes: (n: number) => Uint8Array): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: bytes above are dropped so every character is equally likely.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
