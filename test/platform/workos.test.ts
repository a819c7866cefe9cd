// The WorkOS code grant against a loopback fake of WorkOS's user_management/authenticate: PKCE
// required (no verifier, no call), the access token it returns verified as any WorkOS token (its
// JWKS, its client_id), then exchanged, never outliving it; WorkOS's refusals become
// invalid_grant, its absence 503.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { platformConfig, postToken } from '../helpers/platform.js';

const CLIENT_ID = 'client_01TEST';
const API_KEY = 'sk_test_workos_key';
type Mode = 'ok' | 'bad-code' | 'down' | 'hang' | 'other-client' | 'no-token';

let workosIssuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;
let fake: Server;
let mode: Mode = 'ok';
let received: Record<string, unknown>[] = [];
// Lifetime of the access tokens the fake WorkOS hands out (seconds).
let workosTokenSeconds = 3600;
let lastAccessToken: string | null = null;

beforeAll(async () => {
  workosIssuer = await startTestIssuer();
  database = await openTestDatabase();
  fake = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/user_management/authenticate') return void res.writeHead(404).end();
      const form = JSON.parse(body) as Record<string, unknown>;
      received.push(form);
      if (mode === 'hang') return;
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (mode === 'down') return send(502, { message: 'bad gateway' });
      if (mode === 'bad-code' || form['code'] !== 'good-code') return send(400, { error: 'invalid_grant', error_description: 'The code is invalid.' });
      if (mode === 'no-token') return send(200, { user: { id: 'user_01' } });
      const clientId = mode === 'other-client' ? 'client_01OTHER' : CLIENT_ID;
      void workosIssuer
        .sign({ sub: `user_${randomUUID()}`, client_id: clientId, sid: 'session_01', email: `${randomUUID()}@example.com` }, { expiresIn: workosTokenSeconds })
        .then((accessToken) => (lastAccessToken = accessToken))
        .then((accessToken) => send(200, { user: { id: 'user_01' }, access_token: accessToken, refresh_token: 'r' }));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const apiBaseUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const workos = issuerConfig(workosIssuer, { name: 'workos', kind: 'workos', clientId: CLIENT_ID, audience: null, userinfoApiKey: API_KEY, apiBaseUrl, emailTrust: 'always' });
  const plain = { ...issuerConfig(workosIssuer, { name: 'workos-plain', kind: 'workos', clientId: CLIENT_ID, audience: null, apiBaseUrl }), issuer: 'https://other.workos.test/' };
  api = await startTestApp({ issuers: [workos, plain], database: database.db, config: { platform: platformConfig(), jwksFetchTimeoutMs: 500 } });
});
afterAll(async () => {
  await api?.close();
  fake?.closeAllConnections();
  await new Promise((resolve) => fake?.close(resolve));
  await database?.close();
  await workosIssuer?.close();
});
beforeEach(() => {
  mode = 'ok';
  received = [];
  workosTokenSeconds = 3600;
});

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

function codeGrant(extra: Record<string, string> = {}) {
  return postToken(api.url, { grant_type: 'authorization_code', code: 'good-code', issuer: 'workos', code_verifier: VERIFIER, ...extra });
}

describe('WorkOS authorization code grant', () => {
  it('exchanges the code with WorkOS using the API key, and issues a platform token for the canonical user', async () => {
    const answer = await codeGrant();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(received).toEqual([{ client_id: CLIENT_ID, client_secret: API_KEY, grant_type: 'authorization_code', code: 'good-code', code_verifier: VERIFIER }]);
    const claims = decodeJwt(answer.body.access_token);
    // client_id: the WorkOS access token's (the frontend's WorkOS client).
    expect(claims).toMatchObject({ idp: 'workos', sid: 'session_01', scope: 'user', email_verified: true, client_id: CLIENT_ID });
    const viewer = await api.gql('{ viewer { id identities { provider } } }', { token: answer.body.access_token });
    expect(viewer.body.data.viewer).toEqual({ id: claims.sub, identities: [{ provider: 'workos' }] });
  });

  it('requires PKCE: without code_verifier it answers invalid_request and never calls WorkOS', async () => {
    for (const form of <Record<string, string>[]>[
      { grant_type: 'authorization_code', code: 'good-code', issuer: 'workos' },
      { grant_type: 'authorization_code', code: 'good-code', issuer: 'workos', code_verifier: '' },
    ]) {
      const answer = await postToken(api.url, form);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
      expect(answer.body.access_token).toBeUndefined();
    }
    expect(received).toHaveLength(0);
  });

  it('never outlives the WorkOS access token it came from', async () => {
    workosTokenSeconds = 200;
    const answer = await codeGrant();
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token);
    expect(claims.exp).toBe(decodeJwt(lastAccessToken!).exp);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(200);
    expect(answer.body.expires_in).toBe(claims.exp! - claims.iat!);
  });

  it('answers invalid_grant when WorkOS refuses the code', async () => {
    mode = 'bad-code';
    const answer = await codeGrant();
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
    expect(JSON.stringify(answer.body)).not.toContain('The code is invalid');
  });

  it('answers invalid_grant when WorkOS returns a token issued for another client', async () => {
    mode = 'other-client';
    const answer = await codeGrant();
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('answers 503 with Retry-After when WorkOS is down, hangs or answers without a token', async () => {
    for (const failure of ['down', 'hang', 'no-token'] as const) {
      mode = failure;
      const answer = await codeGrant();
      expect(answer.status, failure).toBe(503);
      expect(answer.body.error).toBe('temporarily_unavailable');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('refuses a missing code or issuer, and an issuer without an API key', async () => {
    expect((await postToken(api.url, { grant_type: 'authorization_code', issuer: 'workos' })).body.error).toBe('invalid_request');
    expect((await postToken(api.url, { grant_type: 'authorization_code', code: 'good-code' })).body.error).toBe('invalid_request');
    const plain = await codeGrant({ issuer: 'workos-plain' });
    expect(plain.status).toBe(400);
    expect(plain.body.error).toBe('invalid_request');
    expect(received).toHaveLength(0);
  });
});
