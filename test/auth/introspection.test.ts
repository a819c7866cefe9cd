// Opaque legacy session tokens checked at a real loopback RFC 7662 endpoint: answers, caching
// by digest, single flight, the negative cache, outages and our own credentials refused.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIntrospectionVerifier, isCompactJws, withOpaqueTokens, type IntrospectionOutcome } from '../../src/auth/introspection.js';
import type { TokenVerifier } from '../../src/auth/verifier.js';
import { rejection } from '../helpers/assert.js';
import { introspectionConfig, LEGACY_ISSUER, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';

let endpoint: TestIntrospectionEndpoint;
let clock = 1_800_000_000_000;
const now = () => clock;

beforeAll(async () => {
  endpoint = await startIntrospectionEndpoint();
});
afterAll(() => endpoint.close());
afterEach(() => endpoint.setMode('up'));

let serial = 0;
/** A fresh opaque token with a session behind it (or none when `answer` is null). */
function session(answer: Record<string, unknown> | null = { sub: 'user-1' }): string {
  serial += 1;
  const token = `legacy_${serial}_${Math.random().toString(36).slice(2)}`;
  if (answer !== null) endpoint.setSession(token, answer);
  return token;
}

function verifier(overrides: Record<string, unknown> = {}, options: { timeoutMs?: number; outcomes?: IntrospectionOutcome[]; secret?: string } = {}) {
  const config = { ...introspectionConfig(endpoint, overrides), ...(options.secret ? { clientSecret: options.secret } : {}) };
  return createIntrospectionVerifier({ config, timeoutMs: options.timeoutMs ?? 10_000, now, onCall: (o) => options.outcomes?.push(o) });
}

describe('token shape', () => {
  it('a compact JWS has two dots; anything else is opaque', () => {
    expect(isCompactJws('a.b.c')).toBe(true);
    expect(isCompactJws('a.b.c.d.e')).toBe(true);
    expect(isCompactJws('a.b')).toBe(false);
    expect(isCompactJws('opaque-session-token')).toBe(false);
  });

  it('dispatches opaque tokens to introspection and JWS-shaped ones to the JWT verifier', async () => {
    const seen: string[] = [];
    const fake = (name: string): TokenVerifier => ({
      cachedPrincipal: () => undefined,
      verify: async (token) => {
        seen.push(`${name}:${token}`);
        throw new Error('stop');
      },
    });
    const both = withOpaqueTokens(fake('jwt'), fake('opaque'));
    await both.verify('x.y.z').catch(() => undefined);
    await both.verify('xyz').catch(() => undefined);
    expect(seen).toEqual(['jwt:x.y.z', 'opaque:xyz']);
    expect(withOpaqueTokens(fake('jwt'), null).verify).toBeDefined();
  });
});

describe('introspection answers', () => {
  it('an active answer is a user of the configured issuer; the call is RFC 7662 with Basic credentials', async () => {
    const token = session({ sub: 'user-42', email: ' Ada@Example.com ', email_verified: true, name: 'Ada', exp: clock / 1000 + 3600 });
    const principal = await verifier().verify(token);
    expect(principal).toMatchObject({
      kind: 'user',
      claims: { provider: 'legacy', issuer: LEGACY_ISSUER, subject: 'user-42', email: 'ada@example.com', emailVerified: true, name: 'Ada', expiresAt: clock / 1000 + 3600 },
    });
    expect(new URLSearchParams(endpoint.lastBody!).get('token')).toBe(token);
    expect(endpoint.lastAuthorization).toBe(`Basic ${Buffer.from(`${endpoint.clientId}:${endpoint.clientSecret}`).toString('base64')}`);
  });

  it('reads the fields the configuration names, and applies emailTrust', async () => {
    const token = session({ sub: 'ignored', uid: 7, mail: 'bo@example.com', display: 'Bo' });
    const { claims } = await verifier({ subjectField: 'uid', emailField: 'mail', nameField: 'display', emailTrust: 'always' }).verify(token);
    expect(claims).toMatchObject({ subject: '7', email: 'bo@example.com', emailVerified: true, name: 'Bo' });
    const unverified = session({ sub: 'u', email: 'bo@example.com', email_verified: 'true' });
    expect((await verifier().verify(unverified)).claims).toMatchObject({ emailVerified: false });
  });

  it('inactive, expired, not yet valid or without a subject: 401', async () => {
    expect((await rejection(verifier().verify(session(null)))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(verifier().verify(session({ sub: 'u', exp: clock / 1000 - 1 })))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(verifier().verify(session({ sub: 'u', nbf: clock / 1000 + 60 })))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(verifier().verify(session({ email: 'no-sub@example.com' })))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(verifier().verify(session({ sub: '   ' })))).code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a NUL in the subject', { sub: 'u\u0000' }, 'invalid_sub'],
    ['a subject over 255 bytes', { sub: 'é'.repeat(128) }, 'invalid_sub'],
    ['a NUL in sid', { sub: 'u', sid: '\u0000' }, 'invalid_sid'],
    ['a sid over 255 bytes', { sub: 'u', sid: 'x'.repeat(256) }, 'invalid_sid'],
    ['a NUL in the email', { sub: 'u', email: 'a\u0000@example.com' }, 'invalid_email'],
    ['an email over 255 bytes', { sub: 'u', email: `${'é'.repeat(125)}@example.com` }, 'invalid_email'],
    ['a NUL in the name', { sub: 'u', name: 'A\u0000' }, 'invalid_name'],
  ])('%s: 401, remembered like any negative answer', async (_label, answer, reason) => {
    const outcomes: IntrospectionOutcome[] = [];
    const v = verifier({}, { outcomes });
    const token = session(answer);
    for (let i = 0; i < 2; i += 1) {
      const error = await rejection(v.verify(token));
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe(reason);
    }
    expect(outcomes).toEqual(['inactive']);
  });

  it('checks the configured email field, and accepts values of exactly 255 bytes', async () => {
    const v = verifier({ emailField: 'mail' });
    expect((await rejection(v.verify(session({ sub: 'u', mail: 'a\u0000@example.com' })))).reason).toBe('invalid_email');
    const sub = 'x'.repeat(255);
    expect((await v.verify(session({ sub, sid: 's'.repeat(255), email: 'a\u0000ignored' }))).claims.subject).toBe(sub);
  });
});

describe('caching', () => {
  it('an active answer serves for cacheSeconds without a call, synchronously too, then is checked again', async () => {
    const v = verifier({ cacheSeconds: 60 });
    const token = session();
    const before = endpoint.calls;
    expect(v.cachedPrincipal(token)).toBeUndefined();
    const first = await v.verify(token);
    expect(v.cachedPrincipal(token)).toBe(first);
    clock += 59_000;
    expect(await v.verify(token)).toBe(first);
    expect(endpoint.calls - before).toBe(1);
    clock += 2000;
    expect(v.cachedPrincipal(token)).toBeUndefined();
    endpoint.setSession(token, null); // the old backend ended the session
    expect((await rejection(v.verify(token))).code).toBe('UNAUTHENTICATED');
    expect(endpoint.calls - before).toBe(2);
  });

  it('never past the answer\'s exp', async () => {
    const v = verifier({ cacheSeconds: 600 });
    const token = session({ sub: 'u', exp: clock / 1000 + 10 });
    await v.verify(token);
    clock += 10_000;
    expect(v.cachedPrincipal(token)).toBeUndefined();
    endpoint.setSession(token, { sub: 'u', exp: clock / 1000 - 1 });
    expect((await rejection(v.verify(token))).code).toBe('UNAUTHENTICATED');
  });

  it('a negative answer is remembered for 5 s at most', async () => {
    const v = verifier();
    const token = session(null);
    const before = endpoint.calls;
    expect((await rejection(v.verify(token))).code).toBe('UNAUTHENTICATED');
    clock += 4900;
    expect((await rejection(v.verify(token))).code).toBe('UNAUTHENTICATED');
    expect(endpoint.calls - before).toBe(1);
    endpoint.setSession(token, { sub: 'now-active' });
    clock += 200;
    expect((await v.verify(token)).claims.subject).toBe('now-active');
    expect(endpoint.calls - before).toBe(2);
  });

  it('concurrent requests with one token share one call', async () => {
    const v = verifier();
    const token = session();
    const before = endpoint.calls;
    const results = await Promise.all(Array.from({ length: 20 }, () => v.verify(token)));
    expect(new Set(results).size).toBe(1);
    expect(endpoint.calls - before).toBe(1);
  });

  it('cacheSeconds 0 checks every time', async () => {
    const v = verifier({ cacheSeconds: 0 });
    const token = session();
    const before = endpoint.calls;
    await v.verify(token);
    await v.verify(token);
    expect(endpoint.calls - before).toBe(2);
  });
});

describe('outages', () => {
  it('5xx, non-JSON and a redirect (never followed): 503 with a retry hint', async () => {
    for (const mode of ['down', 'garbage', 'redirect'] as const) {
      endpoint.setMode(mode);
      const error = await rejection(verifier().verify(session()));
      expect(error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(endpoint.redirectedCalls).toBe(0);
  });

  it('a hanging endpoint answers 503 within the fetch timeout', async () => {
    endpoint.setMode('hang');
    const outcomes: IntrospectionOutcome[] = [];
    expect((await rejection(verifier({}, { timeoutMs: 300, outcomes }).verify(session()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    // The endpoint never answers: only the fetch deadline can have ended the wait.
    expect(outcomes).toEqual(['timeout']);
  });

  it('an unreachable endpoint: 503', async () => {
    const v = createIntrospectionVerifier({ config: { ...introspectionConfig(endpoint), introspectionUrl: 'http://127.0.0.1:1/introspect' }, timeoutMs: 10_000, now });
    expect((await rejection(v.verify(session()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('our client credentials refused: 503 (the token may be fine), reported as refused', async () => {
    const outcomes: IntrospectionOutcome[] = [];
    expect((await rejection(verifier({}, { secret: 'wrong', outcomes }).verify(session()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(outcomes).toEqual(['refused']);
  });

  it('a token whose active answer is within cacheSeconds keeps working while the endpoint is down; errors are not cached', async () => {
    const v = verifier({ cacheSeconds: 60 });
    const token = session();
    await v.verify(token);
    endpoint.setMode('down');
    clock += 30_000;
    expect((await v.verify(token)).claims.subject).toBe('user-1');
    clock += 31_000;
    expect((await rejection(v.verify(token))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    endpoint.setMode('up');
    expect((await v.verify(token)).claims.subject).toBe('user-1');
  });
});
