// Spec "GraphQL → ensureUser", over HTTP against a production-mode app: a user ensuring
// themselves, a service with users:write getting or creating by email (and a later verified
// sign-in joining that user), and everyone else refused with the right code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, countUsers, expectNoLeak, unique, uniqueEmail, usersWithEmail, UUID_V4 } from '../helpers/battery.js';

let issuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;

const ENSURE_SELF = 'mutation { ensureUser { created user { id email emailVerified name } } }';
const ENSURE = 'mutation($input: EnsureUserInput) { ensureUser(input: $input) { created user { id email emailVerified name } } }';

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  api = await startTestApp({ production: true, database: database.db, issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })] });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

function userToken(claims: Record<string, unknown> = {}): Promise<string> {
  return issuer.sign({ sub: unique('auth0|eu'), aud: AUDIENCE, ...claims });
}

/** An Auth0 client-credentials token; scopes in `scope` (string) or `permissions` (array). */
function serviceToken(scope: { scope?: string; permissions?: string[] }): Promise<string> {
  const client = unique('svc');
  return issuer.sign({ sub: `${client}@clients`, azp: client, aud: AUDIENCE, gty: 'client-credentials', ...scope });
}

function ensure(token: string | undefined, input: Record<string, unknown> | null | undefined) {
  return api.gql(ENSURE, { token, variables: input === undefined ? {} : { input } });
}

function codeOf(response: { body: { errors?: { extensions?: Record<string, any> }[] } }): unknown {
  return response.body.errors?.[0]?.extensions?.['code'];
}

describe('ensureUser without input, by a user', () => {
  it('ensures the caller: created true on the first-ever request, false after', async () => {
    const email = uniqueEmail('self');
    const sub = unique('auth0|self');
    const first = await api.gql(ENSURE_SELF, { token: await userToken({ sub, email, email_verified: true, name: 'Self' }) });
    expect(first.status).toBe(200);
    expect(first.body.data.ensureUser).toMatchObject({ created: true, user: { email, emailVerified: true, name: 'Self' } });
    expect(first.body.data.ensureUser.user.id).toMatch(UUID_V4);
    const token = await userToken({ sub, email, email_verified: true, name: 'Self' });
    const second = await api.gql(ENSURE_SELF, { token });
    expect(second.body.data.ensureUser).toEqual({ ...first.body.data.ensureUser, created: false });
    const third = await ensure(token, null);
    expect(third.body.data.ensureUser.created).toBe(false);
    expect(third.body.data.ensureUser.user.id).toBe(first.body.data.ensureUser.user.id);
  });

  it('reports the creation once when one operation calls ensureUser twice', async () => {
    const response = await api.gql('mutation { a: ensureUser { created user { id } } b: ensureUser { created user { id } } }', { token: await userToken() });
    expect(response.body.data.a.created).toBe(true);
    expect(response.body.data.b.created).toBe(false);
    expect(response.body.data.b.user.id).toBe(response.body.data.a.user.id);
  });

  it('answers created false when an earlier request (any field) already provisioned the caller', async () => {
    const sub = unique('auth0|earlier');
    const viewer = await api.gql('{ viewer { id } }', { token: await userToken({ sub }) });
    const ensured = await api.gql(ENSURE_SELF, { token: await userToken({ sub }) });
    expect(ensured.body.data.ensureUser).toMatchObject({ created: false, user: { id: viewer.body.data.viewer.id } });
  });

  it('answers created false when the sign-in joined an existing user by verified email', async () => {
    const email = uniqueEmail('joined');
    const first = await api.gql(ENSURE_SELF, { token: await userToken({ email, email_verified: true }) });
    const joined = await api.gql(ENSURE_SELF, { token: await userToken({ email, email_verified: true }) });
    expect(joined.body.data.ensureUser).toMatchObject({ created: false, user: { id: first.body.data.ensureUser.user.id } });
  });
});

