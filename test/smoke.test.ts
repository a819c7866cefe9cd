// A first request end to end: a token from a loopback issuer becomes a canonical user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { openTestDatabase, type TestDatabase } from './helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from './helpers/issuer.js';

let issuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  api = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })], database: database.db });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

describe('smoke', () => {
  it('provisions a canonical UUID for a first sign-in and returns it on the next', async () => {
    const token = await issuer.sign({ sub: 'waad|abc123', aud: 'https://api.test', email: 'Ada@Example.com', email_verified: true, name: 'Ada' });
    const first = await api.gql('{ viewer { id email emailVerified name identities { provider subject } } }', { token });
    expect(first.status).toBe(200);
    const viewer = first.body.data.viewer;
    expect(viewer.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(viewer).toMatchObject({ email: 'ada@example.com', emailVerified: true, name: 'Ada', identities: [{ provider: 'auth0', subject: 'waad|abc123' }] });
    const second = await api.gql('{ viewer { id } }', { token });
    expect(second.body.data.viewer.id).toBe(viewer.id);
  });
});
