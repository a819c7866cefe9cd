// No cache outlives the reason a token was accepted: a verified token stops at its exp, when its
// signing key leaves the published JWKS (noticed by the scheduled refresh, tokens warm or not),
// when the issuer's keys have been unrefreshable past jwksMaxStaleSeconds (503, then recovery),
// when it gets older than maxTokenAgeSeconds; an iat far in the future is refused outright.
// Time is a test clock moving the key set's refresh timer too: nothing here waits on the wall.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteKeySetOptions } from '../../src/auth/keys.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import { rejection } from '../helpers/assert.js';
import { testClock } from '../helpers/clock.js';
import { issuerConfig, remoteKeySetFor, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const AUD = 'https://api.test';
let idp: TestIssuer;
const closers: (() => void)[] = [];

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  idp.setMode('up');
  await idp.rotate(); // every test starts from a fresh key
});
afterAll(async () => {
  await idp.close();
});

/** A verifier over a real remote key set; `clock` moves time (and the refresh timer) for both. */
function setup(keyOptions: Partial<RemoteKeySetOptions> = {}, issuer: Partial<IssuerConfig> = {}) {
  const clock = testClock();
  const fetches: string[] = [];
  const waiters: { outcome: string; resolve: () => void }[] = [];
  const config = issuerConfig(idp, issuer);
  const keys = remoteKeySetFor(idp, {
    issuerName: config.name,
    onFetch: (outcome) => {
      fetches.push(outcome);
      for (const waiter of waiters.splice(0)) {
        if (waiter.outcome === outcome) waiter.resolve();
        else waiters.push(waiter);
      }
    },
    ...keyOptions,
    clock,
  });
  closers.push(() => keys.close());
  const verifier = createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keys]]), now: clock.now });
  /** Resolves at the key set's next fetch with this outcome (an awaited event, not a sleep). */
  const nextFetch = (outcome: 'success' | 'error') => new Promise<void>((resolve) => waiters.push({ outcome, resolve }));
  return { clock, keys, verifier, fetches, nextFetch };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

describe('a cached token whose signing key leaves the published key set', () => {
  it('is refused after the next scheduled refresh (at refreshSeconds), though it was warm and no request asked', async () => {
    const { verifier, keys, clock, nextFetch } = setup({ refreshSeconds: 1 });
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    const principal = await verifier.verify(token);
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    const requestsBefore = idp.jwksRequests;
    await idp.rotate(); // the JWKS now publishes the new key only
    clock.advance(999);
    expect(idp.jwksRequests).toBe(requestsBefore); // not due yet: still warm
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    const refreshed = nextFetch('success');
    clock.advance(1); // refreshSeconds after the last fetch: the key set's own timer fetches
    await refreshed;
    expect(idp.jwksRequests).toBe(requestsBefore + 1);
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('key_withdrawn');
    // Tokens of the new key verify; the old one stays refused.
    await verifier.verify(await idp.sign({ sub: 'alice', aud: AUD }));
    expect((await rejection(verifier.verify(token))).code).toBe('UNAUTHENTICATED');
    expect(keys.holds('nothing')).toBe(false);
  });

  it('stays warm while its key is still published: same keys keep the generation, an added key only re-checks', async () => {
    const { verifier, keys, clock, nextFetch } = setup({ refreshSeconds: 1 });
    const token = await idp.sign({ sub: 'bob', aud: AUD });
    const principal = await verifier.verify(token);
    const generation = keys.generation;
    let refreshed = nextFetch('success');
    clock.advance(1_000); // the scheduled refresh: the same JWKS again
    await refreshed;
    expect(keys.generation).toBe(generation);
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    await idp.rotate({ keepOld: true }); // a new key joins, the old one stays
    refreshed = nextFetch('success');
    clock.advance(1_000);
    await refreshed;
    expect(keys.generation).toBe(generation + 1);
    expect(verifier.cachedPrincipal(token)).toBe(principal);
  });

  it('is refused when its kid is republished with other key material', async () => {
    const { verifier, keys, clock } = setup();
    const token = await idp.sign({ sub: 'carol', aud: AUD });
    await verifier.verify(token);
    const { kid } = idp;
    await idp.rotate();
    idp.setJwksDocument({ keys: [{ ...idp.publicJwk, kid }] }); // same kid, another key
    try {
      clock.advance(300_000); // the scheduled refresh fetches the kid's new material; the lookup joins it
      await rejection(verifier.verify(await idp.sign({ sub: 'x', aud: AUD }, { kid: 'not-published' })));
      expect(keys.generation).toBe(2);
      expect(verifier.cachedPrincipal(token)).toBeUndefined();
      expect((await rejection(verifier.verify(token))).reason).toBe('key_withdrawn');
    } finally {
      idp.setJwksDocument(null);
    }
  });
});

