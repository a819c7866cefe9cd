// Shared bits of the HTTP batteries (identity, credentials, entities, the store failing): attack
// tokens crafted by hand, raw HTTP requests, SQL counts, and the scan that proves an error
// response reveals no internals.
import { randomUUID } from 'node:crypto';
import { exportSPKI, importJWK, SignJWT, type JWK } from 'jose';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/queryable.js';
import { AUDIENCE, type TestIssuer } from './issuer.js';
import { rsaKeyPair } from './keyRing.js';

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export { AUDIENCE };

export function unique(prefix = 'u'): string {
  return `${prefix}-${randomUUID()}`;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function baseClaims(issuer: TestIssuer, claims: Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer.url, aud: AUDIENCE, iat: now, exp: now + 3600, ...claims };
}

/** An unsecured JWT (`alg: none`, empty signature), RFC 7519 §6. */
export function unsecuredToken(issuer: TestIssuer, claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(baseClaims(issuer, claims))}.`;
}

/** RS256 → HS256 confusion: HMAC-signed with the issuer's PUBLIC key (PEM, then JWK JSON) as the secret. */
export async function confusedTokens(issuer: TestIssuer, claims: Record<string, unknown>): Promise<string[]> {
  const publicKey = await importJWK(issuer.publicJwk, issuer.alg);
  const pem = await exportSPKI(publicKey as Parameters<typeof exportSPKI>[0]);
  const secrets = [pem, `${pem.trim()}`, JSON.stringify(issuer.publicJwk), String(issuer.publicJwk.n ?? '')];
  return Promise.all(
    secrets.map((secret) =>
      new SignJWT(baseClaims(issuer, claims))
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: issuer.kid })
        .sign(new TextEncoder().encode(secret)),
    ),
  );
}

/** Signed by an attacker's key that the token itself carries in its `jwk` header (CVE-2018-0114). */
export async function embeddedKeyToken(issuer: TestIssuer, claims: Record<string, unknown>, member: 'jwk' | 'jku' | 'x5u' = 'jwk'): Promise<string> {
  const { privateKey, publicJwk } = await rsaKeyPair('RS256');
  const jwk: JWK = { ...publicJwk, kid: issuer.kid };
  const header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT', kid: issuer.kid };
  if (member === 'jwk') header['jwk'] = jwk;
  else header[member] = `${issuer.url}attacker-jwks.json`;
  return new SignJWT(baseClaims(issuer, claims)).setProtectedHeader(header as { alg: string }).sign(privateKey);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A request with exactly the headers given (no defaults), for credential edge cases. */
export async function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; path?: string } = {},
): Promise<RawResponse> {
  const response = await fetch(`${url}${init.path ?? '/graphql'}`, {
    method: init.method ?? 'POST',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, text, body };
}

// Words that only appear when a library's or driver's text, a stack or an address escapes.
const LEAK_PATTERNS: RegExp[] = [
  /jose/i,
  /\bJW[STEK]\w*Error/,
  /ERR_J(WT|WS|WKS|OSE)/,
  /signature verification/i,
  /"exp" claim/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/,
  /connect(ion)? (refused|terminated|timeout)/i,
  /\bpg\b|pglite|postgres|sqlstate|syntax error at or near|relation "|duplicate key|violates/i,
  /\bselect\b.*\bfrom\b|\binsert into\b/i,
  /127\.0\.0\.1|localhost|::1/,
  /\n\s+at\s|\bat .*\.(ts|js):\d+/,
  /stacktrace/i,
  /Did you mean/i,
];

/** Asserts that a response body carries none of the internals the spec forbids. */
export function expectNoLeak(text: string, secrets: string[] = []): void {
  for (const pattern of LEAK_PATTERNS) expect(text, `response leaks ${pattern}`).not.toMatch(pattern);
  for (const secret of secrets) {
    if (secret.length >= 4) expect(text.includes(secret), `response leaks "${secret.slice(0, 24)}…"`).toBe(false);
  }
}

export async function countUsers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: string | number }>('select count(*) as n from users');
  return Number(rows[0]!.n);
}

export async function countIdentities(db: Queryable, issuer: string, subject: string): Promise<number> {
  const rows = await db.query<{ n: string | number }>('select count(*) as n from identities where issuer = $1 and subject = $2', [issuer, subject]);
  return Number(rows[0]!.n);
}

export async function userIdOf(db: Queryable, issuer: string, subject: string): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>('select user_id from identities where issuer = $1 and subject = $2', [issuer, subject]);
  return rows[0]?.user_id ?? null;
}

export async function usersWithEmail(db: Queryable, email: string): Promise<{ id: string; email_verified: boolean }[]> {
  return db.query<{ id: string; email_verified: boolean }>('select id, email_verified from users where email = $1 order by created_at', [email]);
}
