// API keys beyond /graphql (api-keys.md, Use): the Router coprocessor (scope string capped by the
// key and the creator's role now; personal: user id + principal user; organization: principal
// api_key + organization id, no user id), POST /oauth/token (a personal key exchanges for a
// platform token of its user narrowed to the key, never outliving it; an organization key
// 400 invalid_grant), and lastUsedAt (at most one write a minute, none per request).
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, revokeKey } from '../helpers/apiKeys.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';

let issuer: TestIssuer;
let database: TestDatabase;
let app: TestApp;
let statements: string[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  app = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'test' })], database: database.db, config: { platform: platformConfig() } });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await issuer?.close();
});

async function signIn() {
  const email = `u-${randomUUID()}@example.com`;
  const token = await issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true });
  const answer = await app.gql('{ viewer { id } }', { token });
  return { id: answer.body.data.viewer.id as string, token, email };
}

async function orgWithAdmin() {
  const owner = await signIn();
  const admin = await signIn();
  const org = await app.gql('mutation { createOrganization(input: { name: "Acme" }) { id } }', { token: owner.token });
  const orgId = org.body.data.createOrganization.id as string;
  const other = (await app.gql('mutation { createOrganization(input: { name: "Other" }) { id } }', { token: admin.token })).body.data.createOrganization.id as string;
  const invitation = await app.gql('mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }', { token: owner.token, variables: { input: { organizationId: orgId, email: admin.email, role: 'ADMIN' } } });
  await app.gql('mutation ($id: ID!) { acceptInvitation(id: $id) { id } }', { token: admin.token, variables: { id: invitation.body.data.inviteMember.id } });
  return { orgId, other, owner, admin };
}

async function coprocessor(token: string, extra: Record<string, string[]> = {}) {
  const response = await fetch(`${app.url}/router/coprocessor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: randomUUID(), headers: { authorization: [`Bearer ${token}`], ...extra } }),
  });
  return (await response.json()) as { control: unknown; headers: Record<string, string[]>; context: { entries: Record<string, any> } };
}

describe('the Router coprocessor', () => {
  it('a personal key: its user, principal user, scopes narrowed to the key and capped by it', async () => {
    const { orgId, other, admin } = await orgWithAdmin();
    const key = await createKey(app.gql, admin.token, { scopes: ['user', `org:${orgId}:read`] });
    const answer = await coprocessor(key.secret, { 'x-identity-user-id': ['forged'] });
    expect(answer.control).toBe('continue');
    expect(answer.headers['x-identity-user-id']).toEqual([admin.id]);
    expect(answer.headers['x-identity-principal']).toEqual(['user']);
    expect(answer.headers['x-identity-organization-id']).toBeUndefined();
    const claims = answer.context.entries['apollo::authentication::jwt_claims'];
    expect(claims.sub).toBe(admin.id);
    expect(claims.scope.split(' ').sort()).toEqual(['user', `org:${orgId}:MEMBER`].sort());
    expect(claims.scope).not.toContain(other);
    const bare = await createKey(app.gql, admin.token, { scopes: [`org:${orgId}:write`] });
    expect((await coprocessor(bare.secret)).context.entries['apollo::authentication::jwt_claims'].scope).toBe(`org:${orgId}:ADMIN`);
  });

  it('an organization key: principal api_key, the organization id, no user id; revoked or mistyped: break 401', async () => {
    const { orgId, admin } = await orgWithAdmin();
    const key = await createKey(app.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:write`] });
    const answer = await coprocessor(key.secret);
    expect(answer.headers['x-identity-principal']).toEqual(['api_key']);
    expect(answer.headers['x-identity-organization-id']).toEqual([orgId]);
    expect(answer.headers['x-identity-user-id']).toBeUndefined();
    const claims = answer.context.entries['apollo::authentication::jwt_claims'];
    expect(claims.scope).toBe(`org:${orgId}:ADMIN`);
    expect(claims.sub).toBe(key.id);
    await revokeKey(app.gql, admin.token, key.id);
    expect((await coprocessor(key.secret)).control).toEqual({ break: 401 });
    expect((await coprocessor(`${key.secret.slice(0, 54)}0`)).control).toEqual({ break: 401 });
  });
});

describe('POST /oauth/token', () => {
  it('a personal key exchanges for a platform token of its user, narrowed to the key, never outliving it', async () => {
    const { orgId, admin } = await orgWithAdmin();
    const expiresAt = new Date(Date.now() + 120_000);
    const key = await createKey(app.gql, admin.token, { scopes: ['user', `org:${orgId}:read`], expiresAt: expiresAt.toISOString() });
    const answer = await postToken(app.url, exchangeForm(key.secret));
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token);
    expect(claims.sub).toBe(admin.id);
    expect(String(claims.scope).split(' ').sort()).toEqual(['user', `org:${orgId}:MEMBER`].sort());
    expect(claims.exp).toBeLessThanOrEqual(Math.floor(expiresAt.getTime() / 1000));
    // Asking for more than the key carries: invalid_scope.
    const more = await postToken(app.url, exchangeForm(key.secret, { scope: `org:${orgId}:ADMIN` }));
    expect(more.status).toBe(400);
    expect(more.body.error).toBe('invalid_scope');
    // The platform token works on /graphql as its user, no more than the key: own data with `user` only.
    expect((await app.gql('{ viewer { id email } }', { token: answer.body.access_token })).body.data.viewer).toEqual({ id: admin.id, email: admin.email });
    const bare = await createKey(app.gql, admin.token, { scopes: [] });
    const narrowed = await postToken(app.url, exchangeForm(bare.secret));
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token).scope).toBe('');
    const asBare = await app.gql('query ($id: ID!) { viewer { id email } organization(id: $id) { id } }', { token: narrowed.body.access_token, variables: { id: orgId } });
    expect(asBare.body.data).toEqual({ viewer: { id: admin.id, email: null }, organization: null });
  });

  it('an organization key is refused: 400 invalid_grant; a revoked or unknown key: 400 invalid_grant', async () => {
    const { orgId, admin } = await orgWithAdmin();
    const orgKey = await createKey(app.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] });
    const refused = await postToken(app.url, exchangeForm(orgKey.secret));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
    const personal = await createKey(app.gql, admin.token, { scopes: ['user'] });
    await revokeKey(app.gql, admin.token, personal.id);
    expect((await postToken(app.url, exchangeForm(personal.secret))).body.error).toBe('invalid_grant');
  });
});

describe('lastUsedAt', () => {
  it('is stamped once, not per request: a warm key makes no statement at all', async () => {
    const alice = await signIn();
    const key = await createKey(app.gql, alice.token, { scopes: ['user'] });
    expect((await app.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    await eventually(async () => {
      const listed = await app.gql('{ viewer { apiKeys { id lastUsedAt } } }', { token: alice.token });
      expect(listed.body.data.viewer.apiKeys[0].lastUsedAt).not.toBeNull();
    });
    statements = [];
    for (let i = 0; i < 50; i += 1) expect((await app.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(statements.filter((s) => s.includes('api_keys'))).toEqual([]);
  });
});
