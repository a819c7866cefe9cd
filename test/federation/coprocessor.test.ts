// POST /router/coprocessor with payloads shaped exactly as Apollo Router sends them at the
// RouterRequest stage (headers and context on, body off).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOrganization } from '../../src/db/organizations.js';
import { ensureMembership } from '../../src/db/memberships.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const SECRET = 'router-secret-for-tests';
const CLAIMS = 'apollo::authentication::jwt_claims';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let issuer: TestIssuer;
/** An issuer whose JWKS endpoint is down from the start: its keys can never be fetched. */
let unreachable: TestIssuer;
let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  issuer = await startTestIssuer();
  unreachable = await startTestIssuer();
  unreachable.setMode('down');
  database = await openTestDatabase();
  api = await startTestApp({
    issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' }), issuerConfig(unreachable, { name: 'down', kind: 'oidc' })],
    database: database.db,
    config: { subgraphSecret: SECRET },
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
  await unreachable?.close();
});

/** A RouterRequest payload as Router 2 sends it (`router: { request: { headers, context, path, method, sdl } }`). */
function routerRequest(headers: Record<string, string[]>, claims?: Record<string, unknown>) {
  return {
    version: 1,
    stage: 'RouterRequest',
    control: 'continue',
    id: randomUUID().replaceAll('-', ''),
    headers: {
      host: ['router.example.com'],
      'content-type': ['application/json'],
      accept: ['application/json'],
      'user-agent': ['test-client/1.0'],
      ...headers,
    },
    context: {
      entries: {
        'apollo::supergraph::operation_kind': 'query',
        'accepts-json': true,
        ...(claims === undefined ? {} : { [CLAIMS]: claims }),
      },
    },
    sdl: 'schema { query: Query } type Query { viewer: User } type User { id: ID! }',
    path: '/',
    method: 'POST',
  };
}

