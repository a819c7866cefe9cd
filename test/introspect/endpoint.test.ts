// callers.md, "Token introspection for this service's callers": POST /oauth/introspect asked by
// openid-client's tokenIntrospection (a client we did not write) about every principal kind the
// service accepts, and every refusal in RFC 6750's and RFC 7662's terms.
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureMembership } from '../../src/db/memberships.js';
import { insertOrganization } from '../../src/db/organizations.js';
import type { TestApp } from '../helpers/app.js';
import { userIdOf } from '../helpers/battery.js';
import { AUDIENCE } from '../helpers/issuer.js';
import { introspectionEntry, LEGACY_ISSUER, SECRET_VARIABLE, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';
import { parseIssuerList } from '../../src/config/issuers.js';
import { exchangeForm, PLATFORM_ISSUER, platformConfig, postToken } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';
import { expectNoEmptyMembers, introspect, introspectionClient, postIntrospect, serviceToken } from './client.js';

const bed = useTestBed();
let legacy: TestIntrospectionEndpoint;
let api: TestApp;
let caller: string;

beforeAll(async () => {
  legacy = await startIntrospectionEndpoint();
  const introspection = parseIssuerList(JSON.stringify([introspectionEntry(legacy)]), 'test', { [SECRET_VARIABLE]: legacy.clientSecret }).introspection!;
  await bed.database.db.query('delete from platform_keys');
  await bed.database.db.query('delete from platform_key_marker');
  api = await bed.start({ config: { introspection, platform: platformConfig() } });
  caller = await serviceToken(bed.issuer, 'tokens:introspect users:read', 'svc-reporting');
  return () => legacy.close();
});

function userToken(claims: Record<string, unknown> = {}, options: { expiresIn?: number } = {}): Promise<string> {
  return bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, ...claims }, options);
}

async function admin(query: string, variables: Record<string, unknown>) {
  const result = await api.gql(query, { token: await serviceToken(bed.issuer, 'users:admin'), variables });
  expect(result.body.errors).toBeUndefined();
  return result.body.data;
}

