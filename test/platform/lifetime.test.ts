// A platform token never outlives the login it came from (exp capped at the subject's, expires_in
// to match), and carries the sign-in's auth_time and the client it is issued to (RFC 9068 §2.2):
// for JWT subjects and for opaque legacy sessions whose expiry is only known from introspection.
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { introspectionConfig, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';

const TTL = 900;
const bed = useTestBed();
let legacy: TestIntrospectionEndpoint;
let api: TestApp;

beforeAll(async () => {
  legacy = await startIntrospectionEndpoint();
  api = await bed.start({ config: { platform: platformConfig({ tokenTtlSeconds: TTL }), introspection: introspectionConfig(legacy) } });
});
afterAll(async () => {
  await legacy?.close();
});

const now = () => Math.floor(Date.now() / 1000);

function subject(claims: Record<string, unknown> = {}, options: { expiresIn?: number } = {}) {
  return bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true, ...claims }, options);
}

async function exchange(token: string, extra: Record<string, string> = {}) {
  const answer = await postToken(api.url, exchangeForm(token, extra));
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return { answer: answer.body, claims: decodeJwt(answer.body.access_token as string) };
}

function session(answer: Record<string, unknown>): string {
  const token = `sess_${randomUUID().replaceAll('-', '')}`;
  legacy.setSession(token, { sub: `legacy-${randomUUID()}`, iat: now() - 60, ...answer });
  return token;
}

describe('a platform token’s lifetime', () => {
  it('ends at the subject token’s exp when that comes before iat + TTL, and expires_in says so', async () => {
    const token = await subject({}, { expiresIn: 120 });
    const subjectExp = decodeJwt(token).exp!;
    const { answer, claims } = await exchange(token);
    expect(claims.exp).toBe(subjectExp);
    expect(answer.expires_in).toBe(subjectExp - claims.iat!);
    expect(answer.expires_in).toBeLessThan(TTL);
  });

  it('lasts the TTL when the subject outlives it', async () => {
    const { answer, claims } = await exchange(await subject({}, { expiresIn: 3 * TTL }));
    expect(claims.exp! - claims.iat!).toBe(TTL);
    expect(answer.expires_in).toBe(TTL);
  });

  it('ends at an opaque legacy session’s introspected exp, and lasts the TTL when the answer names none', async () => {
    const exp = now() + 200;
    const capped = await exchange(session({ exp }));
    expect(capped.claims.exp).toBe(exp);
    expect(capped.answer.expires_in).toBe(exp - capped.claims.iat!);

    // No `exp` in the answer: the session states no end (its cached answer is no login expiry).
    const open = await exchange(session({}));
    expect(open.claims.exp! - open.claims.iat!).toBe(TTL);
    expect(open.answer.expires_in).toBe(TTL);
  });
});

describe('auth_time', () => {
  it('is the subject’s auth_time, else its iat', async () => {
    const authTime = now() - 3000;
    expect((await exchange(await subject({ auth_time: authTime }))).claims.auth_time).toBe(authTime);
    const plain = await subject();
    expect((await exchange(plain)).claims.auth_time).toBe(decodeJwt(plain).iat);
    const iat = now() - 90;
    expect((await exchange(session({ iat }))).claims.auth_time).toBe(iat);
  });
});

describe('client_id', () => {
  it('is the request’s client_id, else the subject’s azp, else its client_id, else the issuer entry’s name', async () => {
    const token = await subject({ azp: 'spa-azp', client_id: 'spa-client-id' });
    expect((await exchange(token, { client_id: 'frontend' })).claims.client_id).toBe('frontend');
    expect((await exchange(token)).claims.client_id).toBe('spa-azp');
    expect((await exchange(await subject({ client_id: 'spa-client-id' }))).claims.client_id).toBe('spa-client-id');
    expect((await exchange(await subject())).claims.client_id).toBe('test');
    // An opaque session: RFC 7662's client_id, else the introspection issuer's name.
    expect((await exchange(session({ client_id: 'legacy-web' }))).claims.client_id).toBe('legacy-web');
    expect((await exchange(session({}))).claims.client_id).toBe('legacy');
  });

  it('ignores a subject’s unusable client claim, and refuses an unusable client_id field', async () => {
    expect((await exchange(await subject({ azp: 'bad\u0000client' }))).claims.client_id).toBe('test');
    const token = await subject();
    for (const clientId of ['a\u0000b', 'line\nbreak', 'x'.repeat(256)]) {
      const answer = await postToken(api.url, exchangeForm(token, { client_id: clientId }));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });
});
