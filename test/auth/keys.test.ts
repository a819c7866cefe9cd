import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeySet, type RemoteKeySetOptions } from '../../src/auth/keys.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import { AppError } from '../../src/errors.js';
import { issuerConfig, startTestIssuer, type TestIssuer, remoteKeySetFor } from '../helpers/issuer.js';
import { rejection } from '../helpers/assert.js';
import { testClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';

const AUD = 'https://api.test';
let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterEach(() => {
  idp.setMode('up');
});
afterAll(async () => {
  await idp.close();
});

/** A verifier over a fresh remote key set, with a clock (and the refresh timer) the test moves. */
function setup(options: Partial<RemoteKeySetOptions> = {}) {
  const clock = testClock();
  const outcomes: string[] = [];
  const config = issuerConfig(idp);
  const keySet = remoteKeySetFor(idp, {
    issuerName: config.name,
    maxStaleSeconds: 3600,
    clock,
    onFetch: (outcome) => outcomes.push(outcome),
    ...options,
  });
  const verifier = createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keySet]]), now: clock.now });
  const token = (claims: Record<string, unknown> = {}, kid?: string) =>
    idp.sign({ sub: `user-${Math.random()}`, aud: AUD, ...claims }, kid === undefined ? {} : { kid });
  return { clock, keySet, verifier, token, outcomes };
}


/** Resolves once every fetch started has reported its outcome (a background refresh landed). */
async function settle(keySet: { fetchCount: number }, outcomes: string[]): Promise<void> {
  await eventually(() => outcomes.length >= keySet.fetchCount);
}

