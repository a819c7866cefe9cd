// The development issuer: an RS256 key pair generated once into DATA_DIR, trusted as issuer
// `dev` only when no issuers are configured and NODE_ENV is not production. Tokens are
// minted by `npm run token`, never by an HTTP endpoint.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { parseIssuers, type IssuerConfig } from '../config/issuers.js';
import { normalizeEmail } from '../domain/email.js';
import { readOrCreateFile } from '../lib/files.js';

export const DEV_ISSUER_NAME = 'dev';
export const DEV_ISSUER_URL = 'https://dev.identity-subgraph.invalid/';
export const DEV_AUDIENCE = 'identity-subgraph-dev';
const KEY_FILE = 'dev-issuer-key.json';

export interface DevKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Reads the development key from DATA_DIR, generating it on first use. */
export async function loadOrCreateDevKey(dataDir: string): Promise<DevKey> {
  const text = await readOrCreateFile(join(dataDir, KEY_FILE), async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    const key: DevKey = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    };
    return JSON.stringify(key);
  });
  return JSON.parse(text) as DevKey;
}

/** The development issuer as a trusted issuer: the same defaults as any AUTH_ISSUERS entry, local keys. */
export function devIssuerConfig(): IssuerConfig {
  const [config] = parseIssuers(
    JSON.stringify([{ name: DEV_ISSUER_NAME, kind: 'oidc', issuer: DEV_ISSUER_URL, audience: DEV_AUDIENCE }]),
    'development issuer',
    {},
  );
  return { ...config!, jwksUri: null };
}

export interface DevTokenInput {
  email: string;
  name?: string | undefined;
  sub?: string | undefined;
  expiresInSeconds?: number | undefined;
}

/** Signs a development token; `sub` defaults to a stable value derived from the email. */
export async function signDevToken(key: DevKey, input: DevTokenInput): Promise<string> {
  const email = normalizeEmail(input.email) ?? '';
  const claims: Record<string, unknown> = { email, email_verified: true };
  if (input.name) claims['name'] = input.name;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(DEV_ISSUER_URL)
    .setAudience(DEV_AUDIENCE)
    .setSubject(input.sub ?? `dev|${email}`)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (input.expiresInSeconds ?? 3600))
    .sign(await importJWK(key.privateJwk, 'RS256'));
}
