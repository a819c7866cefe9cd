// Logout token checks at their exact limits, on an injected clock (lifecycle.md): `iat` at most
// 60 s ahead and 300 s old; `sid`, `sub` and `jti` not empty, without NUL, at most 255 bytes.
// The HTTP answers and the database side are in test/lifecycle/backchannel-logout.test.ts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeySet } from '../../src/auth/keys.js';
import { createLogoutTokenVerifier } from '../../src/auth/logoutToken.js';
import { rejection } from '../helpers/assert.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { BACKCHANNEL_EVENT } from '../helpers/lifecycle.js';

let idp: TestIssuer;
beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(() => idp.close());

const NOW = 1_900_000_000; // s

function verifier(nowMs = NOW * 1000) {
  const config = issuerConfig(idp);
  return createLogoutTokenVerifier({ issuers: [config], keySources: new Map([[config.name, createLocalKeySet({ keys: [idp.publicJwk] })]]), now: () => nowMs });
}

function token(claims: Record<string, unknown>) {
  return idp.sign(
    { aud: AUDIENCE, jti: randomUUID(), sid: 'session-1', events: { [BACKCHANNEL_EVENT]: {} }, iat: NOW, exp: NOW + 120, ...claims },
    { header: { typ: 'logout+jwt' } },
  );
}

describe('logout token iat window', () => {
  it('accepts an iat exactly 300 s old and exactly 60 s ahead', async () => {
    expect((await verifier().verify(await token({ iat: NOW - 300 }))).issuedAt).toBe(NOW - 300);
    expect((await verifier().verify(await token({ iat: NOW + 60 }))).issuedAt).toBe(NOW + 60);
  });

  it.each([
    ['301 s old', NOW - 301, 'iat_too_old'],
    ['from 2001', 1_000_000_000, 'iat_too_old'],
    ['61 s ahead', NOW + 61, 'iat_in_future'],
  ])('refuses an iat %s: 400 invalid_request', async (_label, iat, reason) => {
    const error = await rejection(verifier().verify(await token({ iat })));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.reason).toBe(reason);
  });

  it('counts the age in milliseconds: 300.001 s is too old', async () => {
    const error = await rejection(verifier((NOW + 300) * 1000 + 1).verify(await token({ iat: NOW, exp: NOW + 600 })));
    expect(error.reason).toBe('iat_too_old');
  });
});

describe('logout token identifiers', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    ['an empty sid', { sid: '' }, 'invalid_sub_or_sid'],
    ['a NUL in sid', { sid: 'a\u0000b' }, 'invalid_sub_or_sid'],
    ['a sid of 256 bytes', { sid: 'é'.repeat(128) }, 'invalid_sub_or_sid'],
    ['a NUL in sub', { sid: undefined, sub: 'user\u0000' }, 'invalid_sub_or_sid'],
    ['a sub of 256 bytes', { sub: 'x'.repeat(256) }, 'invalid_sub_or_sid'],
    ['an empty jti', { jti: '' }, 'invalid_jti'],
    ['a NUL in jti', { jti: 'j\u0000' }, 'invalid_jti'],
    ['a jti of 256 bytes', { jti: 'x'.repeat(256) }, 'invalid_jti'],
    ['a numeric jti', { jti: 7 }, 'invalid_jti'],
  ];
  it.each(refused)('refuses %s: 400 invalid_request', async (_label, claims, reason) => {
    const error = await rejection(verifier().verify(await token(claims)));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.reason).toBe(reason);
  });

  it('accepts identifiers of exactly 255 bytes', async () => {
    const sid = `${'é'.repeat(127)}x`;
    const logout = await verifier().verify(await token({ sid, sub: 's'.repeat(255), jti: 'j'.repeat(255) }));
    expect(logout).toMatchObject({ sessionId: sid, subject: 's'.repeat(255), jti: 'j'.repeat(255) });
  });
});