describe('remote key set', () => {
  it('fetches lazily: nothing before the first token', () => {
    const { keySet } = setup();
    expect(keySet.fetchCount).toBe(0);
  });

  it('a cold burst of 20 concurrent verifies makes exactly one JWKS fetch', async () => {
    const { keySet, verifier, token } = setup();
    const before = idp.jwksRequests;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => token()));
    const results = await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(results).toHaveLength(20);
    expect(keySet.fetchCount).toBe(1);
    expect(idp.jwksRequests - before).toBe(1);
  });

  it('a rotated key is picked up by one refetch', async () => {
    const { keySet, verifier, token } = setup();
    await verifier.verify(await token());
    const oldKidToken = await token(); // signed before rotation, never verified
    await idp.rotate();
    await verifier.verify(await token()); // new kid → one refetch
    expect(keySet.fetchCount).toBe(2);
    // The old key is gone from the JWKS; within the cooldown no further fetch is made.
    expect((await rejection(verifier.verify(oldKidToken))).reason).toBe('unknown_kid');
    expect(keySet.fetchCount).toBe(2);
  });

  it('rotation with the old key kept: both kids verify', async () => {
    const { verifier, token } = setup();
    const before = await token();
    await idp.rotate({ keepOld: true });
    await verifier.verify(before);
    await verifier.verify(await token());
  });

  it('an unknown kid triggers one refetch, then 401 unknown_kid', async () => {
    const { keySet, verifier, token } = setup();
    await verifier.verify(await token());
    const error = await rejection(verifier.verify(await token({}, 'kid-nobody-published')));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('unknown_kid');
    expect(keySet.fetchCount).toBe(2);
  });

  it('a flood of 50 unknown kids makes at most one extra fetch per cooldown', async () => {
    const { clock, keySet, verifier, token } = setup({ unknownKidCooldownSeconds: 30 });
    await verifier.verify(await token());
    const before = idp.jwksRequests;
    const flood = await Promise.all(Array.from({ length: 50 }, (_, i) => token({}, `random-${i}`)));
    const concurrent = await Promise.allSettled(flood.slice(0, 25).map((t) => verifier.verify(t)));
    for (const t of flood.slice(25)) await rejection(verifier.verify(t));
    expect(concurrent.every((r) => r.status === 'rejected')).toBe(true);
    expect(idp.jwksRequests - before).toBe(1);
    expect(keySet.fetchCount).toBe(2);
    // After the cooldown, a new unknown kid may refetch once more.
    clock.advance(31_000);
    await rejection(verifier.verify(await token({}, 'random-after-cooldown')));
    expect(keySet.fetchCount).toBe(3);
  });

  it('JWKS down with keys cached: tokens still verify, even after the refresh interval', async () => {
    const { clock, keySet, verifier, token, outcomes } = setup();
    await verifier.verify(await token());
    idp.setMode('down');
    clock.advance(300_000); // refreshSeconds: the scheduled refresh is attempted and fails
    await verifier.verify(await token());
    await settle(keySet, outcomes);
    expect(keySet.fetchCount).toBe(2);
    expect(outcomes).toEqual(['success', 'error']);
    clock.advance(1_800_000); // well into the stale window
    await verifier.verify(await token());
  });

  it('a failed refresh is retried after a backoff, and a success replaces the keys', async () => {
    const { clock, keySet, verifier, token, outcomes } = setup();
    await verifier.verify(await token());
    idp.setMode('down');
    clock.advance(300_000); // the scheduled refresh
    await verifier.verify(await token());
    await settle(keySet, outcomes);
    await verifier.verify(await token()); // inside the backoff: no new attempt
    expect(keySet.fetchCount).toBe(2);
    idp.setMode('up');
    clock.advance(5_000); // the backoff: retried without any request asking
    await verifier.verify(await token());
    await settle(keySet, outcomes);
    expect(outcomes).toEqual(['success', 'error', 'success']);
  });

  it('JWKS down with no keys: AUTH_PROVIDER_UNAVAILABLE with Retry-After, then recovers', async () => {
    const { clock, keySet, verifier, token } = setup();
    idp.setMode('down');
    const error = await rejection(verifier.verify(await token()));
    expect(error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.cause).toBeDefined();
    // Within the backoff the down IdP is not asked again.
    expect((await rejection(verifier.verify(await token()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(keySet.fetchCount).toBe(1);
    idp.setMode('up');
    clock.advance(5_000); // the backoff's retry
    await verifier.verify(await token());
    expect(keySet.fetchCount).toBe(2);
  });

  it('keys kept past refresh + maxStale without a successful refresh are dropped: 503', async () => {
    const { clock, verifier, token } = setup({ refreshSeconds: 300, maxStaleSeconds: 600 });
    await verifier.verify(await token());
    idp.setMode('down');
    clock.advance(899_000); // still inside the stale-if-error window
    await verifier.verify(await token());
    clock.advance(3_000); // 902 s old: past refresh + maxStale + the due refresh's fetch timeout (1 s)
    expect((await rejection(verifier.verify(await token()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('a hanging JWKS endpoint answers 503 at fetchTimeoutMs, not before', async () => {
    const { clock, verifier, token, outcomes } = setup({ fetchTimeoutMs: 300 });
    idp.setMode('hang');
    const t = await token();
    const asked = idp.jwksRequests;
    let settled = false;
    const verifying = rejection(verifier.verify(t)).finally(() => (settled = true));
    await eventually(() => idp.jwksRequests > asked); // the request is at the endpoint, unanswered
    clock.advance(299);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(1); // the fetch deadline, on the key set's clock
    expect((await verifying).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(outcomes).toEqual(['timeout']);
  });

  it('a redirecting JWKS endpoint is never followed: a failed fetch, 503', async () => {
    const { verifier, token, outcomes } = setup();
    idp.setMode('redirect');
    const moved = idp.movedRequests;
    expect((await rejection(verifier.verify(await token()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(outcomes).toEqual(['error']);
    expect(idp.movedRequests).toBe(moved);
  });

  it('a garbage JWKS (200, not JSON) counts as a failed fetch', async () => {
    const { verifier, token, outcomes } = setup();
    idp.setMode('garbage');
    expect((await rejection(verifier.verify(await token()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(outcomes).toEqual(['error']);
  });

  it('a garbage refresh keeps the last good keys', async () => {
    const { clock, keySet, verifier, token, outcomes } = setup();
    await verifier.verify(await token());
    idp.setMode('garbage');
    clock.advance(300_000); // the scheduled refresh
    await verifier.verify(await token());
    await settle(keySet, outcomes);
    await verifier.verify(await token());
    expect(outcomes).toEqual(['success', 'error']);
  });

  it.each([
    ['no keys array', { nokeys: true }],
    ['a JSON array', []],
    ['an empty keys array', { keys: [] }],
    ['only a symmetric (oct) key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'sym' }] }],
    ['only a private key', { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA', kid: 'priv' }] }],
  ])('a JWKS with %s counts as a failed fetch', async (_label, document) => {
    const { verifier, token, outcomes } = setup();
    idp.setJwksDocument(document);
    try {
      expect((await rejection(verifier.verify(await token()))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
      expect(outcomes).toEqual(['error']);
    } finally {
      idp.setJwksDocument(null);
    }
  });

  it('a JWKS mixing symmetric and asymmetric keys still serves the asymmetric ones', async () => {
    const { verifier, token } = setup();
    idp.setJwksDocument({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: idp.kid, alg: 'RS256' }, idp.publicJwk] });
    try {
      await verifier.verify(await token());
    } finally {
      idp.setJwksDocument(null);
    }
  });
});

describe('local key set', () => {
  it('serves a published key and refuses an unknown kid', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'dev', alg: 'ES256' };
    const keys = createLocalKeySet({ keys: [jwk] });
    await expect(keys.getKey({ alg: 'ES256', kid: 'dev' })).resolves.toBeDefined();
    const error = await rejection(keys.getKey({ alg: 'ES256', kid: 'other' }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('unknown_kid');
  });

  it('ignores symmetric (oct) keys in a JWKS', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'dev', alg: 'ES256' };
    const keys = createLocalKeySet({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'sym', alg: 'HS256' }, jwk] });
    expect((await rejection(keys.getKey({ alg: 'HS256', kid: 'sym' }))).code).toBe('UNAUTHENTICATED');
    expect((await rejection(keys.getKey({ alg: 'ES256', kid: 'sym' }))).reason).toBe('unknown_kid');
  });
});
