// POST /oauth/token, token exchange (RFC 8693): a subject token that passes /graphql's
// authentication becomes a platform token (RFC 9068) whose sub is the canonical id and whose
// scopes come from this database; every refusal in RFC 6749 §5.2's shape. The platform token is
// then accepted by /graphql and the coprocessor without provisioning.
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureMembership } from '../../src/db/memberships.js';
import { insertOrganization } from '../../src/db/organizations.js';
import type { TestApp } from '../helpers/app.js';
import { issuerConfig } from '../helpers/issuer.js';
import { useTestBed } from '../helpers/testBed.js';
import { ACCESS_TOKEN, EXCHANGE, exchangeForm, PLATFORM_ISSUER, platformConfig, postToken } from '../helpers/platform.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const bed = useTestBed();
let api: TestApp;
let off: TestApp;

beforeAll(async () => {
  const issuers = [issuerConfig(bed.issuer, { name: 'auth0', kind: 'auth0' })];
  api = await bed.start({ issuers, config: { platform: platformConfig() } });
  off = await bed.start({ issuers });
});

function userToken(claims: Record<string, unknown> = {}, options: { expiresIn?: number } = {}) {
  return bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true, ...claims }, options);
}

async function exchange(subject: string, extra: Record<string, string> = {}) {
  return postToken(api.url, exchangeForm(subject, extra));
}

describe('token exchange', () => {
  it('issues an at+jwt for the canonical user, with database scopes, email, idp and the subject’s sid', async () => {
    const email = `${randomUUID()}@example.com`;
    const subject = await userToken({ email, sid: 'idp-session-1' });
    const viewer = await api.gql('{ viewer { id } }', { token: subject });
    const userId = viewer.body.data.viewer.id as string;
    const org = await insertOrganization(bed.database.db, { id: randomUUID(), name: 'Acme' });
    await ensureMembership(bed.database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'ADMIN' });

    const answer = await exchange(subject);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({ issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 900 });
    const header = decodeProtectedHeader(answer.body.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    const claims = decodeJwt(answer.body.access_token);
    expect(claims).toMatchObject({ iss: PLATFORM_ISSUER, aud: PLATFORM_ISSUER, sub: userId, email, email_verified: true, idp: 'auth0', sid: 'idp-session-1' });
    expect(claims.scope).toBe(`user org:${org.id}:ADMIN`);
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.jti).toMatch(UUID);
    expect(claims.act).toBeUndefined();
    expect(JSON.stringify(claims)).not.toContain('auth0|');
  });

  it('provisions a first-time subject exactly as /graphql would, and gives a new sid when the subject has none', async () => {
    const subject = await userToken();
    const answer = await exchange(subject);
    expect(answer.status).toBe(200);
    const claims = decodeJwt(answer.body.access_token);
    expect(claims.sub).toMatch(UUID);
    expect(claims.sid).toMatch(UUID);
    const viewer = await api.gql('{ viewer { id } }', { token: subject });
    expect(viewer.body.data.viewer.id).toBe(claims.sub);
  });

  it('narrows to a requested subset of scopes and refuses any scope the user does not hold', async () => {
    const subject = await userToken();
    const userId = decodeJwt((await exchange(subject)).body.access_token).sub!;
    const org = await insertOrganization(bed.database.db, { id: randomUUID(), name: 'Narrow' });
    await ensureMembership(bed.database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'MEMBER' });

    const narrowed = await exchange(subject, { scope: `org:${org.id}:MEMBER` });
    expect(narrowed.status).toBe(200);
    expect(decodeJwt(narrowed.body.access_token).scope).toBe(`org:${org.id}:MEMBER`);
    expect(narrowed.body.scope).toBe(`org:${org.id}:MEMBER`);

    for (const scope of [`org:${org.id}:OWNER`, 'user users:admin', `org:${randomUUID()}:MEMBER`]) {
      const widened = await exchange(subject, { scope });
      expect(widened.status).toBe(400);
      expect(widened.body.error).toBe('invalid_scope');
      expect(widened.body.access_token).toBeUndefined();
    }
  });

  it('carries an impersonation’s actor as act, for a known target only', async () => {
    const sub = `auth0|${randomUUID()}`;
    await exchange(await userToken({ sub }));
    const answer = await exchange(await userToken({ sub, act: { sub: 'admin@workos' } }));
    expect(answer.status).toBe(200);
    expect(decodeJwt(answer.body.access_token).act).toEqual({ sub: 'admin@workos' });
    const viewer = await api.gql('{ viewer { impersonator } }', { token: answer.body.access_token });
    expect(viewer.body.data.viewer.impersonator).toBe('admin@workos');

    const unknown = await exchange(await userToken({ act: { sub: 'admin@workos' } }));
    expect(unknown.status).toBe(403);
    expect(unknown.body).toEqual({ error: 'access_denied', error_description: 'IMPERSONATION_TARGET_UNKNOWN' });
  });
});

