// A third party's view: platform tokens verified with jose's createRemoteJWKSet against the
// served JWKS (discovered through openid-configuration), for each signing algorithm; and an
// OAuth client (openid-client) discovering the issuer by RFC 8414, exchanging a token with it,
// and the result checked as an RFC 9068 access token.
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { useTestBed } from '../helpers/testBed.js';
import { exchangeForm, PLATFORM_ISSUER, platformConfig, postToken } from '../helpers/platform.js';

const bed = useTestBed();

describe.each(['ES256', 'RS256', 'EdDSA'] as const)('a third party verifying %s platform tokens', (alg) => {
  it('finds the JWKS through discovery and verifies the token with jose as any service would', async () => {
    await bed.database.db.query('delete from platform_keys');
    await bed.database.db.query('delete from platform_key_marker');
    const api = await bed.start({ config: { platform: platformConfig({ alg, audience: 'https://api.platform.test' }) } });

    const discovery = await fetch(`${api.url}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const document = (await discovery.json()) as Record<string, unknown>;
    expect(document).toMatchObject({
      issuer: PLATFORM_ISSUER,
      jwks_uri: `${PLATFORM_ISSUER}/.well-known/jwks.json`,
      token_endpoint: `${PLATFORM_ISSUER}/oauth/token`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      token_endpoint_auth_methods_supported: ['none'],
      id_token_signing_alg_values_supported: [alg],
    });

    const jwksResponse = await fetch(`${api.url}/.well-known/jwks.json`);
    const maxAge = Number(/max-age=(\d+)/.exec(jwksResponse.headers.get('cache-control') ?? '')?.[1]);
    expect(jwksResponse.headers.get('cache-control')).toMatch(/public/);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(300);
    const jwks = (await jwksResponse.json()) as { keys: Record<string, unknown>[] };
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ alg, use: 'sig' });
      expect(typeof key['kid']).toBe('string');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key[member]).toBeUndefined();
    }

    const subject = await bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    const answer = await postToken(api.url, exchangeForm(subject));
    expect(answer.status).toBe(200);
    // The JWKS as served (the discovery document's host is the public one; here, the test's).
    const remote = createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(answer.body.access_token, remote, {
      issuer: PLATFORM_ISSUER,
      audience: 'https://api.platform.test',
      typ: 'at+jwt',
      algorithms: [alg],
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    });
    expect(protectedHeader.alg).toBe(alg);
    expect(payload.scope).toBe('user');
    // And the service accepts its own token.
    expect((await api.gql('{ viewer { id } }', { token: answer.body.access_token })).body.data.viewer.id).toBe(payload.sub);
  });
});

describe('an OAuth client (openid-client) using the platform issuer', () => {
  it('discovers it by RFC 8414, exchanges a token, and gets an RFC 9068 access token', async () => {
    await bed.database.db.query('delete from platform_keys');
    await bed.database.db.query('delete from platform_key_marker');
    const api = await bed.start({ config: { platform: platformConfig({ audience: 'https://api.platform.test' }) } });
    // The documents name the public host; the client's requests reach the test's port.
    const toLoopback: client.CustomFetch = (url, options) => fetch(url.replace(PLATFORM_ISSUER, api.url), options as RequestInit);

    const oidc = await (await fetch(`${api.url}/.well-known/openid-configuration`)).json();
    const rfc8414 = await fetch(`${api.url}/.well-known/oauth-authorization-server`);
    expect(rfc8414.status).toBe(200);
    expect(rfc8414.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await rfc8414.json()).toEqual(oidc);

    const config = await client.discovery(new URL(PLATFORM_ISSUER), 'frontend-spa', undefined, client.None(), { algorithm: 'oauth2', [client.customFetch]: toLoopback });
    expect(config.serverMetadata()).toMatchObject({ issuer: PLATFORM_ISSUER, token_endpoint: `${PLATFORM_ISSUER}/oauth/token`, jwks_uri: `${PLATFORM_ISSUER}/.well-known/jwks.json` });

    const authTime = Math.floor(Date.now() / 1000) - 600;
    const subject = await bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: 'https://api.test', auth_time: authTime, email: `${randomUUID()}@example.com`, email_verified: true }, { expiresIn: 300 });
    const answer = await client.genericGrantRequest(config, 'urn:ietf:params:oauth:grant-type:token-exchange', {
      subject_token: subject,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(answer.token_type).toBe('bearer');
    expect(answer.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');

    // RFC 9068 §4, as a resource server validates: typ, signature by the issuer's keys, iss, aud,
    // exp, and §2.2's required claims (client_id among them), with their types.
    const jwks = createRemoteJWKSet(new URL(`${api.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(answer.access_token, jwks, {
      issuer: PLATFORM_ISSUER,
      audience: 'https://api.platform.test',
      typ: 'at+jwt',
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    for (const claim of ['client_id', 'jti', 'sub'] as const) expect(typeof payload[claim]).toBe('string');
    // The client named itself (openid-client sends client_id with the None method).
    expect(payload['client_id']).toBe('frontend-spa');
    expect(payload['auth_time']).toBe(authTime);
    // Never past the login it came from, and expires_in agrees with exp.
    expect(payload.exp).toBeLessThanOrEqual(decodeJwt(subject).exp!);
    expect(answer.expires_in).toBe(payload.exp! - payload.iat!);
  });
});
