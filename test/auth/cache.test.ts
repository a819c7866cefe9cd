import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeySource } from '../../src/auth/keys.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import { AppError } from '../../src/errors.js';
import { issuerConfig, startTestIssuer, type TestIssuer, remoteKeySetFor } from '../helpers/issuer.js';
import { rejection } from '../helpers/assert.js';
import { testClock } from '../helpers/clock.js';

const AUD = 'https://api.test';
let idp: TestIssuer;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

/** Verifier whose key source counts lookups, so a cache hit is observable. */
function setup(cacheMaxEntries?: number) {
  const clock = testClock();
  const config = issuerConfig(idp);
  const remote = remoteKeySetFor(idp, { issuerName: config.name, clock });
  const counter = { lookups: 0 };
  const counting: KeySource = Object.create(remote, {
    getKey: {
      value: (header: Parameters<KeySource['getKey']>[0]) => {
        counter.lookups += 1;
        return remote.getKey(header);
      },
    },
  });
  const verifier = createTokenVerifier({
    issuers: [config],
    keySources: new Map([[config.name, counting]]),
    now: clock.now,
    ...(cacheMaxEntries === undefined ? {} : { cacheMaxEntries }),
  });
  return { clock, counter, verifier };
}


describe('verified-token cache', () => {
  it('a second verify of the same token does not re-verify', async () => {
    const { counter, verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(counter.lookups).toBe(1);
    expect(second).toEqual(first);
  });

  it('a cached token is refused once its exp has passed', async () => {
    const { clock, counter, verifier } = setup();
    const exp = Math.floor(clock.now() / 1000) + 60;
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp });
    await verifier.verify(token);
    clock.advance(exp * 1000 - 1000 - clock.now());
    await verifier.verify(token);
    clock.advance(exp * 1000 - clock.now()); // exp is no longer strictly in the future
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('token_expired');
    expect(counter.lookups).toBe(1);
  });

  it('the synchronous lookup answers only for a token verified before and not yet expired', async () => {
    const { clock, verifier } = setup();
    const exp = Math.floor(clock.now() / 1000) + 60;
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp });
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    const principal = await verifier.verify(token);
    expect(verifier.cachedPrincipal(token)).toBe(principal);
    // Another token of the same user is another entry; a tampered copy of this one is no entry.
    expect(verifier.cachedPrincipal(await idp.sign({ sub: 'alice', aud: AUD, exp, jti: 'another' }))).toBeUndefined();
    expect(verifier.cachedPrincipal(`${token}x`)).toBeUndefined();
    clock.advance(exp * 1000 - clock.now());
    expect(verifier.cachedPrincipal(token)).toBeUndefined();
    expect((await rejection(verifier.verify(token))).reason).toBe('token_expired');
  });

  it('failures are not cached: a token refused while the IdP was down verifies once it is back', async () => {
    const { clock, verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    idp.setMode('down');
    try {
      expect((await rejection(verifier.verify(token))).code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    } finally {
      idp.setMode('up');
    }
    clock.advance(5_000); // the failure backoff: the key set's timer fetches again
    expect((await verifier.verify(token)).claims.subject).toBe('alice');
  });

  it('the cache is bounded: the least recently used token is verified again', async () => {
    const { counter, verifier } = setup(2);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => idp.sign({ sub, aud: AUD })));
    for (const token of [a, b, c]) await verifier.verify(token!);
    expect(counter.lookups).toBe(3);
    await verifier.verify(c!); // still cached
    expect(counter.lookups).toBe(3);
    await verifier.verify(a!); // evicted
    expect(counter.lookups).toBe(4);
  });

  // The cache is keyed by the signature's digest: the signed part must match as well.
  it("a verified token's signature pasted onto other claims answers nothing, cached or in flight", async () => {
    const { counter, verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const signed = token.slice(0, token.lastIndexOf('.'));
    const mallory = await idp.sign({ sub: 'mallory', aud: AUD });
    const pasted = [
      `${mallory.slice(0, mallory.lastIndexOf('.'))}.${signature}`,
      `${signed}x.${signature}`,
      `${signed.slice(0, -1)}.${signature}`,
      `x${signed}.${signature}`,
      signature,
    ];
    // In flight: the pasted tokens share nothing with the genuine one's verification.
    const [principal, ...refused] = await Promise.allSettled([verifier.verify(token), ...pasted.map((forged) => verifier.verify(forged))]);
    expect(principal).toMatchObject({ status: 'fulfilled', value: { claims: { subject: 'alice' } } });
    for (const outcome of refused) {
      expect(outcome.status).toBe('rejected');
      expect(((outcome as PromiseRejectedResult).reason as AppError).code).toBe('UNAUTHENTICATED');
    }
    // Cached: neither lookup answers them, and the genuine token's entry stands.
    const lookups = counter.lookups;
    for (const forged of pasted) {
      expect(verifier.cachedPrincipal(forged)).toBeUndefined();
      expect((await rejection(verifier.verify(forged))).code).toBe('UNAUTHENTICATED');
    }
    expect(verifier.cachedPrincipal(token)?.claims.subject).toBe('alice');
    expect((await verifier.verify(token)).claims.subject).toBe('alice');
    expect(counter.lookups).toBeGreaterThan(lookups); // the pasted ones were verified, not looked up
  });

  it('cached principals cannot be altered by a caller', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD, email: 'alice@example.com' });
    const principal = await verifier.verify(token);
    expect(() => {
      (principal.claims as { subject: string }).subject = 'mallory';
    }).toThrow(TypeError);
    expect((await verifier.verify(token)).claims.subject).toBe('alice');
  });
});