describe('an active token', () => {
  it('an IdP user token: the canonical id and the profile, provisioned by this first request', async () => {
    const sub = `auth0|${randomUUID()}`;
    const email = `${randomUUID()}@example.com`;
    const token = await userToken({ sub, email, name: 'Ada Lovelace', sid: 'session-1', azp: 'dashboard' });
    expect(await userIdOf(bed.database.db, bed.issuer.url, sub)).toBeNull();

    const answer = await introspect(api.url, caller, token);

    const userId = await userIdOf(bed.database.db, bed.issuer.url, sub);
    expect(userId).not.toBeNull();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, number>;
    expect(answer).toEqual({
      active: true,
      sub: userId,
      principal: 'user',
      iss: bed.issuer.url,
      idp: 'test',
      email,
      email_verified: true,
      name: 'Ada Lovelace',
      scope: 'user',
      exp: claims['exp'],
      iat: claims['iat'],
      sid: 'session-1',
      client_id: 'dashboard',
    });
    // The same user /graphql sees: no IdP sub anywhere.
    expect((await api.gql('{ viewer { id } }', { token })).body.data.viewer.id).toBe(userId);
  });

  it('leaves out members without a value (no name, no sid, no client, no email)', async () => {
    const answer = await introspect(api.url, caller, await userToken({ email: undefined, email_verified: undefined }));
    expect(answer['active']).toBe(true);
    expect(expectNoEmptyMembers(answer)).toEqual([]);
    for (const member of ['email', 'email_verified', 'name', 'given_name', 'family_name', 'sid', 'client_id']) expect(answer).not.toHaveProperty(member);
  });

  it('scope is the Router coprocessor\'s: `user` and org:<id>:<role> from the database, current after a change', async () => {
    const token = await userToken();
    const userId = (await introspect(api.url, caller, token))['sub'] as string;
    const org = await insertOrganization(bed.database.db, { id: randomUUID(), name: 'Acme' });
    const membership = await ensureMembership(bed.database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'OWNER' });
    expect((await introspect(api.url, caller, token))['scope']).toBe(`user org:${org.id}:OWNER`);
    const coprocessor = await fetch(`${api.url}/router/coprocessor`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: '1', headers: { authorization: [`Bearer ${token}`] } }),
    });
    const claims = ((await coprocessor.json()) as any).context.entries['apollo::authentication::jwt_claims'];
    expect(claims.scope).toBe(`user org:${org.id}:OWNER`);
    // A role changed (here behind the service's back) shows at once: nothing stale is kept.
    await bed.database.db.query(`update memberships set role = 'MEMBER' where id = $1`, [membership.membership.id]);
    expect((await introspect(api.url, caller, token))['scope']).toBe(`user org:${org.id}:MEMBER`);
    await bed.database.db.query('delete from memberships where id = $1', [membership.membership.id]);
    expect((await introspect(api.url, caller, token))['scope']).toBe('user');
  });

  it('a service principal: principal "service", its own sub and client, its allowed scope, no user members', async () => {
    const token = await serviceToken(bed.issuer, 'users:read not-allowed-here', 'svc-billing');
    const answer = await introspect(api.url, caller, token);
    expect(answer).toMatchObject({ active: true, principal: 'service', sub: 'svc-billing', client_id: 'svc-billing', scope: 'users:read', iss: bed.issuer.url, idp: 'test' });
    for (const member of ['email', 'email_verified', 'name', 'sid']) expect(answer).not.toHaveProperty(member);
  });

  it('a platform token: iss PLATFORM_ISSUER, idp the IdP, its client, scope narrowed to the token\'s', async () => {
    const subject = await userToken();
    const userId = (await introspect(api.url, caller, subject))['sub'] as string;
    const org = await insertOrganization(bed.database.db, { id: randomUUID(), name: 'Globex' });
    await ensureMembership(bed.database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'ADMIN' });
    const minted = await postToken(api.url, exchangeForm(subject, { scope: 'user', client_id: 'cli' }));
    expect(minted.status).toBe(200);
    const answer = await introspect(api.url, caller, minted.body.access_token);
    expect(answer).toMatchObject({ active: true, principal: 'user', sub: userId, iss: PLATFORM_ISSUER, idp: 'test', client_id: 'cli', scope: 'user' });
    // The full set when the token was minted with everything.
    const full = await postToken(api.url, exchangeForm(subject));
    expect((await introspect(api.url, caller, full.body.access_token))['scope']).toBe(`user org:${org.id}:ADMIN`);
  });

  it('an opaque legacy session: iss the entry\'s issuer, idp its name', async () => {
    const session = `legacy-${randomUUID()}`;
    const email = `${randomUUID()}@example.com`;
    legacy.setSession(session, { sub: `legacy-user-${randomUUID()}`, email, email_verified: true, name: 'Grace' });
    const answer = await introspect(api.url, caller, session);
    expect(answer).toMatchObject({ active: true, principal: 'user', iss: LEGACY_ISSUER, idp: 'legacy', email, name: 'Grace', scope: 'user' });
    // No `exp` in the answer: none to give.
    expect(answer).not.toHaveProperty('exp');
    expect((await api.gql('{ viewer { id } }', { token: session })).body.data.viewer.id).toBe(answer['sub']);
    legacy.setSession(session, null);
  });

  it('answers no-store JSON', async () => {
    const response = await postIntrospect(api.url, [['token', await userToken()], ['token_type_hint', 'refresh_token']], `Bearer ${caller}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.active).toBe(true);
  });
});

describe('a token that must not work is inactive, and says nothing else', () => {
  const inactive = async (token: string) => expect(await introspect(api.url, caller, token)).toEqual({ active: false });

  it('expired, forged, garbage, another issuer\'s, oversized', async () => {
    await inactive(await userToken({ exp: Math.floor(Date.now() / 1000) - 5, iat: Math.floor(Date.now() / 1000) - 100 }));
    await inactive(await bed.issuer.sign({ sub: 'auth0|forged', aud: AUDIENCE }, { key: 'other' }));
    await inactive('not a token');
    await inactive('a.b.c');
    await inactive(await userToken({ aud: 'https://someone-else.test' }));
    await inactive('x'.repeat(9000));
  });

  it('an unknown opaque session', async () => {
    await inactive(`legacy-${randomUUID()}`);
  });

  it('revoked, suspended, deleted', async () => {
    const revoked = await userToken();
    const revokedId = (await introspect(api.url, caller, revoked))['sub'];
    await admin('mutation ($id: ID!) { revokeSessions(userId: $id) }', { id: revokedId });
    await inactive(revoked);

    const suspended = await userToken();
    const suspendedId = (await introspect(api.url, caller, suspended))['sub'];
    await admin('mutation ($id: ID!) { suspendUser(userId: $id) { id } }', { id: suspendedId });
    await inactive(suspended);
    await admin('mutation ($id: ID!) { reactivateUser(userId: $id) { id } }', { id: suspendedId });
    expect((await introspect(api.url, caller, suspended))['active']).toBe(true);

    const deleted = await userToken();
    const deletedId = (await introspect(api.url, caller, deleted))['sub'];
    await admin('mutation ($id: ID!) { deleteUser(userId: $id) }', { id: deletedId });
    await inactive(deleted);
  });

  it('a platform token of a suspended user', async () => {
    const subject = await userToken();
    const minted = await postToken(api.url, exchangeForm(subject));
    const userId = (await introspect(api.url, caller, minted.body.access_token))['sub'];
    await admin('mutation ($id: ID!) { suspendUser(userId: $id) { id } }', { id: userId });
    await inactive(minted.body.access_token);
  });

  it('an unverified email meeting a verified user\'s (403 EMAIL_NOT_VERIFIED on /graphql)', async () => {
    const email = `${randomUUID()}@example.com`;
    expect((await introspect(api.url, caller, await userToken({ email })))['active']).toBe(true);
    await inactive(await userToken({ email, email_verified: false }));
  });
});

describe('the caller', () => {
  it('without credentials: 401 with the bare Bearer challenge, nothing about the token', async () => {
    const response = await postIntrospect(api.url, [['token', await userToken()]], null);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.text).not.toContain('active');
    await expect(client.tokenIntrospection(introspectionClient(api.url, null), await userToken())).rejects.toThrow();
  });

  it('with credentials that fail verification or another scheme: 401 invalid_token', async () => {
    const expired = await serviceToken(bed.issuer, 'tokens:introspect');
    const forged = await bed.issuer.sign({ sub: 'svc-x', client_id: 'svc-x', aud: AUDIENCE, scope: 'tokens:introspect' }, { key: 'other' });
    const stale = await bed.issuer.sign({ sub: 'svc-y', client_id: 'svc-y', aud: AUDIENCE, scope: 'tokens:introspect', exp: Math.floor(Date.now() / 1000) - 1 });
    for (const authorization of [`Bearer ${forged}`, `Bearer ${stale}`, 'Bearer garbage', `Basic ${Buffer.from('a:b').toString('base64')}`, 'Bearer ']) {
      const response = await postIntrospect(api.url, [['token', expired]], authorization);
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(response.body).toEqual({ error: 'invalid_token' });
    }
    const viaClient = client.tokenIntrospection(introspectionClient(api.url, forged), expired);
    await expect(viaClient).rejects.toMatchObject({ status: 401 });
  });

  it('a user, or a service without tokens:introspect: 403 insufficient_scope (RFC 6750 §3.1)', async () => {
    for (const token of [await userToken(), await serviceToken(bed.issuer, 'users:read users:admin')]) {
      const response = await postIntrospect(api.url, [['token', await userToken()]], `Bearer ${token}`);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
      expect(response.body).toEqual({ error: 'insufficient_scope' });
      await expect(client.tokenIntrospection(introspectionClient(api.url, token), await userToken())).rejects.toMatchObject({ status: 403 });
    }
  });

  it('the token field missing, empty or repeated: 400 invalid_request', async () => {
    const token = await userToken();
    for (const form of [[], [['token', '']], [['token', token], ['token', token]], [['token_type_hint', 'access_token']]] as [string, string][][]) {
      const response = await postIntrospect(api.url, form, `Bearer ${caller}`);
      expect(response.status, JSON.stringify(form)).toBe(400);
      expect(response.body.error).toBe('invalid_request');
    }
    expect((await postIntrospect(api.url, JSON.stringify({ token }), `Bearer ${caller}`, 'application/json')).status).toBe(400);
  });

  it('is outside SUBGRAPH_SECRET', async () => {
    const guarded = await bed.start({ config: { subgraphSecret: 'router-only-secret' } });
    expect(await introspect(guarded.url, caller, await userToken())).toMatchObject({ active: true });
    expect((await guarded.gql('{ __typename }')).status).toBe(403);
  });
});

describe('discovery', () => {
  it('advertises introspection_endpoint in both documents when platform tokens are on', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const document = (await (await fetch(`${api.url}${path}`)).json()) as Record<string, unknown>;
      expect(document['introspection_endpoint']).toBe(`${PLATFORM_ISSUER}/oauth/introspect`);
    }
    // openid-client finds it by discovery and asks there.
    const toLoopback: client.CustomFetch = (url, options) => {
      const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
      headers.set('authorization', `Bearer ${caller}`);
      return fetch(url.replace(PLATFORM_ISSUER, api.url), { ...(options as RequestInit), headers });
    };
    const config = await client.discovery(new URL(PLATFORM_ISSUER), 'resource-server', undefined, client.None(), { algorithm: 'oauth2', [client.customFetch]: toLoopback });
    expect((await client.tokenIntrospection(config, await userToken())).active).toBe(true);
  });

  it('the endpoint is on without platform tokens (and nothing is advertised then)', async () => {
    const plain = await bed.start();
    expect(await introspect(plain.url, caller, await userToken())).toMatchObject({ active: true, principal: 'user' });
    expect((await fetch(`${plain.url}/.well-known/openid-configuration`)).status).toBe(404);
  });
});
