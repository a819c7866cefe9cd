import type { JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { readScopes, toVerifiedPrincipal } from '../../src/auth/claims.js';
import { AppError } from '../../src/errors.js';
import type { IssuerConfig } from '../../src/config/issuers.js';
import type { ServiceClaims, UserClaims, VerifiedPrincipal } from '../../src/domain/types.js';

const ISS = 'https://idp.test/';
const EXP = 2_000_000_000;
const IAT = EXP - 3600;

function config(overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  const clientIds = overrides.clientIds ?? (overrides.clientId != null ? [overrides.clientId] : []);
  return {
    clientIds,
    name: 'idp',
    kind: 'oidc',
    issuer: ISS,
    audience: ['https://api.test'],
    clientId: null,
    jwksUri: `${ISS}.well-known/jwks.json`,
    algorithms: ['RS256'],
    emailClaim: null,
    emailVerifiedClaim: null,
    emailTrust: 'claim',
    userinfoUrl: null,
    userinfoApiKey: null,
    apiBaseUrl: 'https://api.workos.com',
    jwksRefreshSeconds: 300,
    jwksMaxStaleSeconds: 86400,
    maxTokenAgeSeconds: null,
    serviceScopes: null,
    ...overrides,
  };
}

function map(claims: JWTPayload, overrides: Partial<IssuerConfig> = {}): VerifiedPrincipal {
  return toVerifiedPrincipal({ iss: ISS, sub: 'user-1', exp: EXP, iat: IAT, ...claims }, config(overrides));
}

function user(claims: JWTPayload, overrides: Partial<IssuerConfig> = {}): UserClaims {
  const principal = map(claims, overrides);
  if (principal.kind !== 'user') throw new Error(`expected a user, got ${principal.kind}`);
  return principal.claims;
}

/** The AppError toVerifiedPrincipal throws for these claims. */
function refusal(claims: JWTPayload, overrides: Partial<IssuerConfig> = {}): AppError {
  try {
    map(claims, overrides);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

function service(claims: JWTPayload, overrides: Partial<IssuerConfig> = {}): ServiceClaims {
  const principal = map(claims, overrides);
  if (principal.kind !== 'service') throw new Error(`expected a service, got ${principal.kind}`);
  return principal.claims;
}

describe('toVerifiedPrincipal: service principals', () => {
  it('auth0: gty client-credentials with sub = azp + "@clients" is a service', () => {
    expect(map({ sub: 'abc@clients', azp: 'abc', gty: 'client-credentials' }, { kind: 'auth0' }).kind).toBe('service');
  });

  it.each([
    ['gty alone', { sub: 'abc', gty: 'client-credentials' }],
    ['a sub merely ending in @clients', { sub: 'xyz@clients' }],
    ['@clients and azp without gty', { sub: 'xyz@clients', azp: 'xyz' }],
    ['gty and @clients of another client', { sub: 'xyz@clients', azp: 'abc', gty: 'client-credentials' }],
    ['gty and @clients without azp', { sub: 'xyz@clients', gty: 'client-credentials' }],
    ['another gty', { sub: 'xyz@clients', azp: 'xyz', gty: 'password' }],
    ['an empty azp', { sub: '@clients', azp: '', gty: 'client-credentials' }],
  ])('auth0: %s is a user', (_label, claims) => {
    expect(map(claims, { kind: 'auth0' }).kind).toBe('user');
  });

  it('auth0: an ordinary user sub is a user', () => {
    expect(map({ sub: 'auth0|123' }, { kind: 'auth0' }).kind).toBe('user');
  });

  it('workos: sub equal to client_id is a service', () => {
    expect(map({ sub: 'client_1', client_id: 'client_1' }, { kind: 'workos', clientId: 'client_1', audience: null }).kind).toBe('service');
  });

  it('workos: gty client-credentials alone does not make a service', () => {
    expect(map({ sub: 'user_1', client_id: 'client_1', gty: 'client-credentials' }, { kind: 'workos', clientId: 'client_1' }).kind).toBe('user');
  });

  it('oidc with serviceScopes: sub === client_id, or the Auth0 rule, is a service; gty alone is not', () => {
    const scoped = { serviceScopes: ['users:read'] };
    expect(map({ sub: 'svc', client_id: 'svc' }, scoped).kind).toBe('service');
    expect(map({ sub: 'svc@clients', azp: 'svc', gty: 'client-credentials' }, scoped).kind).toBe('service');
    expect(map({ gty: 'client-credentials' }, scoped).kind).toBe('user');
    expect(map({ sub: 'user-1', client_id: 'svc' }, scoped).kind).toBe('user');
  });

  it('oidc without serviceScopes has no service principals: a machine token is refused (401), never a service', () => {
    for (const claims of [
      { sub: 'svc', client_id: 'svc', scope: 'users:admin' },
      { sub: 'svc@clients', azp: 'svc', gty: 'client-credentials', permissions: ['users:admin'] },
    ]) {
      const error = refusal(claims);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe('service_principal_not_allowed');
    }
    expect(map({ sub: 'user-1', client_id: 'svc' }).kind).toBe('user');
  });

  it('serviceScopes narrow a service to the listed scopes; the token\'s others are ignored', () => {
    const oidc = service({ sub: 'svc', client_id: 'svc', scope: 'users:admin users:read openid' }, { serviceScopes: ['users:read', 'organizations:read'] });
    expect([...oidc.scopes]).toEqual(['users:read']);
    const auth0 = service({ sub: 'a@clients', azp: 'a', gty: 'client-credentials', permissions: ['users:admin', 'users:write'] }, { kind: 'auth0', serviceScopes: ['users:write'] });
    expect([...auth0.scopes]).toEqual(['users:write']);
    expect([...service({ sub: 'svc', client_id: 'svc', scope: 'users:admin' }, { serviceScopes: [] }).scopes]).toEqual([]);
  });

  it('without serviceScopes, auth0 and workos services keep their token\'s scopes', () => {
    expect([...service({ sub: 'a@clients', azp: 'a', gty: 'client-credentials', scope: 'users:admin' }, { kind: 'auth0' }).scopes]).toEqual(['users:admin']);
    expect([...service({ sub: 'c', client_id: 'c', scope: 'users:admin' }, { kind: 'workos', clientId: 'c' }).scopes]).toEqual(['users:admin']);
  });

  it('service scopes are the union of scope and permissions', () => {
    const claims = service({ sub: 'user-1', client_id: 'user-1', scope: 'users:read  users:write', permissions: ['organizations:read', 'users:read'] }, { kind: 'workos', clientId: 'user-1' });
    expect([...claims.scopes].sort()).toEqual(['organizations:read', 'users:read', 'users:write']);
    expect(claims).toMatchObject({ provider: 'idp', issuer: ISS, subject: 'user-1', expiresAt: EXP });
  });

  it('a service token needs no iat (RFC 9068 §2.2 requires it of user tokens)', () => {
    expect(map({ sub: 'c', client_id: 'c', iat: undefined }, { kind: 'workos', clientId: 'c' }).kind).toBe('service');
  });

  it('readScopes accepts an array scope and ignores non-strings', () => {
    expect([...readScopes({ scope: ['a', 'b', 3], permissions: 'not-an-array' })].sort()).toEqual(['a', 'b']);
  });
});

describe('toVerifiedPrincipal: users', () => {
  it('a user token must carry a numeric iat: 401 missing_iat otherwise', () => {
    for (const iat of [undefined, '1700000000', Number.NaN]) {
      const error = refusal({ iat } as JWTPayload);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe('missing_iat');
    }
    expect(user({ iat: IAT + 0.5 }).issuedAt).toBe(IAT);
  });

  it('a sid holding a NUL or over 255 bytes is refused (401 invalid_sid); 255 bytes is fine', () => {
    for (const sid of ['s\u0000', 'é'.repeat(128), 'x'.repeat(256)]) {
      const error = refusal({ sid });
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.reason).toBe('invalid_sid');
    }
    expect(user({ sid: 'x'.repeat(255) }).sessionId).toHaveLength(255);
    expect(user({ sid: '  ' }).sessionId).toBeNull();
  });

  it('maps subject, issuer, provider and expiry', () => {
    expect(user({})).toMatchObject({ provider: 'idp', issuer: ISS, subject: 'user-1', expiresAt: EXP, email: null, emailVerified: false });
  });

  it('reads emailClaim before the standard email claim', () => {
    const claims = user({ 'https://example.com/email': 'custom@example.com', email: 'std@example.com' }, { emailClaim: 'https://example.com/email' });
    expect(claims.email).toBe('custom@example.com');
  });

  it('a claim that is not an address is no email (never stored, never linked)', () => {
    expect(user({ email: 'not an email', email_verified: true })).toMatchObject({ email: null, emailVerified: false });
    expect(user({ 'https://example.com/email': 'nope', email: 'std@example.com' }, { emailClaim: 'https://example.com/email' }).email).toBe('std@example.com');
  });

  it('falls back to email when emailClaim is absent from the token', () => {
    expect(user({ email: 'std@example.com' }, { emailClaim: 'https://example.com/email' }).email).toBe('std@example.com');
  });

  it('emailTrust claim: verified only with email_verified === true', () => {
    expect(user({ email: 'a@example.com', email_verified: true }).emailVerified).toBe(true);
    expect(user({ email: 'a@example.com', email_verified: false }).emailVerified).toBe(false);
    expect(user({ email: 'a@example.com' }).emailVerified).toBe(false);
  });

  it('emailTrust claim: the string "true" is not trusted', () => {
    expect(user({ email: 'a@example.com', email_verified: 'true' }).emailVerified).toBe(false);
  });

  it('emailTrust claim: an email from emailClaim is verified only by the configured emailVerifiedClaim', () => {
    const NS = 'https://example.com/';
    const namespaced = { emailClaim: `${NS}email`, emailVerifiedClaim: `${NS}email_verified` };
    expect(user({ [`${NS}email`]: 'a@example.com', [`${NS}email_verified`]: true, email_verified: false }, namespaced)).toMatchObject({ email: 'a@example.com', emailVerified: true });
    // The standard email_verified speaks for the standard email, never for the namespaced one.
    expect(user({ [`${NS}email`]: 'a@example.com', email_verified: true }, namespaced).emailVerified).toBe(false);
    expect(user({ [`${NS}email`]: 'a@example.com', email: 'b@example.com', email_verified: true }, { emailClaim: `${NS}email`, emailVerifiedClaim: null })).toMatchObject({ email: 'a@example.com', emailVerified: false });
    // No namespaced email: the standard pair, email with email_verified (not the namespaced flag).
    expect(user({ email: 'b@example.com', email_verified: true }, namespaced)).toMatchObject({ email: 'b@example.com', emailVerified: true });
    expect(user({ email: 'b@example.com', [`${NS}email_verified`]: true }, namespaced).emailVerified).toBe(false);
    // emailTrust always still vouches for either source.
    expect(user({ [`${NS}email`]: 'a@example.com' }, { ...namespaced, emailTrust: 'always' }).emailVerified).toBe(true);
  });

  it('emailTrust always: verified whenever there is an email', () => {
    expect(user({ email: 'a@example.com', email_verified: false }, { emailTrust: 'always' }).emailVerified).toBe(true);
    expect(user({}, { emailTrust: 'always' }).emailVerified).toBe(false);
  });

  it('emailTrust never: never verified', () => {
    expect(user({ email: 'a@example.com', email_verified: true }, { emailTrust: 'never' }).emailVerified).toBe(false);
  });

  it('normalises email by trimming and lower-casing', () => {
    expect(user({ email: '  Ada@Example.COM ' }).email).toBe('ada@example.com');
  });

  it('keeps fullwidth characters distinct (no Unicode folding)', () => {
    const email = user({ email: 'ａｄａ@example.com' }).email;
    expect(email).toBe('ａｄａ@example.com');
    expect(email).not.toBe('ada@example.com');
  });

  it('name: the name claim, trimmed', () => {
    expect(user({ name: '  Ada Lovelace ' }).name).toBe('Ada Lovelace');
  });

  it('name: falls back to given_name + family_name', () => {
    expect(user({ given_name: 'Ada', family_name: 'Lovelace' }).name).toBe('Ada Lovelace');
  });

  it('name: workos falls back to first_name + last_name', () => {
    expect(user({ first_name: 'Ada', last_name: 'Lovelace', client_id: 'c' }, { kind: 'workos', clientId: 'c' }).name).toBe('Ada Lovelace');
  });

  it('name: null when absent, capped at 256 characters', () => {
    expect(user({}).name).toBeNull();
    expect(user({ name: 'x'.repeat(300) }).name).toHaveLength(256);
  });

  it('externalOrganizationId from org_id', () => {
    expect(user({ org_id: 'org_123' }).externalOrganizationId).toBe('org_123');
    expect(user({ org_id: 42 }).externalOrganizationId).toBeNull();
  });

  it('impersonator from act.sub', () => {
    expect(user({ act: { sub: 'admin@workos' } }).impersonator).toBe('admin@workos');
    expect(user({ act: 'admin' }).impersonator).toBeNull();
    expect(user({ act: { sub: 7 } }).impersonator).toBeNull();
    expect(user({}).impersonator).toBeNull();
  });

  it('role, roles and permissions claims never turn a user into anything more', () => {
    const principal = map({ role: 'admin', roles: ['OWNER'], permissions: ['users:write'], scope: 'users:write' }, { kind: 'auth0' });
    expect(principal.kind).toBe('user');
    expect(Object.keys(principal.claims).sort()).toEqual(
      ['email', 'emailVerified', 'expiresAt', 'externalOrganizationId', 'familyName', 'givenName', 'impersonator', 'issuedAt', 'issuer', 'name', 'provider', 'sessionId', 'subject'],
    );
  });
});
