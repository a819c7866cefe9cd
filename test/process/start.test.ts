// `npm start` as operators run it: through npm, in production, with AUTH_ISSUERS for a loopback
// issuer and an in-memory PGlite (or the file's PostgreSQL schema); stopped by SIGTERM to npm;
// refusing an invalid environment with one stderr line. The only file that starts the server's
// process in production (test/helpers/process.ts); what the app does is tested in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, expectNoLeak, unique, uniqueEmail, UUID_V4 } from '../helpers/battery.js';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { freePort, killStarted, startMain, startThroughNpm, type MainProcess } from '../helpers/process.js';
import { temporaryDirectory } from '../helpers/files.js';

async function gql(url: string, query: string, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

afterAll(killStarted);

describe('npm start in production', () => {
  let issuer: TestIssuer;
  let database: TestDatabase | null = null;
  let server: MainProcess;
  let url: string;
  const output = () => server.stdout() + server.stderr();

  beforeAll(async () => {
    issuer = await startTestIssuer();
    // With TEST_DATABASE_URL the process runs on PostgreSQL (a fresh schema), else in-memory PGlite.
    if (TEST_DATABASE_URL !== null) database = await openTestDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startThroughNpm({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database?.url ?? 'pglite://memory',
      AUTH_ISSUERS: JSON.stringify([{ name: 'auth0', kind: 'auth0', issuer: issuer.url, audience: AUDIENCE, jwksUri: issuer.jwksUri }]),
      DATA_DIR: temporaryDirectory('identity-start-'),
    });
    const exited = server.exited.then((code) => Promise.reject(new Error(`exited ${code} before ready:\n${output()}`)));
    await Promise.race([exited, eventually(() => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false), { timeoutMs: 60_000, intervalMs: 100 })]);
    exited.catch(() => undefined); // an exit after readiness is the last test's business
  }, 90_000);
  afterAll(async () => {
    await database?.close();
    await issuer?.close();
  });

  it('serves a signed viewer query: a canonical UUID, the same on the next request', async () => {
    const sub = unique('auth0|bb');
    const email = uniqueEmail('blackbox');
    const token = await issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, name: 'Black Box' });
    const first = await gql(url, '{ viewer { id email name } }', token);
    expect(first.status).toBe(200);
    expect(first.body.data.viewer).toMatchObject({ email, name: 'Black Box' });
    expect(first.body.data.viewer.id).toMatch(UUID_V4);
    // Answers depend on the caller: no shared cache may keep one.
    expect(first.headers.get('cache-control')).toBe('no-store');
    const again = await gql(url, '{ viewer { id } }', await issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true }));
    expect(again.body.data.viewer.id).toBe(first.body.data.viewer.id);
    // Secrets and emails never reach the logs.
    expect(output()).not.toContain(token);
    expect(output()).not.toContain(email);
  });

  it('refuses a forged token with 401 and the Bearer challenge, revealing nothing', async () => {
    const forged = await issuer.sign({ sub: unique('auth0|bb'), aud: AUDIENCE }, { key: 'other' });
    const response = await gql(url, '{ viewer { id } }', forged);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expectNoLeak(response.text, [forged, String(new URL(issuer.url).port)]);
  });

  it('has no introspection and no development issuer', async () => {
    const introspection = await gql(url, '{ __schema { types { name } } }');
    expect(introspection.body.data ?? null).toBeNull();
    expect(output()).not.toMatch(/development issuer is ON/i);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('stops on SIGTERM to npm: exit 0, the port closed, no orphaned server', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(output()).toContain('shutting down');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('npm start with an invalid environment', () => {
  // Which variable each refusal names is loadConfig's (test/operations/config.test.ts); the entry
  // point's part is printing that one line, nothing else, and exiting non-zero.
  it('exits non-zero with exactly one stderr line naming the variable and no secret', async () => {
    const secret = `secret-${unique()}`;
    const main = startMain({ PORT: 'abc', SUBGRAPH_SECRET: secret, DATABASE_URL: 'pglite://memory' });
    const code = await main.exited;
    expect(code).not.toBe(0);
    expect(typeof code).toBe('number');
    const lines = main.stderr().split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\bPORT\b/);
    expect(main.stderr() + main.stdout()).not.toContain(secret);
    expect(main.stdout()).not.toMatch(/listening/);
  });
});
