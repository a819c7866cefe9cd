// A first request end to end: a token from a loopback issuer becomes a canonical user.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import { issuerConfig } from './helpers/issuer.js';
import { useTestBed } from './helpers/testBed.js';

const bed = useTestBed();
let api: TestApp;

beforeAll(async () => {
  api = await bed.start({ issuers: [issuerConfig(bed.issuer, { name: 'auth0', kind: 'auth0' })] });
});

describe('smoke', () => {
  it('provisions a canonical UUID for a first sign-in and returns it on the next', async () => {
    const token = await bed.issuer.sign({ sub: 'waad|abc123', aud: 'https://api.test', email: 'Ada@Example.com', email_verified: true, name: 'Ada' });
    const first = await api.gql('{ viewer { id email emailVerified name identities { provider subject } } }', { token });
    expect(first.status).toBe(200);
    const viewer = first.body.data.viewer;
    expect(viewer.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(viewer).toMatchObject({ email: 'ada@example.com', emailVerified: true, name: 'Ada', identities: [{ provider: 'auth0', subject: 'waad|abc123' }] });
    const second = await api.gql('{ viewer { id } }', { token });
    expect(second.body.data.viewer.id).toBe(viewer.id);
  });
});
