// Shared by the platform-token suites: a platform configuration, the token endpoint called as a
// frontend would (form-encoded), and a log capture that keeps every line.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { PlatformConfig } from '../../src/config/platform.js';
import { createLogger } from '../../src/log.js';

export const PLATFORM_ISSUER = 'https://identity.platform.test';
export const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

export function platformConfig(overrides: Partial<PlatformConfig> = {}): PlatformConfig {
  return {
    issuer: PLATFORM_ISSUER,
    audience: PLATFORM_ISSUER,
    tokenTtlSeconds: 900,
    alg: 'ES256',
    rotationDays: 30,
    encryptionKey: randomBytes(32),
    ...overrides,
  };
}

export interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

/** POST /oauth/token with `form` (pairs, so a test can repeat a field). */
export async function postToken(baseUrl: string, form: Record<string, string> | [string, string][], contentType = 'application/x-www-form-urlencoded'): Promise<TokenAnswer> {
  const response = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

export function exchangeForm(subjectToken: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: EXCHANGE, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, ...extra };
}

/** A logger writing every line into `lines` (JSON strings). */
export function capturingLogger(lines: string[]) {
  return createLogger(
    { logLevel: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
}
