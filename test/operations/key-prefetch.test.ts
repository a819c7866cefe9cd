// Start-up key fetches (operations.md, "Runtime"): every configured issuer's keys are fetched
// once, in parallel, before /readyz answers 200, so a user's first request pays no key fetch; an
// issuer whose keys cannot be fetched holds readiness back no longer than JWKS_FETCH_TIMEOUT_MS.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const others: TestIssuer[] = [];
afterEach(async () => {
  bed.issuer.setMode('up');
  await bed.closeApps();
});
afterAll(async () => {
  for (const issuer of others) await issuer.close();
});

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`)).status;
}

function token(): Promise<string> {
  return bed.issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
}

describe('key prefetch and readiness', () => {
  it('fetches the keys once before it is ready; the first request then fetches none', async () => {
    const before = bed.issuer.jwksRequests;
    const api = await bed.start();
    await eventually(async () => expect(await readyz(api.url)).toBe(200));
    expect(bed.issuer.jwksRequests - before).toBe(1);

    const first = await api.gql('{ viewer { id } }', { token: await token() });
    expect(first.status).toBe(200);
    expect(first.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(bed.issuer.jwksRequests - before).toBe(1);
  });

  it('fetches every issuer at once: both hanging endpoints are asked before either answers, and /readyz waits', async () => {
    const second = await startTestIssuer();
    others.push(second);
    bed.issuer.setMode('hang');
    second.setMode('hang');
    const before = [bed.issuer.jwksRequests, second.jwksRequests];
    // A timeout longer than this test: one issuer's fetch could only start after the other's
    // timed out if they were fetched one after the other.
    const api = await bed.start({
      issuers: [issuerConfig(bed.issuer), issuerConfig(second, { name: 'second' })],
      config: { jwksFetchTimeoutMs: 60_000 },
    });
    await eventually(() => bed.issuer.jwksRequests - before[0]! === 1 && second.jwksRequests - before[1]! === 1);
    expect(await readyz(api.url)).toBe(503);
  });

  it('becomes ready once a hanging endpoint has had its fetch timeout, and retries as before', async () => {
    bed.issuer.setMode('hang');
    const before = bed.issuer.jwksRequests;
    // A 2 s refresh makes the failure backoff 2 s instead of 5 (the retry itself is the same
    // code path; its timing is tested on a clock in test/auth/keys.test.ts).
    const api = await bed.start({ issuers: [issuerConfig(bed.issuer, { jwksRefreshSeconds: 2 })], config: { jwksFetchTimeoutMs: 3000 } });
    expect(await readyz(api.url)).toBe(503);
    await eventually(async () => expect(await readyz(api.url)).toBe(200), { timeoutMs: 10_000 });
    expect(bed.issuer.jwksRequests - before).toBe(1);

    // The endpoint answers again: keys arrive through the usual retries, with no restart.
    bed.issuer.setMode('up');
    await eventually(async () => expect((await api.gql('{ viewer { id } }', { token: await token() })).status).toBe(200), { timeoutMs: 15_000, intervalMs: 100 });
  });
});
