// PLATFORM_*: the service's own token issuer (platform-tokens.md), off unless PLATFORM_ISSUER is set.
import type { Env } from './env.js';
import { ConfigError } from './errors.js';
import type { IssuerConfig } from './issuers.js';

export const PLATFORM_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type PlatformAlgorithm = (typeof PLATFORM_ALGORITHMS)[number];

/** The service's own token issuer (platform-tokens.md); null when PLATFORM_ISSUER is unset. */
export interface PlatformConfig {
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  alg: PlatformAlgorithm;
  rotationDays: number;
  /** 32 bytes (AES-256-GCM); null in development: generated into DATA_DIR. Never logged. */
  encryptionKey: Buffer | null;
}

/** 32 bytes in base64 (or base64url), or null when the text is anything else. */
export function decodeEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : null;
}

export function parsePlatform(e: Env, production: boolean, issuers: IssuerConfig[]): PlatformConfig | null {
  if (e.PLATFORM_ISSUER === undefined) return null;
  // Tokens name this URL as their issuer, and verifiers fetch its JWKS: in production only https.
  if (production && !e.PLATFORM_ISSUER.startsWith('https://')) throw new ConfigError('PLATFORM_ISSUER: must be an https URL when NODE_ENV=production');
  if (issuers.some((i) => i.issuer === e.PLATFORM_ISSUER)) throw new ConfigError('PLATFORM_ISSUER: is also the issuer of an AUTH_ISSUERS entry');
  let encryptionKey: Buffer | null = null;
  if (e.PLATFORM_KEY_ENCRYPTION_KEY !== undefined) {
    // The value is never echoed: it is a secret.
    encryptionKey = decodeEncryptionKey(e.PLATFORM_KEY_ENCRYPTION_KEY);
    if (encryptionKey === null) throw new ConfigError('PLATFORM_KEY_ENCRYPTION_KEY: must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)');
  } else if (production) {
    throw new ConfigError('PLATFORM_KEY_ENCRYPTION_KEY: required with PLATFORM_ISSUER when NODE_ENV=production (32 bytes in base64)');
  }
  return {
    issuer: e.PLATFORM_ISSUER,
    audience: e.PLATFORM_AUDIENCE ?? e.PLATFORM_ISSUER,
    tokenTtlSeconds: e.PLATFORM_TOKEN_TTL_SECONDS,
    alg: e.PLATFORM_SIGNING_ALG,
    rotationDays: e.PLATFORM_KEY_ROTATION_DAYS,
    encryptionKey,
  };
}
