import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUserinfoClient } from '../../src/auth/userinfo.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import { AppError } from '../../src/errors.js';
import { issuerConfig, startTestIssuer, type TestIssuer, remoteKeySetFor } from '../helpers/issuer.js';
import { rejection } from '../helpers/assert.js';
import { testClock } from '../helpers/clock.js';
import { FetchTimeoutError } from '../../src/auth/fetch.js';

const AUD = 'https://api.test';
let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterEach(() => {
  idp.setUserinfoMode('up');
});
afterAll(async () => {
  await idp.close();
});

function setup(overrides: Partial<IssuerConfig> = {}, ttlSeconds?: number) {
  const clock = testClock();
  const config = issuerConfig(idp, { userinfoUrl: idp.userinfoUrl, ...overrides });
  const keySet = remoteKeySetFor(idp, { issuerName: config.name, clock });
  const userinfo = createUserinfoClient({ timeoutMs: 1000, now: clock.now, ...(ttlSeconds === undefined ? {} : { ttlSeconds }) });
  const verifier = createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keySet]]), userinfo, now: clock.now });
  return { clock, verifier, userinfo, config };
}

let subjects = 0;
function newSubject(): string {
  subjects += 1;
  return `auth0|user-${subjects}`;
}


describe('userinfo fallback', () => {
  it('a token without email fetches the profile once; the next token for that identity uses the cache', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: ' Bob@Example.com ', email_verified: true, name: 'Bob' });
    const before = idp.userinfoRequests;
    const first = await verifier.verify(await idp.sign({ sub, aud: AUD }));
    expect(first.kind === 'user' && first.claims).toMatchObject({ email: 'bob@example.com', emailVerified: true, name: 'Bob' });
    const secondToken = await idp.sign({ sub, aud: AUD, jti: 'another-token' });
    const second = await verifier.verify(secondToken);
    expect(second.kind === 'user' && second.claims.email).toBe('bob@example.com');
    expect(idp.userinfoRequests - before).toBe(1);
    expect(idp.lastUserinfoAuthorization).toMatch(/^Bearer ey/);
  });

  it('a token that carries an email never calls userinfo', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'profile@example.com', email_verified: true });
    const before = idp.userinfoRequests;
    const principal = await verifier.verify(await idp.sign({ sub, aud: AUD, email: 'token@example.com' }));
    expect(principal.kind === 'user' && principal.claims.email).toBe('token@example.com');
    expect(idp.userinfoRequests).toBe(before);
  });

  it('a service token never calls userinfo', async () => {
    const { verifier } = setup();
    const before = idp.userinfoRequests;
    expect((await verifier.verify(await idp.sign({ sub: 'svc', client_id: 'svc', aud: AUD, gty: 'client-credentials' }))).kind).toBe('service');
    expect(idp.userinfoRequests).toBe(before);
  });

  it('concurrent requests for one identity share one userinfo fetch', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'c@example.com', email_verified: true });
    const tokens = await Promise.all(Array.from({ length: 5 }, (_, i) => idp.sign({ sub, aud: AUD, jti: `t${i}` })));
    const before = idp.userinfoRequests;
    await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(idp.userinfoRequests - before).toBe(1);
  });

  it('the profile email obeys emailTrust: email_verified false is not verified under claim', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'u@example.com', email_verified: false });
    const principal = await verifier.verify(await idp.sign({ sub, aud: AUD }));
    expect(principal.kind === 'user' && principal.claims.emailVerified).toBe(false);
  });

  it('the profile email obeys emailTrust never', async () => {
    const { verifier } = setup({ emailTrust: 'never' });
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'u@example.com', email_verified: true });
    const principal = await verifier.verify(await idp.sign({ sub, aud: AUD }));
    expect(principal.kind === 'user' && principal.claims.emailVerified).toBe(false);
  });

  it('the profile is fetched again after its TTL', async () => {
    const { clock, verifier } = setup({}, 600);
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'ttl@example.com', email_verified: true });
    const before = idp.userinfoRequests;
    await verifier.verify(await idp.sign({ sub, aud: AUD, jti: 'a' }));
    clock.advance(601_000);
    await verifier.verify(await idp.sign({ sub, aud: AUD, jti: 'b', exp: Math.floor(clock.now() / 1000) + 3600 }));
    expect(idp.userinfoRequests - before).toBe(2);
  });

  it('userinfo down: AUTH_PROVIDER_UNAVAILABLE, not cached', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'down@example.com', email_verified: true });
    idp.setUserinfoMode('down');
    const token = await idp.sign({ sub, aud: AUD });
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    idp.setUserinfoMode('up');
    const principal = await verifier.verify(token);
    expect(principal.kind === 'user' && principal.claims.email).toBe('down@example.com');
  });

  it('no profile for the token (404): the identity proceeds without an email, remembered briefly', async () => {
    const { verifier, clock } = setup();
    const sub = newSubject(); // no profile registered: the endpoint answers 404
    const before = idp.userinfoRequests;
    const first = await verifier.verify(await idp.sign({ sub, aud: AUD }));
    expect(first.kind === 'user' && first.claims).toMatchObject({ email: null, emailVerified: false });
    await verifier.verify(await idp.sign({ sub, aud: AUD, jti: 'second' }));
    expect(idp.userinfoRequests - before).toBe(1);
    // Once the profile exists, a later token picks it up after the short negative TTL.
    idp.setUserinfo(sub, { email: 'late@example.com', email_verified: true });
    clock.advance(61_000);
    const later = await verifier.verify(await idp.sign({ sub, aud: AUD, jti: 'third' }));
    expect(later.kind === 'user' && later.claims.email).toBe('late@example.com');
  });

  it('a redirecting userinfo endpoint is never followed: AUTH_PROVIDER_UNAVAILABLE', async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'moved@example.com', email_verified: true });
    idp.setUserinfoMode('redirect');
    const moved = idp.movedRequests;
    expect((await rejection(verifier.verify(await idp.sign({ sub, aud: AUD })))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(idp.movedRequests).toBe(moved);
  });

  it("a fetched email is verified by the profile's own flag only, never by the token's email_verified", async () => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { email: 'profile@example.com', email_verified: false });
    const principal = await verifier.verify(await idp.sign({ sub, aud: AUD, email_verified: true }));
    expect(principal.kind === 'user' && principal.claims).toMatchObject({ email: 'profile@example.com', emailVerified: false });
  });

  it('userinfo hanging: AUTH_PROVIDER_UNAVAILABLE within the timeout', async () => {
    const { config } = setup();
    const client = createUserinfoClient({ timeoutMs: 200 });
    idp.setUserinfoMode('hang');
    const error = await rejection(client.fetchProfile(config, newSubject(), 'token'));
    expect(error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    // The endpoint never answers: the 503 is the fetch deadline's (an event, not a stopwatch).
    expect(error.cause).toBeInstanceOf(FetchTimeoutError);
  });

  it('workos: asks the user endpoint by subject with the API key, reads first/last name', async () => {
    const { verifier } = setup({
      kind: 'workos',
      clientId: 'client_123',
      audience: null,
      userinfoUrl: idp.userinfoUserUrl,
      userinfoApiKey: 'sk_test_123',
      emailTrust: 'always',
    });
    const sub = 'user_01H/with slash';
    idp.setUserinfo(sub, { email: 'w@example.com', email_verified: false, first_name: 'Grace', last_name: 'Hopper' });
    const principal = await verifier.verify(await idp.sign({ sub, client_id: 'client_123' }));
    expect(principal.kind === 'user' && principal.claims).toMatchObject({ email: 'w@example.com', emailVerified: true, name: 'Grace Hopper' });
    expect(idp.lastUserinfoAuthorization).toBe('Bearer sk_test_123');
  });
});

