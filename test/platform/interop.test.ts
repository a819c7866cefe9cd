// A third party's view: platform tokens verified with jose's createRemoteJWKSet against the
// served JWKS (discovered through openid-configuration), for each signing algorithm.
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
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
