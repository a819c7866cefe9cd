import { base64url, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeySource } from '../../src/auth/keys.js';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import { AppError } from '../../src/errors.js';
import { issuerConfig, startTestIssuer, type TestIssuer, remoteKeySetFor } from '../helpers/issuer.js';
import { rejection } from '../helpers/assert.js';

const AUD = 'https://api.test';
let idp: TestIssuer;
let attackerKey: Awaited<ReturnType<typeof generateKeyPair>> | undefined;

beforeAll(async () => {
  idp = await startTestIssuer();
});
afterAll(async () => {
  await idp.close();
});

function setup(overrides: Partial<IssuerConfig> = {}) {
  const config = issuerConfig(idp, overrides);
  const keySet = remoteKeySetFor(idp, { issuerName: config.name });
  const verifier = createTokenVerifier({ issuers: [config], keySources: new Map<string, KeySource>([[config.name, keySet]]) });
  return { verifier, keySet, config };
}


function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function unsigned(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

describe('token verifier', () => {
  it('accepts a valid token and maps it to a user', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD, email: 'alice@example.com', email_verified: true });
    const principal = await verifier.verify(token);
    expect(principal.kind).toBe('user');
    expect(principal.claims).toMatchObject({ provider: 'test', issuer: idp.url, subject: 'alice', email: 'alice@example.com' });
    expect(principal.kind === 'user' && principal.claims.emailVerified).toBe(true);
  });

  it('refuses a forgery: unpublished key under a published kid', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD }, { key: 'other' });
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('invalid_signature');
  });

  it('refuses a token whose signature was tampered with', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD });
    const [h, , s] = token.split('.');
    const payload = base64url.encode(JSON.stringify({ iss: idp.url, sub: 'mallory', aud: AUD, exp: nowSeconds() + 3600 }));
    const error = await rejection(verifier.verify(`${h}.${payload}.${s}`));
    expect(error.reason).toBe('invalid_signature');
  });

  it('refuses an expired token', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp: nowSeconds() - 60 });
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('token_expired');
  });

  it('refuses a token expired 1 s ago, inside the clock tolerance (no tolerance on exp)', async () => {
    const { verifier } = setup();
    const token = await idp.sign({ sub: 'alice', aud: AUD, exp: nowSeconds() - 1 });
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('token_expired');
  });

  it('refuses a token for another audience', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: 'https://other.api' })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('invalid_aud');
  });

  it('refuses a token without aud when an audience is configured', async () => {
    const { verifier } = setup();
    expect((await rejection(verifier.verify(await idp.sign({ sub: 'alice' })))).code).toBe('UNAUTHENTICATED');
  });

  it('accepts an aud array that contains one of ours', async () => {
    const { verifier } = setup({ audience: ['https://first.api', AUD] });
    const principal = await verifier.verify(await idp.sign({ sub: 'alice', aud: ['https://userinfo.example', AUD] }));
    expect(principal.claims.subject).toBe('alice');
  });

  it('refuses an unknown issuer', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD, iss: 'https://evil.example/' })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('unknown_issuer');
  });

  it('refuses an iss differing only by the trailing slash', async () => {
    const { verifier } = setup();
    expect(idp.url.endsWith('/')).toBe(true);
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD, iss: idp.url.slice(0, -1) })));
    expect(error.reason).toBe('unknown_issuer');
  });

  it('refuses a token without sub', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: undefined, aud: AUD })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('missing_sub');
  });

  it('refuses a token with an empty sub', async () => {
    const { verifier } = setup();
    expect((await rejection(verifier.verify(await idp.sign({ sub: '', aud: AUD })))).reason).toBe('invalid_sub');
  });

  it('refuses a token without iss', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD, iss: undefined })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('missing_iss');
  });

  it('refuses a token without exp', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD, exp: undefined })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('missing_exp');
  });

  it.each([
    ['two parts', 'abc.def'],
    ['four parts', 'abc.def.ghi.jkl'],
    ['an empty middle part', 'abc..ghi'],
    ['non-base64url characters', 'ab+c.def.ghi'],
    ['garbage', 'not-a-jwt'],
    ['base64url that is not JSON', 'abc.def.ghi'],
  ])('refuses a token with %s', async (_label, token) => {
    const { verifier, keySet } = setup();
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('malformed');
    expect(keySet.fetchCount).toBe(0);
  });

  it('refuses alg "none" (hand-built, empty signature) before touching keys', async () => {
    const { verifier, keySet } = setup();
    const payload = { iss: idp.url, sub: 'alice', aud: AUD, exp: nowSeconds() + 3600 };
    expect((await rejection(verifier.verify(unsigned({ alg: 'none', typ: 'JWT' }, payload)))).code).toBe('UNAUTHENTICATED');
    const withSignature = unsigned({ alg: 'none', typ: 'JWT' }, payload, 'c2ln');
    expect((await rejection(verifier.verify(withSignature))).reason).toBe('alg_not_allowed');
    expect(keySet.fetchCount).toBe(0);
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret (algorithm confusion)', async () => {
    const { verifier, keySet } = setup();
    const publicKey = await importJWK(idp.publicJwk, 'RS256');
    const pem = await exportSPKI(publicKey as CryptoKey);
    const secrets = [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(idp.publicJwk))];
    for (const secret of secrets) {
      const token = await new SignJWT({ iss: idp.url, sub: 'mallory', aud: AUD })
        .setProtectedHeader({ alg: 'HS256', kid: idp.kid })
        .setExpirationTime('1h')
        .sign(secret);
      const error = await rejection(verifier.verify(token));
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe('alg_not_allowed');
    }
    expect(keySet.fetchCount).toBe(0);
  });

  it('refuses HS256 even when a misconfigured issuer lists it', async () => {
    const { verifier, keySet } = setup({ algorithms: ['RS256', 'HS256'] });
    const secret = new TextEncoder().encode(JSON.stringify(idp.publicJwk));
    const token = await new SignJWT({ iss: idp.url, sub: 'mallory', aud: AUD })
      .setProtectedHeader({ alg: 'HS256', kid: idp.kid })
      .setExpirationTime('1h')
      .sign(secret);
    expect((await rejection(verifier.verify(token))).reason).toBe('alg_not_allowed');
    expect(keySet.fetchCount).toBe(0);
  });

  it('refuses an alg outside the issuer algorithms before touching keys', async () => {
    const { verifier, keySet } = setup({ algorithms: ['ES256'] });
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD })));
    expect(error.reason).toBe('alg_not_allowed');
    expect(keySet.fetchCount).toBe(0);
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c'])('refuses an embedded-key header: %s', async (name) => {
    const { verifier, keySet } = setup();
    attackerKey ??= await generateKeyPair('RS256', { extractable: true });
    const attacker = attackerKey;
    const attackerJwk = await exportJWK(attacker.publicKey);
    const values: Record<string, unknown> = {
      jwk: attackerJwk,
      jku: 'https://evil.example/jwks.json',
      x5u: 'https://evil.example/cert.pem',
      x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'],
    };
    const token = await new SignJWT({ iss: idp.url, sub: 'mallory', aud: AUD })
      .setProtectedHeader({ alg: 'RS256', kid: idp.kid, [name]: values[name] })
      .setExpirationTime('1h')
      .sign(attacker.privateKey);
    const error = await rejection(verifier.verify(token));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('embedded_key');
    expect(keySet.fetchCount).toBe(0);
  });

  it('refuses a token in the future (nbf) beyond the tolerance', async () => {
    const { verifier } = setup();
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'alice', aud: AUD, nbf: nowSeconds() + 120 })));
    expect(error.reason).toBe('invalid_nbf');
  });
});

