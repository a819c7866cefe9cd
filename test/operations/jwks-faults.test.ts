// The identity provider's JWKS endpoint failing, seen through the HTTP server: down with keys
// cached (they keep working), down with nothing cached (503 + Retry-After), hanging (answered
// within the fetch timeout), and a flood of unknown kids (bounded refetches).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig } from '../helpers/issuer.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
// Each test's apps close after it: their key sets refresh on timers, and a previous test's
// background refresh must not count as a fetch of the next one.
afterEach(async () => {
  bed.issuer.setMode('up');
  await bed.closeApps();
});

function app(options: { refreshSeconds?: number } = {}): Promise<TestApp> {
  return bed.start({
    issuers: [issuerConfig(bed.issuer, { jwksRefreshSeconds: options.refreshSeconds ?? 300 })],
    config: { jwksFetchTimeoutMs: 3000 },
  });
}

function token(options: { kid?: string } = {}): Promise<string> {
  return bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true }, options);
}

function metric(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.split(' ').at(-1));
}

describe('JWKS endpoint faults', () => {
  it('keeps verifying with cached keys while the endpoint is down, refreshes failing in the background', async () => {
    const api = await app({ refreshSeconds: 1 });
    expect((await api.gql('{ viewer { id } }', { token: await token() })).status).toBe(200);
    bed.issuer.setMode('down');
    const requestsBefore = bed.issuer.jwksRequests;
    // The scheduled refresh (due after 1 s) reaches the endpoint and fails.
    await eventually(async () => {
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      expect(metric(metrics, 'identity_jwks_fetches_total{issuer="test",outcome="error"}')).toBeGreaterThanOrEqual(1);
    });
    expect(bed.issuer.jwksRequests).toBeGreaterThan(requestsBefore);
    for (let i = 0; i < 3; i += 1) {
      const result = await api.gql('{ viewer { id } }', { token: await token() });
      expect(result.status).toBe(200);
      expect(result.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers 503 AUTH_PROVIDER_UNAVAILABLE with Retry-After when the endpoint is down and nothing is cached', async () => {
    bed.issuer.setMode('down'); // from the start: the start-up fetch fails too
    const api = await app();
    const result = await api.gql('{ viewer { id } }', { token: await token() });
    expect(result.status).toBe(503);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(result.body.data ?? null).toBeNull();

  });

  it('answers a hanging endpoint at the configured fetch timeout', async () => {
    bed.issuer.setMode('hang'); // from the start: the request joins (or follows) the start-up fetch
    // The real fetch, watched: why each JWKS fetch was aborted (the deadline names its length).
    const aborts: string[] = [];
    const watched: typeof fetch = (input, init) => {
      init?.signal?.addEventListener('abort', () => aborts.push(String((init.signal!.reason as Error).message)));
      return fetch(input, init);
    };
    const api = await bed.start({
      issuers: [issuerConfig(bed.issuer)],
      config: { jwksFetchTimeoutMs: 300 },
      appOptions: { fetch: watched },
    });
    const result = await api.gql('{ viewer { id } }', { token: await token() });
    expect(result.status).toBe(503);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    // The endpoint never answers: the deadline answered, and it was the configured 300 ms (not the default 3 s).
    expect(aborts.length).toBeGreaterThanOrEqual(1);
    expect(aborts.every((reason) => reason.endsWith('within 300 ms'))).toBe(true);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metric(metrics, 'identity_jwks_fetches_total{issuer="test",outcome="timeout"}')).toBe(1);
  });

  it('bounds refetches under a flood of tokens with unknown kids', async () => {
    const api = await app();
    expect((await api.gql('{ viewer { id } }', { token: await token() })).status).toBe(200);
    const before = bed.issuer.jwksRequests;
    const flood = await Promise.all(
      Array.from({ length: 40 }, async () => api.gql('{ viewer { id } }', { token: await token({ kid: `kid-${randomUUID()}` }) })),
    );
    for (const result of flood) {
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(bed.issuer.jwksRequests - before).toBeLessThanOrEqual(1);
    // Valid tokens keep working meanwhile.
    expect((await api.gql('{ viewer { id } }', { token: await token() })).status).toBe(200);
  });

  it('counts a request the client gave up on while the endpoint hung (status 499)', async () => {
    const api = await app();
    await eventually(async () => (await fetch(`${api.url}/readyz`)).status === 200); // the start-up fetch is done
    bed.issuer.setMode('hang');
    const jwksBefore = bed.issuer.jwksRequests;
    const abort = new AbortController();
    // A kid the held keys lack: the request waits on the refetch, which hangs.
    const pending = fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token({ kid: `kid-${randomUUID()}` })}` },
      body: JSON.stringify({ query: 'query GaveUp { viewer { id } }' }),
      signal: abort.signal,
    });
    await eventually(() => bed.issuer.jwksRequests > jwksBefore); // the request waits on the hanging endpoint
    abort.abort();
    await expect(pending).rejects.toThrow();
    await eventually(async () => {
      const count = metric(await (await fetch(`${api.url}/metrics`)).text(), 'identity_requests_total{operation="GaveUp",outcome="error"}');
      expect(count).toBe(1);
    });
  });
});