describe('token exchange refusals', () => {
  it('refuses an unknown grant type and malformed requests', async () => {
    const subject = await userToken();
    const cases: [Record<string, string> | [string, string][], string, string?][] = [
      [{ grant_type: 'password', username: 'a', password: 'b' }, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [{ subject_token: subject, subject_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [{ grant_type: EXCHANGE, subject_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [{ grant_type: EXCHANGE, subject_token: subject }, 'invalid_request'],
      [{ grant_type: EXCHANGE, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request'],
      [{ grant_type: EXCHANGE, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request'],
      [[['grant_type', EXCHANGE], ['subject_token', subject], ['subject_token', subject], ['subject_token_type', ACCESS_TOKEN]], 'invalid_request'],
      [[['grant_type', EXCHANGE], ['grant_type', EXCHANGE], ['subject_token', subject], ['subject_token_type', ACCESS_TOKEN]], 'invalid_request'],
      [{ ...exchangeForm(subject), actor_token: subject, actor_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [{ ...exchangeForm(subject), requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request'],
    ];
    for (const [form, error] of cases) {
      const answer = await postToken(api.url, form);
      expect(answer.status, JSON.stringify(form)).toBe(400);
      expect(answer.body.error).toBe(error);
      expect(typeof answer.body.error_description).toBe('string');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    const json = await postToken(api.url, exchangeForm(subject), 'application/json');
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
  });

  it('answers invalid_grant for a subject that fails verification, and says nothing internal', async () => {
    const forged = await bed.issuer.sign({ sub: 'auth0|x', aud: 'https://api.test' }, { key: 'other' });
    const expired = await userToken({}, { expiresIn: -10 });
    const wrongAudience = await bed.issuer.sign({ sub: 'auth0|x', aud: 'https://other.api' });
    for (const token of [forged, expired, wrongAudience, 'not-a-jwt', 'a.b.c']) {
      const answer = await exchange(token);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
      expect(JSON.stringify(answer.body)).not.toMatch(/jose|ERR_|127\.0\.0\.1|stack/i);
    }
  });

  it('never exchanges a platform token or a service principal’s token', async () => {
    const platform = (await exchange(await userToken())).body.access_token as string;
    const again = await exchange(platform);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');

    const service = await bed.issuer.sign({ sub: 'svc@clients', azp: 'svc', aud: 'https://api.test', gty: 'client-credentials', scope: 'users:admin' });
    const answer = await exchange(service);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('answers 403 access_denied EMAIL_NOT_VERIFIED where /graphql answers EMAIL_NOT_VERIFIED', async () => {
    const email = `${randomUUID()}@example.com`;
    await exchange(await userToken({ email, email_verified: true }));
    const unverified = await userToken({ email, email_verified: false });
    const answer = await exchange(unverified);
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: 'access_denied', error_description: 'EMAIL_NOT_VERIFIED' });
    expect((await api.gql('{ viewer { id } }', { token: unverified })).body.errors?.[0]?.extensions?.code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('answers 404 on every platform endpoint when PLATFORM_ISSUER is unset, and the token is not accepted there', async () => {
    expect((await postToken(off.url, exchangeForm(await userToken()))).status).toBe(404);
    expect((await fetch(`${off.url}/.well-known/jwks.json`)).status).toBe(404);
    expect((await fetch(`${off.url}/.well-known/openid-configuration`)).status).toBe(404);
    expect((await fetch(`${off.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
    const platform = (await exchange(await userToken())).body.access_token as string;
    expect((await off.gql('{ viewer { id } }', { token: platform })).status).toBe(401);
  });
});

describe('platform tokens on /graphql', () => {
  it('resolve to the canonical user without provisioning anything', async () => {
    const subject = await userToken();
    const platform = (await exchange(subject)).body.access_token as string;
    const userId = decodeJwt(platform).sub!;
    const before = await bed.database.db.query<{ n: number }>('select count(*)::int as n from identities');
    const viewer = await api.gql('{ viewer { id email } }', { token: platform });
    expect(viewer.status).toBe(200);
    expect(viewer.body.data.viewer.id).toBe(userId);
    const after = await bed.database.db.query<{ n: number }>('select count(*)::int as n from identities');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('refuse a token naming our issuer that our keys did not sign, or that is not an at+jwt', async () => {
    const platform = (await exchange(await userToken())).body.access_token as string;
    const claims = decodeJwt(platform);
    const header = decodeProtectedHeader(platform);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: header.kid!, typ: 'at+jwt' }).sign(privateKey);
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'nope', typ: 'at+jwt' }).sign(privateKey);
    for (const token of [forged, unknownKid, `${platform.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url')}.${platform.split('.')[2]}`]) {
      const answer = await api.gql('{ viewer { id } }', { token });
      expect(answer.status).toBe(401);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