describe('token verifier: WorkOS and Auth0 conventions', () => {
  const workos = { kind: 'workos' as const, clientId: 'client_123', audience: null };

  it('workos: refuses a client_id other than ours', async () => {
    const { verifier } = setup(workos);
    const error = await rejection(verifier.verify(await idp.sign({ sub: 'user_1', client_id: 'client_999' })));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('client_id_mismatch');
  });

  it('workos: refuses a token without client_id', async () => {
    const { verifier } = setup(workos);
    expect((await rejection(verifier.verify(await idp.sign({ sub: 'user_1' })))).reason).toBe('client_id_mismatch');
  });

  it('workos: accepts a user token with our client_id and no audience configured', async () => {
    const { verifier } = setup(workos);
    const principal = await verifier.verify(await idp.sign({ sub: 'user_1', client_id: 'client_123', org_id: 'org_1' }));
    expect(principal.kind).toBe('user');
    expect(principal.kind === 'user' && principal.claims.externalOrganizationId).toBe('org_1');
  });

  it('workos: a machine token (sub = client_id) is a service with its scopes', async () => {
    const { verifier } = setup(workos);
    const principal = await verifier.verify(await idp.sign({ sub: 'client_123', client_id: 'client_123', scope: 'users:read', permissions: ['users:write'] }));
    expect(principal.kind).toBe('service');
    expect(principal.kind === 'service' && [...principal.claims.scopes].sort()).toEqual(['users:read', 'users:write']);
  });

  it('workos: an impersonation token names the actor', async () => {
    const { verifier } = setup(workos);
    const principal = await verifier.verify(await idp.sign({ sub: 'user_1', client_id: 'client_123', act: { sub: 'admin@example.com' } }));
    expect(principal.kind === 'user' && principal.claims.impersonator).toBe('admin@example.com');
  });

  it('auth0: gty client-credentials alone, or a sub merely ending in @clients, is a user', async () => {
    const { verifier } = setup({ kind: 'auth0' });
    for (const claims of [{ sub: 'm2m-app', gty: 'client-credentials' }, { sub: 'abc@clients', azp: 'abc' }, { sub: 'abc@clients', azp: 'xyz', gty: 'client-credentials' }]) {
      const principal = await verifier.verify(await idp.sign({ ...claims, aud: AUD, scope: 'users:write' }));
      expect(principal.kind).toBe('user');
    }
  });

  it('auth0: gty client-credentials with sub = azp@clients is a service, scopes from scope ∪ permissions', async () => {
    const { verifier } = setup({ kind: 'auth0' });
    const principal = await verifier.verify(
      await idp.sign({ sub: 'abc@clients', azp: 'abc', gty: 'client-credentials', aud: AUD, scope: 'users:read organizations:read', permissions: ['users:write', 'users:read'] }),
    );
    expect(principal.kind).toBe('service');
    expect(principal.kind === 'service' && [...principal.claims.scopes].sort()).toEqual(['organizations:read', 'users:read', 'users:write']);
  });

  it('auth0: a user token with permissions stays a plain user', async () => {
    const { verifier } = setup({ kind: 'auth0' });
    const principal = await verifier.verify(await idp.sign({ sub: 'auth0|1', aud: AUD, permissions: ['users:write'], roles: ['admin'] }));
    expect(principal.kind).toBe('user');
  });

  it('reads the namespaced email claim before email, and normalises it', async () => {
    const { verifier } = setup({ emailClaim: 'https://example.com/email', emailTrust: 'always' });
    const principal = await verifier.verify(
      await idp.sign({ sub: 'auth0|2', aud: AUD, 'https://example.com/email': '  Ada@Example.COM ', email: 'other@example.com' }),
    );
    expect(principal.kind === 'user' && principal.claims.email).toBe('ada@example.com');
    expect(principal.kind === 'user' && principal.claims.emailVerified).toBe(true);
  });

  it('does not trust email_verified: "true" (a string)', async () => {
    const { verifier } = setup();
    const principal = await verifier.verify(await idp.sign({ sub: 'u3', aud: AUD, email: 'a@example.com', email_verified: 'true' }));
    expect(principal.kind === 'user' && principal.claims.emailVerified).toBe(false);
  });
});
