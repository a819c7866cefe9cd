// What a trusted issuer's token may claim (issue 23 §3-§4), over HTTP on the file's database
// (PGlite, or PostgreSQL with TEST_DATABASE_URL): an `oidc` issuer without `serviceScopes` has
// no service principals (a federated IdP cannot mint itself `users:admin`), `serviceScopes`
// narrow a service's scopes, a user token must carry `iat`, and a userinfo profile naming
// another subject is refused (nothing provisioned).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type GraphQLResult, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

let plain: TestIssuer; // oidc, no serviceScopes (the product's default), a userinfo endpoint
let scoped: TestIssuer; // oidc, serviceScopes ["users:read"]
let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  [plain, scoped] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  database = await openTestDatabase();
  api = await startTestApp({
    production: true,
    database: database.db,
    issuers: [
      issuerConfig(plain, { name: 'plain', serviceScopes: null, userinfoUrl: plain.userinfoUrl }),
      issuerConfig(scoped, { name: 'scoped', serviceScopes: ['users:read'] }),
    ],
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await Promise.all([plain?.close(), scoped?.close()]);
});

const SUSPEND = 'mutation ($id: ID!) { suspendUser(userId: $id) { id status } }';
const USER = 'query ($id: ID!) { user(id: $id) { id status } }';

const code = (result: GraphQLResult<unknown>) => result.body.errors?.[0]?.extensions?.['code'];
const reason = (result: GraphQLResult<unknown>) => result.body.errors?.[0]?.extensions?.['reason'];

function machineToken(issuer: TestIssuer, scope: string, claims: Record<string, unknown> = {}): Promise<string> {
  const client = `svc-${randomUUID()}`;
  return issuer.sign({ sub: client, client_id: client, aud: AUDIENCE, scope, ...claims });
}

async function signIn(issuer: TestIssuer): Promise<string> {
  const id = randomUUID();
  const result = await api.gql('{ viewer { id } }', {
    token: await issuer.sign({ sub: `user-${id}`, aud: AUDIENCE, email: `u-${id}@example.com`, email_verified: true }),
  });
  expect(result.status).toBe(200);
  return result.body.data.viewer.id;
}

/** The Router coprocessor's answer to a RouterRequest carrying `token`. */
async function coprocessor(token: string): Promise<any> {
  const response = await fetch(`${api.url}/router/coprocessor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: randomUUID(), headers: { authorization: [`Bearer ${token}`] } }),
  });
  return response.json();
}

async function identityRows(subject: string): Promise<number> {
  return (await database.db.query('select 1 from identities where subject = $1', [subject])).length;
}

describe('serviceScopes', () => {
  it('an oidc issuer without serviceScopes has no service principals: sub == client_id is 401, whatever its scopes', async () => {
    const target = await signIn(plain);
    for (const token of [
      await machineToken(plain, 'users:admin'),
      await machineToken(plain, 'users:admin', { gty: 'client-credentials' }),
    ]) {
      const result = await api.gql(SUSPEND, { token, variables: { id: target } });
      expect(result.status).toBe(401);
      expect(code(result)).toBe('UNAUTHENTICATED');
      expect(result.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
    const [row] = await database.db.query<{ status: string }>('select status from users where id = $1', [target]);
    expect(row?.status).toBe('active');
    expect((await coprocessor(await machineToken(plain, 'users:admin'))).control).toEqual({ break: 401 });
  });

  it('with serviceScopes ["users:read"]: a service holding users:read only, the token\'s users:admin ignored', async () => {
    const target = await signIn(scoped);
    const token = await machineToken(scoped, 'users:admin users:read');
    const read = await api.gql(USER, { token, variables: { id: target } });
    expect(read.status).toBe(200);
    expect(read.body.data.user).toEqual({ id: target, status: 'ACTIVE' });
    const suspend = await api.gql(SUSPEND, { token, variables: { id: target } });
    expect(code(suspend)).toBe('FORBIDDEN');
    const viewer = await api.gql('{ viewer { id } }', { token });
    expect(viewer.body.data.viewer).toBeNull(); // a service: never provisioned as a user
    // users:admin alone narrows to nothing: not even users:read.
    const none = await api.gql(USER, { token: await machineToken(scoped, 'users:admin'), variables: { id: target } });
    expect(code(none)).toBe('FORBIDDEN');
    // The Router sees the narrowed scopes too (@requiresScopes).
    const routed = await coprocessor(token);
    expect(routed.control).toBe('continue');
    expect(routed.context.entries['apollo::authentication::jwt_claims'].scope).toBe('users:read');
  });
});

describe('iat', () => {
  it('a user token without iat: 401 UNAUTHENTICATED, nothing provisioned', async () => {
    const subject = `user-${randomUUID()}`;
    const token = await scoped.sign({ sub: subject, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, iat: undefined });
    const result = await api.gql('{ viewer { id } }', { token });
    expect(result.status).toBe(401);
    expect(code(result)).toBe('UNAUTHENTICATED');
    expect(await identityRows(subject)).toBe(0);
  });

  it('a service token without iat still works (the rule is for user tokens)', async () => {
    const target = await signIn(scoped);
    const result = await api.gql(USER, { token: await machineToken(scoped, 'users:read', { iat: undefined }), variables: { id: target } });
    expect(result.body.data.user.id).toBe(target);
  });
});

describe('userinfo subject', () => {
  it('a profile naming another subject: 401 userinfo_subject_mismatch, nothing provisioned, not kept', async () => {
    const subject = `auth0|${randomUUID()}`;
    const victimEmail = `victim-${randomUUID()}@example.com`;
    plain.setUserinfo(subject, { sub: `auth0|${randomUUID()}`, email: victimEmail, email_verified: true });
    const token = await plain.sign({ sub: subject, aud: AUDIENCE }); // no email: the profile is fetched
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const result = await api.gql('{ viewer { id email } }', { token });
      expect(result.status).toBe(401);
      expect(code(result)).toBe('UNAUTHENTICATED');
      expect(reason(result)).toBe('userinfo_subject_mismatch');
    }
    expect(await identityRows(subject)).toBe(0);
    expect(await database.db.query('select 1 from users where email = $1', [victimEmail])).toHaveLength(0);

    // A profile without any subject is no better; one naming the token's subject is used.
    plain.setUserinfo(subject, { sub: undefined, email: victimEmail, email_verified: true });
    expect(reason(await api.gql('{ viewer { id } }', { token: await plain.sign({ sub: subject, aud: AUDIENCE, jti: 'b' }) }))).toBe('userinfo_subject_mismatch');
    const ownEmail = `own-${randomUUID()}@example.com`;
    plain.setUserinfo(subject, { email: ownEmail, email_verified: true });
    const fixed = await api.gql('{ viewer { id email } }', { token: await plain.sign({ sub: subject, aud: AUDIENCE, jti: 'c' }) });
    expect(fixed.status).toBe(200);
    expect(fixed.body.data.viewer.email).toBe(ownEmail);
  });
});