describe('ensureUser(input) by a service holding users:write', () => {
  it('creates a user by email, verified, normalised; a second call finds it (created false)', async () => {
    const email = uniqueEmail('svc');
    const token = await serviceToken({ scope: 'users:read users:write' });
    const first = await ensure(token, { email: `  ${email.toUpperCase()} `, name: '  Grace  ' });
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.ensureUser).toMatchObject({ created: true, user: { email, emailVerified: true, name: 'Grace' } });
    const id = first.body.data.ensureUser.user.id;
    expect(id).toMatch(UUID_V4);
    const second = await ensure(token, { email });
    expect(second.body.data.ensureUser).toMatchObject({ created: false, user: { id, email } });
    expect(await usersWithEmail(database.db, email)).toEqual([{ id, email_verified: true }]);
    const identities = await database.db.query<{ n: string | number }>('select count(*) as n from identities where user_id = $1', [id]);
    expect(Number(identities[0]!.n)).toBe(0);
  });

  it('keeps a supplied name to the display-name bound (256 characters, as from a token), blank as none', async () => {
    const token = await serviceToken({ scope: 'users:read users:write' });
    const long = await ensure(token, { email: uniqueEmail('long'), name: `  ${'é'.repeat(300)}  ` });
    expect(long.body.data.ensureUser.user.name).toBe('é'.repeat(256));
    const blank = await ensure(token, { email: uniqueEmail('blank'), name: '   ' });
    expect(blank.body.data.ensureUser.user.name).toBeNull();
  });

  it('a users:write service without users:read sees the email it supplied, only on the user it ensured', async () => {
    const email = uniqueEmail('write-only');
    const token = await serviceToken({ scope: 'users:write' });
    const first = await ensure(token, { email: email.toUpperCase() });
    expect(first.body.data.ensureUser).toMatchObject({ created: true, user: { email, emailVerified: true } });
    const second = await ensure(token, { email });
    expect(second.body.data.ensureUser).toMatchObject({ created: false, user: { id: first.body.data.ensureUser.user.id, email } });
    const lookup = await api.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }', {
      token,
      variables: { r: [{ __typename: 'User', id: first.body.data.ensureUser.user.id }] },
    });
    expect(lookup.body.data._entities[0]).toEqual({ id: first.body.data.ensureUser.user.id, email: null });
  });

  it('accepts the scope from Auth0 RBAC `permissions`', async () => {
    const response = await ensure(await serviceToken({ permissions: ['users:write'] }), { email: uniqueEmail('perm') });
    expect(response.body.data.ensureUser.created).toBe(true);
  });

  it('finds an existing verified user created by a sign-in', async () => {
    const email = uniqueEmail('signed-in');
    const viewer = await api.gql('{ viewer { id } }', { token: await userToken({ email, email_verified: true }) });
    const ensured = await ensure(await serviceToken({ scope: 'users:write' }), { email });
    expect(ensured.body.data.ensureUser).toMatchObject({ created: false, user: { id: viewer.body.data.viewer.id } });
  });

  it('a later verified sign-in with that email JOINS the ensured user; an unverified one is refused', async () => {
    const email = uniqueEmail('join');
    const ensured = await ensure(await serviceToken({ scope: 'users:write' }), { email, name: 'Invited' });
    const id = ensured.body.data.ensureUser.user.id;
    const refused = await api.gql('{ viewer { id } }', { token: await userToken({ email, email_verified: false }) });
    expect(refused.status).toBe(403);
    expect(codeOf(refused)).toBe('EMAIL_NOT_VERIFIED');
    const sub = unique('auth0|invitee');
    const signIn = await api.gql('{ viewer { id email identities { subject } } }', { token: await userToken({ sub, email, email_verified: true }) });
    expect(signIn.body.data.viewer).toEqual({ id, email, identities: [{ subject: sub }] });
    const self = await api.gql(ENSURE_SELF, { token: await userToken({ sub, email, email_verified: true }) });
    expect(self.body.data.ensureUser).toMatchObject({ created: false, user: { id } });
  });

  it('concurrent calls for one email create one user', async () => {
    const email = uniqueEmail('svc-race');
    const token = await serviceToken({ scope: 'users:write' });
    const responses = await Promise.all(Array.from({ length: 10 }, () => ensure(token, { email })));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(responses.map((r) => codeOf(r) ?? null)).toEqual(Array(10).fill(null));
    expect(new Set(responses.map((r) => r.body.data.ensureUser.user.id)).size).toBe(1);
    expect(responses.filter((r) => r.body.data.ensureUser.created)).toHaveLength(1);
    expect(await usersWithEmail(database.db, email)).toHaveLength(1);
  });

  it('writes the creation to the audit log with the service as actor', async () => {
    const email = uniqueEmail('audit');
    const client = unique('svc-audit');
    const sub = `${client}@clients`;
    const token = await issuer.sign({ sub, azp: client, aud: AUDIENCE, gty: 'client-credentials', scope: 'users:write' });
    const id = (await ensure(token, { email })).body.data.ensureUser.user.id;
    const rows = await database.db.query<{ actor_type: string; actor_id: string | null }>(
      'select actor_type, actor_id from audit_events where target_id = $1',
      [id],
    );
    expect(rows).toEqual([{ actor_type: 'service', actor_id: sub }]);
  });

  it('refuses a malformed email: BAD_USER_INPUT, nothing created', async () => {
    const token = await serviceToken({ scope: 'users:write' });
    const before = await countUsers(database.db);
    for (const email of ['', '   ', 'not-an-email', 'a@b', '@example.com', 'ada@', 'a b@example.com', 'a@@example.com', `${'x'.repeat(250)}@example.com`]) {
      const response = await ensure(token, { email });
      expect(codeOf(response), JSON.stringify(email)).toBe('BAD_USER_INPUT');
      expect(response.body.data ?? null).toBeNull();
      expectNoLeak(JSON.stringify(response.body));
    }
    expect(await countUsers(database.db)).toBe(before);
  });
});

