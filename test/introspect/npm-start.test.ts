// POST /oauth/introspect through `npm start` (compiled, configured by environment alone), asked by
// openid-client's tokenIntrospection, with an old validator (GET /validate, X-User-Token) as the
// introspection entry and platform tokens on: as the independent checks will run it.
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDataDir, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { freePort, killStarted, startThroughNpm, type MainProcess } from '../helpers/process.js';
import { exchangeForm, postToken } from '../helpers/platform.js';
import { introspect, introspectionClient, postIntrospect, serviceToken } from './client.js';
import { startOldValidator, type OldValidator } from './validator.js';

const PLATFORM = 'https://identity.npm-start.test';
let issuer: TestIssuer;
let validator: OldValidator;
let database: TestDatabase | null = null;
let server: MainProcess;
let url: string;
let caller: string;
const output = () => server.stdout() + server.stderr();

beforeAll(async () => {
  issuer = await startTestIssuer();
  validator = await startOldValidator({ header: 'X-User-Token' });
  if (TEST_DATABASE_URL !== null) database = await openTestDatabase();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = startThroughNpm({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // PostgreSQL, or the embedded database in DATA_DIR, migrated already (helpers/database.ts): no
    // cluster created in the child.
    ...(database === null ? {} : { DATABASE_URL: database.url! }),
    DATA_DIR: await migratedDataDir('identity-introspect-'),
    PLATFORM_ISSUER: PLATFORM,
    AUTH_ISSUERS: JSON.stringify([
      { name: 'auth0', kind: 'oidc', issuer: issuer.url, audience: AUDIENCE, jwksUri: issuer.jwksUri, serviceScopes: ['tokens:introspect', 'users:read'] },
      {
        name: 'old',
        kind: 'introspection',
        issuer: 'https://sessions.old.test',
        introspectionUrl: validator.url,
        request: { header: 'X-User-Token' },
        method: 'GET',
        activeField: null,
        subjectField: 'userId',
        principalField: 'typeName',
      },
    ]),
  });
  const exited = server.exited.then((code) => Promise.reject(new Error(`exited ${code} before ready:\n${output()}`)));
  await Promise.race([exited, eventually(() => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false), { timeoutMs: 60_000, intervalMs: 100 })]);
  exited.catch(() => undefined);
  caller = await serviceToken(issuer, 'tokens:introspect', 'svc-python-backend');
}, 90_000);
afterAll(async () => {
  killStarted();
  await validator?.close();
  await database?.close();
  await issuer?.close();
});

describe('npm start: POST /oauth/introspect', () => {
  it('answers an IdP token with the canonical id and profile, provisioning it', async () => {
    const email = `${randomUUID()}@example.com`;
    const token = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true, name: 'Npm Start', azp: 'web' });
    const answer = await introspect(url, caller, token);
    expect(answer).toMatchObject({ active: true, principal: 'user', iss: issuer.url, idp: 'auth0', email, email_verified: true, name: 'Npm Start', scope: 'user', client_id: 'web' });
    const viewer = await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ viewer { id } }' }) });
    expect(((await viewer.json()) as any).data.viewer.id).toBe(answer['sub']);
    // Nothing of the token or the email reaches the logs.
    expect(output()).not.toContain(token);
    expect(output()).not.toContain(email);
  });

  it('answers a platform token, a service and an old validator\'s session; inactive for the rest', async () => {
    const subject = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true });
    const minted = await postToken(url, exchangeForm(subject, { client_id: 'cli' }));
    expect(minted.status).toBe(200);
    expect(await introspect(url, caller, minted.body.access_token)).toMatchObject({ active: true, principal: 'user', iss: PLATFORM, idp: 'auth0', client_id: 'cli', scope: 'user' });

    expect(await introspect(url, caller, await serviceToken(issuer, 'users:read', 'svc-reader'))).toMatchObject({ active: true, principal: 'service', sub: 'svc-reader', scope: 'users:read' });

    const session = `sess_${randomUUID()}`;
    validator.setSession(session, { userId: randomUUID(), email: `${randomUUID()}@example.com`, typeName: 'user', name: 'Legacy Person' });
    expect(await introspect(url, caller, session)).toMatchObject({ active: true, principal: 'user', idp: 'old', name: 'Legacy Person' });
    const robot = `sess_${randomUUID()}`;
    validator.setSession(robot, { userId: 'cron-42', typeName: 'system' });
    expect(await introspect(url, caller, robot)).toMatchObject({ active: true, principal: 'service', sub: 'cron-42' });
    validator.setSession(`sess_dead`, 403);
    expect(await introspect(url, caller, 'sess_dead')).toEqual({ active: false });

    const expired = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) - 10, iat: Math.floor(Date.now() / 1000) - 60 });
    expect(await introspect(url, caller, expired)).toEqual({ active: false });
  });

  it('refuses callers as RFC 6750 says, and a repeated token as RFC 6749 does', async () => {
    const token = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE });
    await expect(client.tokenIntrospection(introspectionClient(url, null), token)).rejects.toMatchObject({ status: 401 });
    await expect(client.tokenIntrospection(introspectionClient(url, token), token)).rejects.toMatchObject({ status: 403 });
    await expect(client.tokenIntrospection(introspectionClient(url, await serviceToken(issuer, 'users:read')), token)).rejects.toMatchObject({ status: 403 });
    const repeated = await postIntrospect(url, [['token', token], ['token', token]], `Bearer ${caller}`);
    expect(repeated.status).toBe(400);
    expect(repeated.body.error).toBe('invalid_request');
    const fine = await postIntrospect(url, [['token', token]], `Bearer ${caller}`);
    expect(fine.headers.get('cache-control')).toBe('no-store');
  });

  it('is advertised in both discovery documents', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      expect(((await (await fetch(`${url}${path}`)).json()) as any).introspection_endpoint).toBe(`${PLATFORM}/oauth/introspect`);
    }
  });
});