describe('a cached token while the JWKS cannot be refreshed', () => {
  it('keeps working within jwksMaxStaleSeconds, answers 503 with Retry-After beyond, and works again once keys come back', async () => {
    const { verifier, clock, nextFetch } = setup({ refreshSeconds: 300, maxStaleSeconds: 60, fetchTimeoutMs: 1000 });
    const token = await idp.sign({ sub: 'dave', aud: AUD, exp: seconds(clock.now()) + 7200 });
    const principal = await verifier.verify(token);
    idp.setMode('down');
    const failed = nextFetch('error');
    clock.advance(300_000); // the scheduled refresh fails
    await failed;
    clock.advance(60_000); // failing since: 60 s past the due refresh, still served
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    clock.advance(1_000); // exactly due refresh + its fetch timeout + maxStale: the last instant served
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    clock.advance(1); // past refresh + maxStale + the due refresh's fetch timeout
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await rejection(verifier.verify(token))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    idp.setMode('up');
    const back = nextFetch('success');
    clock.advance(5_000); // the failure backoff: retried with no request asking
    await back;
    expect(await verifier.verify(token)).toMatchObject({ kind: 'user', claims: { subject: 'dave' } });
    expect(verifier.cachedPrincipal(token)).toBeDefined();
  });

  it('refreshes go on during the outage, and bring the keys back one backoff after the endpoint answers', async () => {
    const { verifier, clock, fetches, nextFetch } = setup({ refreshSeconds: 1, maxStaleSeconds: 0, fetchTimeoutMs: 200 });
    const token = await idp.sign({ sub: 'erin', aud: AUD });
    await verifier.verify(token);
    idp.setMode('down');
    let failed = nextFetch('error');
    clock.advance(1_000); // the scheduled refresh
    await failed;
    failed = nextFetch('error');
    clock.advance(1_000); // retried after the backoff (min(5 s, refreshSeconds)) without any request asking
    await failed;
    expect(verifier.cachedPrincipal(token)).toBeUndefined(); // 2 s > 1 s + 0.2 s + 0 s
    expect((await rejection(verifier.verify(token))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    idp.setMode('up');
    const back = nextFetch('success');
    clock.advance(1_000); // one backoff: no request asked for it
    await back;
    expect(await verifier.verify(token)).toMatchObject({ kind: 'user', claims: { subject: 'erin' } });
    expect(fetches).toEqual(['success', 'error', 'error', 'success']);
  });
});

describe('token age', () => {
  it('refuses an iat more than 60 s in the future, and accepts a little skew', async () => {
    const { verifier, clock } = setup();
    const now = seconds(clock.now());
    const ahead = await rejection(verifier.verify(await idp.sign({ sub: 'f', aud: AUD, iat: now + 61, exp: now + 3600 })));
    expect(ahead.code).toBe('UNAUTHENTICATED');
    expect(ahead.reason).toBe('iat_in_future');
    await verifier.verify(await idp.sign({ sub: 'f', aud: AUD, iat: now + 30, exp: now + 3600 }));
  });

  it('maxTokenAgeSeconds: refuses older tokens, stops a cached one once it gets too old, and requires iat', async () => {
    const { verifier, clock } = setup({}, { maxTokenAgeSeconds: 60 });
    const now = seconds(clock.now());
    const old = await rejection(verifier.verify(await idp.sign({ sub: 'g', aud: AUD, iat: now - 61, exp: now + 3600 })));
    expect(old.reason).toBe('token_too_old');
    const missing = await rejection(verifier.verify(await idp.sign({ sub: 'g', aud: AUD, iat: undefined, exp: now + 3600 })));
    expect(missing.reason).toBe('missing_iat');

    const token = await idp.sign({ sub: 'g', aud: AUD, iat: now - 30, exp: now + 3600 });
    const principal = await verifier.verify(token);
    clock.advance((now + 29) * 1000 - clock.now());
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    clock.advance(1_000); // iat + 60 s
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    expect((await rejection(verifier.verify(token))).reason).toBe('token_too_old');
  });

  it('a user token must carry iat, maxTokenAgeSeconds or not (RFC 9068 §2.2); a service token need not', async () => {
    const { verifier } = setup();
    const missing = await rejection(verifier.verify(await idp.sign({ sub: 'h', aud: AUD, iat: undefined })));
    expect(missing.code).toBe('UNAUTHENTICATED');
    expect(missing.reason).toBe('missing_iat');
    const service = await verifier.verify(await idp.sign({ sub: 'svc-h', client_id: 'svc-h', aud: AUD, iat: undefined }));
    expect(service.kind).toBe('service');
  });

  it('a cached token stops at its exp exactly, with no tolerance', async () => {
    const { verifier, clock } = setup();
    const exp = seconds(clock.now()) + 10;
    const token = await idp.sign({ sub: 'i', aud: AUD, exp });
    await verifier.verify(token);
    clock.advance(exp * 1000 - 1 - clock.now());
    expect(verifier.cachedPrincipal(token)).toBeDefined();
    clock.advance(1);
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    expect((await rejection(verifier.verify(token))).reason).toBe('token_expired');
  });
});