describe('ensureUser refused', () => {
  it('a service without users:write: FORBIDDEN', async () => {
    const before = await countUsers(database.db);
    for (const scope of [{ scope: 'users:read' }, { scope: 'users:writer organizations:admin' }, {}]) {
      const response = await ensure(await serviceToken(scope), { email: uniqueEmail('noscope') });
      expect(codeOf(response), JSON.stringify(scope)).toBe('FORBIDDEN');
      expect(response.body.data ?? null).toBeNull();
    }
    expect(await countUsers(database.db)).toBe(before);
  });

  it('a user with input: FORBIDDEN, even with users:write claimed in the token', async () => {
    const token = await userToken({ scope: 'users:write', permissions: ['users:write'], roles: ['admin'] });
    await api.gql('{ viewer { id } }', { token });
    const before = await countUsers(database.db);
    const response = await ensure(token, { email: uniqueEmail('user-input') });
    expect(codeOf(response)).toBe('FORBIDDEN');
    expect(response.body.data ?? null).toBeNull();
    expect(await countUsers(database.db)).toBe(before);
  });

  it('anonymous: UNAUTHENTICATED, with and without input', async () => {
    const before = await countUsers(database.db);
    for (const input of [undefined, { email: uniqueEmail('anon') }]) {
      const response = await ensure(undefined, input);
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
      expect(response.status).toBe(401);
      // RFC 6750 §3.1: no token was sent, so the challenge carries no error code.
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.body.data ?? null).toBeNull();
    }
    expect(await countUsers(database.db)).toBe(before);
  });

  it('a service without input: BAD_USER_INPUT (a service is not a user to ensure)', async () => {
    const response = await ensure(await serviceToken({ scope: 'users:write' }), null);
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
  });

  it('an input without email is a validation error, not a crash', async () => {
    const response = await api.gql('mutation { ensureUser(input: { name: "x" }) { created } }', { token: await serviceToken({ scope: 'users:write' }) });
    expect(response.status).toBe(400);
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
