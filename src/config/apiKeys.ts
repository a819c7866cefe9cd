// API_KEY_PEPPERS (api-keys.md, Storage): `kid:base64` pairs, comma-separated; the first signs
// new keys, the others still verify (and keys they hash are re-hashed under the first on use).
import { ConfigError } from './errors.js';

export interface ApiKeyPepper {
  kid: string;
  /** Never logged. */
  key: Buffer;
}

const KID = /^[A-Za-z0-9._-]{1,32}$/;
const MIN_PEPPER_BYTES = 16;

/** The configured peppers, newest first; null when the variable is unset. */
export function parseApiKeyPeppers(value: string | undefined): ApiKeyPepper[] | null {
  if (value === undefined) return null;
  const peppers: ApiKeyPepper[] = [];
  for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.indexOf(':');
    const kid = at < 0 ? '' : entry.slice(0, at);
    // The value is a secret: never echoed, only its kid (or position) is named.
    if (!KID.test(kid)) throw new ConfigError(`API_KEY_PEPPERS: entry ${peppers.length + 1} must be kid:base64 with a kid of 1-32 letters, digits, ".", "_" or "-"`);
    const text = entry.slice(at + 1);
    const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.alloc(0);
    if (key.length < MIN_PEPPER_BYTES) throw new ConfigError(`API_KEY_PEPPERS: pepper ${kid} must be at least ${MIN_PEPPER_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`)`);
    if (peppers.some((p) => p.kid === kid)) throw new ConfigError(`API_KEY_PEPPERS: kid ${kid} is given twice`);
    peppers.push({ kid, key });
  }
  if (peppers.length === 0) throw new ConfigError('API_KEY_PEPPERS: must hold at least one kid:base64 pair');
  return peppers;
}