describe('userinfo profile subject (OpenID Connect Core §5.3.2)', () => {
  const workos = () => ({
    kind: 'workos' as const,
    clientId: 'client_123',
    audience: null,
    userinfoUrl: idp.userinfoUserUrl,
    userinfoApiKey: 'sk_test_123',
    emailTrust: 'always' as const,
  });

  it.each([
    ['another sub', (sub: string) => ({ sub: `${sub}-other` })],
    ['no sub', () => ({ sub: undefined })],
    ['a numeric sub', () => ({ sub: 42 })],
  ])('/userinfo naming %s: 401 userinfo_subject_mismatch, fetched again next time (never kept)', async (_label, naming) => {
    const { verifier } = setup();
    const sub = newSubject();
    idp.setUserinfo(sub, { ...naming(sub), email: 'victim@example.com', email_verified: true });
    const before = idp.userinfoRequests;
    for (const jti of ['a', 'b']) {
      const error = await rejection(verifier.verify(await idp.sign({ sub, aud: AUD, jti })));
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe('userinfo_subject_mismatch');
    }
    expect(idp.userinfoRequests - before).toBe(2);
    idp.setUserinfo(sub, { email: 'own@example.com', email_verified: true });
    const principal = await verifier.verify(await idp.sign({ sub, aud: AUD, jti: 'c' }));
    expect(principal.kind === 'user' && principal.claims.email).toBe('own@example.com');
  });

  it('workos: the user object must carry the subject as its id (a sub alone does not count)', async () => {
    const { verifier } = setup(workos());
    const sub = 'user_01MISMATCH';
    idp.setUserinfo(sub, { id: 'user_01OTHER', email: 'victim@example.com' });
    const error = await rejection(verifier.verify(await idp.sign({ sub, client_id: 'client_123' })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('userinfo_subject_mismatch');
    idp.setUserinfo(sub, { id: undefined, sub, email: 'victim@example.com' });
    expect((await rejection(verifier.verify(await idp.sign({ sub, client_id: 'client_123', jti: 'b' })))).reason).toBe('userinfo_subject_mismatch');
    idp.setUserinfo(sub, { email: 'own@example.com' }); // the test IdP names it by id
    const principal = await verifier.verify(await idp.sign({ sub, client_id: 'client_123', jti: 'c' }));
    expect(principal.kind === 'user' && principal.claims.email).toBe('own@example.com');
  });
});