async function call(payload: unknown, secret: string | null = SECRET) {
  const response = await fetch(`${api.url}/router/coprocessor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-subgraph-secret': secret }) },
    body: JSON.stringify(payload),
  });
  return { status: response.status, body: (await response.json()) as any };
}

function userToken(sub: string, extra: Record<string, unknown> = {}) {
  return issuer.sign({ sub, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true, ...extra });
}

describe('router coprocessor: RouterRequest', () => {
  it('provisions a first-time user, sets the canonical id header and claims with database scopes, and replaces spoofed identity headers', async () => {
    const sub = `auth0|${randomUUID()}`;
    const token = await userToken(sub);
    const payload = routerRequest(
      { authorization: [`Bearer ${token}`], 'x-identity-user-id': ['00000000-0000-4000-8000-000000000000'], 'x-identity-principal': ['service'] },
      { sub, iss: issuer.url, role: 'admin' },
    );
    const { status, body } = await call(payload);
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, stage: 'RouterRequest', control: 'continue', id: payload.id });
    expect(body.body).toBeUndefined();
    const userId = body.headers['x-identity-user-id'];
    expect(userId).toHaveLength(1);
    expect(userId[0]).toMatch(UUID);
    expect(userId[0]).not.toBe('00000000-0000-4000-8000-000000000000');
    expect(body.headers['x-identity-principal']).toEqual(['user']);
    // The client's other headers go on to the subgraphs untouched.
    expect(body.headers['authorization']).toEqual([`Bearer ${token}`]);
    expect(body.headers['user-agent']).toEqual(['test-client/1.0']);
    const claims = body.context.entries[CLAIMS];
    expect(claims.sub).toBe(userId[0]);
    expect(claims.scope).toBe('user');
    expect(claims.role).toBeUndefined();
    expect(body.context.entries['apollo::supergraph::operation_kind']).toBe('query');

    // The same canonical user as /graphql sees; provisioned once.
    const viewer = await api.gql('{ viewer { id } }', { token, headers: { 'x-subgraph-secret': SECRET } });
    expect(viewer.body.data.viewer.id).toBe(userId[0]);
    const identities = await database.db.query<{ n: number }>('select count(*)::int as n from identities where subject = $1', [sub]);
    expect(identities[0]!.n).toBe(1);
  });

  it('builds the scope claim from memberships in this database', async () => {
    const token = await userToken(`auth0|${randomUUID()}`);
    const first = await call(routerRequest({ authorization: [`Bearer ${token}`] }));
    const userId = first.body.headers['x-identity-user-id'][0];
    const acme = await insertOrganization(database.db, { id: randomUUID(), name: 'Acme' });
    const globex = await insertOrganization(database.db, { id: randomUUID(), name: 'Globex' });
    await ensureMembership(database.db, { id: randomUUID(), organizationId: acme.id, userId, role: 'OWNER' });
    await ensureMembership(database.db, { id: randomUUID(), organizationId: globex.id, userId, role: 'MEMBER' });
    const { body } = await call(routerRequest({ authorization: [`Bearer ${token}`] }));
    const scopes = body.context.entries[CLAIMS].scope.split(' ').sort();
    expect(scopes).toEqual(['user', `org:${acme.id}:OWNER`, `org:${globex.id}:MEMBER`].sort());
  });

  it('accepts the legacy X-User-Token header', async () => {
    const token = await userToken(`auth0|${randomUUID()}`);
    const { body } = await call(routerRequest({ 'x-user-token': [token] }));
    expect(body.control).toBe('continue');
    expect(body.headers['x-identity-user-id'][0]).toMatch(UUID);
  });

  it('answers a service token with its own subject and token scopes, and no user id', async () => {
    const token = await issuer.sign({ sub: 'svc-billing@clients', azp: 'svc-billing', aud: 'https://api.test', gty: 'client-credentials', scope: 'users:read organizations:read' });
    const { status, body } = await call(routerRequest({ authorization: [`Bearer ${token}`], 'x-identity-user-id': [randomUUID()] }));
    expect(status).toBe(200);
    expect(body.control).toBe('continue');
    expect(body.headers['x-identity-principal']).toEqual(['service']);
    expect(body.headers['x-identity-user-id']).toBeUndefined();
    expect(body.context.entries[CLAIMS].sub).toBe('svc-billing@clients');
    expect(body.context.entries[CLAIMS].scope.split(' ').sort()).toEqual(['organizations:read', 'users:read']);
    const users = await database.db.query<{ n: number }>("select count(*)::int as n from identities where subject = 'svc-billing@clients'");
    expect(users[0]!.n).toBe(0);
  });

  it('continues an anonymous request with every client-sent identity header removed', async () => {
    const { status, body } = await call(
      routerRequest({ 'x-identity-user-id': [randomUUID()], 'x-identity-principal': ['user'], 'X-Identity-Impersonator': ['mallory'] }),
    );
    expect(status).toBe(200);
    expect(body.control).toBe('continue');
    expect(Object.keys(body.headers).filter((name) => name.startsWith('x-identity-'))).toEqual([]);
    expect(body.headers['user-agent']).toEqual(['test-client/1.0']);
    expect(body.context.entries[CLAIMS]).toBeUndefined();
  });

  it.each([
    ['a forged signature', async () => `Bearer ${await issuer.sign({ sub: 'auth0|x', aud: 'https://api.test' }, { key: 'other' })}`],
    ['an expired token', async () => `Bearer ${await issuer.sign({ sub: 'auth0|x', aud: 'https://api.test' }, { expiresIn: -600 })}`],
    ['another scheme', async () => 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', async () => 'Bearer '],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
  ])('breaks with 401 and a bearer challenge for %s', async (_name, authorization) => {
    const payload = routerRequest({ authorization: [await authorization()], 'x-identity-user-id': [randomUUID()] });
    const { status, body } = await call(payload);
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, stage: 'RouterRequest', id: payload.id, control: { break: 401 } });
    expect(body.headers['www-authenticate']).toEqual(['Bearer error="invalid_token"']);
    expect(typeof body.body).toBe('string');
    const graphql = JSON.parse(body.body);
    expect(graphql.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.context).toBeUndefined();
  });

  it('breaks with 400 AMBIGUOUS_CREDENTIALS when the two credential headers differ', async () => {
    const a = await userToken(`auth0|${randomUUID()}`);
    const b = await userToken(`auth0|${randomUUID()}`);
    const { body } = await call(routerRequest({ authorization: [`Bearer ${a}`], 'x-user-token': [b] }));
    expect(body.control).toEqual({ break: 400 });
    expect(JSON.parse(body.body).errors[0].extensions.code).toBe('AMBIGUOUS_CREDENTIALS');
  });

  it('breaks with 403 EMAIL_NOT_VERIFIED like /graphql', async () => {
    const email = `${randomUUID()}@example.com`;
    await call(routerRequest({ authorization: [`Bearer ${await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email, email_verified: true })}`] }));
    const unverified = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email, email_verified: false });
    const { body } = await call(routerRequest({ authorization: [`Bearer ${unverified}`] }));
    expect(body.control).toEqual({ break: 403 });
    expect(JSON.parse(body.body).errors[0].extensions.code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('breaks with 503 and Retry-After when the issuer keys cannot be fetched', async () => {
    const token = await unreachable.sign({ sub: `oidc|${randomUUID()}`, aud: 'https://api.test' });
    const { body } = await call(routerRequest({ authorization: [`Bearer ${token}`] }));
    expect(body.control).toEqual({ break: 503 });
    expect(Number(body.headers['retry-after'][0])).toBeGreaterThan(0);
    expect(JSON.parse(body.body).errors[0].extensions.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('names the impersonated user and the actor; an unknown target breaks with 403', async () => {
    const sub = `auth0|${randomUUID()}`;
    const own = await call(routerRequest({ authorization: [`Bearer ${await userToken(sub)}`] }));
    const userId = own.body.headers['x-identity-user-id'][0];
    const impersonating = await issuer.sign({ sub, aud: 'https://api.test', act: { sub: 'admin_01H' } });
    const { body } = await call(routerRequest({ authorization: [`Bearer ${impersonating}`], 'x-identity-impersonator': ['someone-else'] }));
    expect(body.headers['x-identity-user-id']).toEqual([userId]);
    expect(body.headers['x-identity-impersonator']).toEqual(['admin_01H']);
    expect(body.context.entries[CLAIMS]).toMatchObject({ sub: userId, act: { sub: 'admin_01H' } });
    const unknown = await issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', act: { sub: 'admin_01H' } });
    const refused = await call(routerRequest({ authorization: [`Bearer ${unknown}`] }));
    expect(refused.body.control).toEqual({ break: 403 });
    expect(JSON.parse(refused.body.body).errors[0].extensions.code).toBe('IMPERSONATION_TARGET_UNKNOWN');
  });

  it('requires the subgraph secret like /graphql', async () => {
    const token = await userToken(`auth0|${randomUUID()}`);
    const missing = await call(routerRequest({ authorization: [`Bearer ${token}`] }), null);
    expect(missing.status).toBe(403);
    expect(missing.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const wrong = await call(routerRequest({ authorization: [`Bearer ${token}`] }), 'not-the-secret');
    expect(wrong.status).toBe(403);
  });

  it('refuses a payload that is not a RouterRequest with headers, so Router fails closed', async () => {
    const token = await userToken(`auth0|${randomUUID()}`);
    const wrongStage = { ...routerRequest({ authorization: [`Bearer ${token}`] }), stage: 'SupergraphRequest' };
    expect((await call(wrongStage)).status).toBe(400);
    const { headers: _headers, ...noHeaders } = routerRequest({});
    expect((await call(noHeaders)).status).toBe(400);
    const response = await fetch(`${api.url}/router/coprocessor`, { method: 'POST', headers: { 'x-subgraph-secret': SECRET }, body: 'not json' });
    expect(response.status).toBe(400);
  });
});
