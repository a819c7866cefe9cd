// Start-up configuration: every invalid value is refused with one line naming the variable,
// never echoing a secret; `npm start`'s entry point exits non-zero with that one line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchUrlProblem } from '../../src/auth/fetch.js';
import { loadConfig } from '../../src/config/index.js';
import { refusal } from '../helpers/config.js';
import { requireFetchableUrl } from '../../src/config/issuers.js';
import { freePort, startMain, waitForOutput } from '../helpers/process.js';

const ISSUER = { name: 'auth0', kind: 'auth0', issuer: 'https://tenant.eu.auth0.com/', audience: 'https://api.example.com' };
const issuers = (...entries: Record<string, unknown>[]) => JSON.stringify(entries);

const PRODUCTION = { NODE_ENV: 'production' };
// Every URL the service fetches must be https: in production, loopback hosts excepted.
const PRODUCTION_HTTP_CASES: [string, Record<string, string>, string][] = [
  ['an http: jwksUri in production', { ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri: 'http://tenant.eu.auth0.com/.well-known/jwks.json' }) }, 'AUTH_ISSUERS[0].jwksUri'],
  ['an http: userinfoUrl in production', { ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, userinfoUrl: 'http://tenant.eu.auth0.com/userinfo' }) }, 'AUTH_ISSUERS[0].userinfoUrl'],
  ['an http: issuer whose default jwksUri is http: in production', { ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, issuer: 'http://idp.example.com/' }) }, 'AUTH_ISSUERS[0].jwksUri'],
  ['a host that only starts like loopback', { ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri: 'http://127.0.0.1.example.com/jwks' }) }, 'AUTH_ISSUERS[0].jwksUri'],
  ['a localhost subdomain', { ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri: 'http://localhost.example.com/jwks' }) }, 'AUTH_ISSUERS[0].jwksUri'],
  ['an http: jwksUri in AUTH_ISSUERS_FILE', { ...PRODUCTION, AUTH_ISSUERS_FILE: 'FILE:' + issuers({ ...ISSUER, jwksUri: 'http://idp.example.com/jwks' }) }, 'AUTH_ISSUERS_FILE[0].jwksUri'],
];

/** `AUTH_ISSUERS_FILE: 'FILE:<json>'` is written to a temporary file first. */
function withFiles(env: Record<string, string>): Record<string, string> {
  const file = env['AUTH_ISSUERS_FILE'];
  if (file === undefined || !file.startsWith('FILE:')) return env;
  const path = join(mkdtempSync(join(tmpdir(), 'identity-issuers-')), 'issuers.json');
  writeFileSync(path, file.slice('FILE:'.length));
  return { ...env, AUTH_ISSUERS_FILE: path };
}

describe('loadConfig', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['PORT not a number', { PORT: 'abc' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['DATABASE_URL of another database', { DATABASE_URL: 'mysql://root@localhost/db' }, 'DATABASE_URL'],
    ['LOG_LEVEL unknown', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['DB_POOL_MAX zero', { DB_POOL_MAX: '0' }, 'DB_POOL_MAX'],
    ['DB_LISTEN_URL of another database', { DB_LISTEN_URL: 'mysql://root@localhost/db' }, 'DB_LISTEN_URL'],
    ['DB_PREPARED_STATEMENTS not a boolean', { DB_PREPARED_STATEMENTS: 'sometimes' }, 'DB_PREPARED_STATEMENTS'],
    ['GRAPHQL_COMPILE_AFTER negative', { GRAPHQL_COMPILE_AFTER: '-1' }, 'GRAPHQL_COMPILE_AFTER'],
    ['SHUTDOWN_TIMEOUT_MS negative', { SHUTDOWN_TIMEOUT_MS: '-1' }, 'SHUTDOWN_TIMEOUT_MS'],
    ['INVITATION_TTL_HOURS zero', { INVITATION_TTL_HOURS: '0' }, 'INVITATION_TTL_HOURS'],
    ['INVITATION_TTL_HOURS not a whole number', { INVITATION_TTL_HOURS: '1.5' }, 'INVITATION_TTL_HOURS'],
    ['AUTH_ISSUERS not JSON', { AUTH_ISSUERS: '[{name: auth0' }, 'AUTH_ISSUERS'],
    ['AUTH_ISSUERS empty array', { AUTH_ISSUERS: '[]' }, 'AUTH_ISSUERS'],
    ['an issuer allowing HS256', { AUTH_ISSUERS: issuers({ ...ISSUER, algorithms: ['HS256'] }) }, 'AUTH_ISSUERS[0].algorithms'],
    ['an issuer allowing none', { AUTH_ISSUERS: issuers({ ...ISSUER, algorithms: ['RS256', 'none'] }) }, 'AUTH_ISSUERS[0].algorithms'],
    ['auth0 without audience', { AUTH_ISSUERS: issuers({ name: 'a', kind: 'auth0', issuer: 'https://a.example/' }) }, 'AUTH_ISSUERS[0].audience'],
    ['oidc without audience', { AUTH_ISSUERS: issuers(ISSUER, { name: 'o', kind: 'oidc', issuer: 'https://o.example/' }) }, 'AUTH_ISSUERS[1].audience'],
    ['workos without clientId', { AUTH_ISSUERS: issuers({ name: 'w', kind: 'workos', issuer: 'https://api.workos.com' }) }, 'AUTH_ISSUERS[0].clientId'],
    ['an unknown issuer field', { AUTH_ISSUERS: issuers({ ...ISSUER, audiences: 'x' }) }, 'AUTH_ISSUERS[0]'],
    ['a non-http jwksUri', { AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri: 'file:///etc/passwd' }) }, 'AUTH_ISSUERS[0].jwksUri'],
    ['duplicate issuer names', { AUTH_ISSUERS: issuers(ISSUER, { ...ISSUER, issuer: 'https://other.example/' }) }, 'AUTH_ISSUERS[1].name'],
    ['production without AUTH_ISSUERS', { NODE_ENV: 'production' }, 'AUTH_ISSUERS'],
    ['apiKeyEnv naming an unset variable', { AUTH_ISSUERS: issuers({ ...ISSUER, apiKeyEnv: 'WORKOS_API_KEY' }) }, 'AUTH_ISSUERS[0].apiKeyEnv'],
    ['AUTH_ISSUERS_FILE unreadable', { AUTH_ISSUERS_FILE: '/nonexistent/issuers.json' }, 'AUTH_ISSUERS_FILE'],
    ['both AUTH_ISSUERS and AUTH_ISSUERS_FILE', { AUTH_ISSUERS: issuers(ISSUER), AUTH_ISSUERS_FILE: '/tmp/x.json' }, 'AUTH_ISSUERS_FILE'],
    ['maxTokenAgeSeconds zero', { AUTH_ISSUERS: issuers({ ...ISSUER, maxTokenAgeSeconds: 0 }) }, 'AUTH_ISSUERS[0].maxTokenAgeSeconds'],
    ['serviceScopes not an array', { AUTH_ISSUERS: issuers({ ...ISSUER, serviceScopes: 'users:read' }) }, 'AUTH_ISSUERS[0].serviceScopes'],
    ['a serviceScopes entry with a space', { AUTH_ISSUERS: issuers({ ...ISSUER, serviceScopes: ['users:read users:admin'] }) }, 'AUTH_ISSUERS[0].serviceScopes[0]'],
    ['an empty serviceScopes entry', { AUTH_ISSUERS: issuers({ ...ISSUER, serviceScopes: ['users:read', ''] }) }, 'AUTH_ISSUERS[0].serviceScopes[1]'],
    ['a jwksUri with credentials in it', { AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri: 'https://user:pw@idp.example.com/jwks' }) }, 'AUTH_ISSUERS[0].jwksUri'],
    ...PRODUCTION_HTTP_CASES,
  ];

  it.each(cases)('refuses %s with one line naming the variable', (_name, env, variable) => {
    const message = refusal(withFiles(env));
    expect(message.startsWith(`${variable}`)).toBe(true);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(300);
  });

  it('never echoes a secret or the offending value', () => {
    const secret = 'sk_live_0123456789abcdef';
    const message = refusal({ SUBGRAPH_SECRET: secret, WORKOS_API_KEY: secret, AUTH_ISSUERS: issuers({ ...ISSUER, kind: secret }) });
    expect(message.startsWith('AUTH_ISSUERS[0].kind')).toBe(true);
    expect(message).not.toContain(secret);
  });

  it('accepts a valid environment and applies the defaults', () => {
    const config = loadConfig({
      AUTH_ISSUERS: issuers({ ...ISSUER, apiKeyEnv: 'AUTH0_KEY' }),
      AUTH0_KEY: 'key-value',
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://app@db:5432/identity',
      PORT: '',
    });
    expect(config).toMatchObject({
      port: 4001,
      host: '0.0.0.0',
      production: true,
      useDevIssuer: false,
      database: { kind: 'postgres', url: 'postgresql://app@db:5432/identity', listenUrl: 'postgresql://app@db:5432/identity' },
      maxQueryDepth: 12,
      maxEntityRepresentations: 1000,
      compileOperationsAfter: 2,
      shutdownTimeoutMs: 10_000,
      invitationTtlHours: 168,
      maxTokenAgeSeconds: 86_400,
    });
    expect(loadConfig({ INVITATION_TTL_HOURS: '24' }).invitationTtlHours).toBe(24);
    expect(config.issuers[0]).toMatchObject({ jwksUri: 'https://tenant.eu.auth0.com/.well-known/jwks.json', algorithms: ['RS256'], userinfoApiKey: 'key-value' });
    expect(loadConfig({}).useDevIssuer).toBe(true);
    // Behind PgBouncer in transaction mode: LISTEN elsewhere, or cache no user rows.
    const direct = 'postgresql://app@db-primary:5432/identity';
    expect(loadConfig({ DATABASE_URL: 'postgresql://app@pgbouncer:6432/identity', DB_LISTEN_URL: direct }).database).toMatchObject({ listenUrl: direct });
    expect(loadConfig({ DATABASE_URL: 'postgresql://app@pgbouncer:6432/identity', DB_LISTEN_URL: 'off' }).database).toMatchObject({ listenUrl: null });
    // Named statements by default; off for a pooler that cannot keep them.
    expect(loadConfig({ DATABASE_URL: direct }).database).toMatchObject({ preparedStatements: true });
    expect(loadConfig({ DATABASE_URL: direct, DB_PREPARED_STATEMENTS: 'false' }).database).toMatchObject({ preparedStatements: false });
  });
});

describe('fetched URLs', () => {
  it.each([
    'http://127.0.0.1:8080/.well-known/jwks.json',
    'http://127.200.3.4/jwks',
    'http://localhost:9000/jwks',
    'http://LOCALHOST/jwks',
    'http://[::1]:9000/jwks',
    'https://tenant.eu.auth0.com/.well-known/jwks.json',
  ])('production accepts %s', (jwksUri) => {
    const config = loadConfig({ ...PRODUCTION, AUTH_ISSUERS: issuers({ ...ISSUER, jwksUri, userinfoUrl: jwksUri }) });
    expect(config.issuers[0]!.jwksUri).toBe(jwksUri);
  });

  it('outside production, plain http: to any host is accepted (development IdPs)', () => {
    const config = loadConfig({ AUTH_ISSUERS: issuers({ ...ISSUER, issuer: 'http://idp.internal/', userinfoUrl: 'http://idp.internal/userinfo' }) });
    expect(config.issuers[0]).toMatchObject({ jwksUri: 'http://idp.internal/.well-known/jwks.json', userinfoUrl: 'http://idp.internal/userinfo' });
  });

  it('the validator is one exported rule (reused by every URL field)', () => {
    expect(fetchUrlProblem('http://idp.example.com/', { production: true })).toMatch(/https:/);
    expect(fetchUrlProblem('http://idp.example.com/', { production: false })).toBeNull();
    expect(fetchUrlProblem('ftp://idp.example.com/', { production: false })).not.toBeNull();
    expect(fetchUrlProblem('http://127.0.0.1/', { production: true })).toBeNull();
    expect(() => requireFetchableUrl('http://idp.example.com/', 'AUTH_ISSUERS[2].apiBaseUrl', true)).toThrow(/^AUTH_ISSUERS\[2\]\.apiBaseUrl: /);
  });
});

describe('serviceScopes', () => {
  it('absent is null (each kind then has its default); listed scopes are kept as written', () => {
    expect(loadConfig({ AUTH_ISSUERS: issuers(ISSUER) }).issuers[0]!.serviceScopes).toBeNull();
    const oidc = { name: 'o', kind: 'oidc', issuer: 'https://o.example/', audience: 'a', serviceScopes: ['users:read', 'organizations:read'] };
    expect(loadConfig({ AUTH_ISSUERS: issuers(oidc) }).issuers[0]!.serviceScopes).toEqual(['users:read', 'organizations:read']);
    expect(loadConfig({ AUTH_ISSUERS: issuers({ ...oidc, serviceScopes: [] }) }).issuers[0]!.serviceScopes).toEqual([]);
  });
});

describe('email claims', () => {
  it('emailVerifiedClaim speaks for emailClaim only when configured, and never as the standard email_verified', () => {
    const parse = (extra: Record<string, unknown>) => loadConfig({ AUTH_ISSUERS: issuers({ ...ISSUER, ...extra }) }).issuers[0]!;
    const NS = 'https://example.com/';
    expect(parse({ emailClaim: `${NS}email`, emailVerifiedClaim: `${NS}email_verified` }).emailVerifiedClaim).toBe(`${NS}email_verified`);
    expect(parse({ emailClaim: `${NS}email` }).emailVerifiedClaim).toBeNull();
    expect(parse({ emailClaim: `${NS}email`, emailVerifiedClaim: 'email_verified' }).emailVerifiedClaim).toBeNull();
    expect(parse({ emailVerifiedClaim: `${NS}email_verified` }).emailVerifiedClaim).toBeNull();
  });
});

describe('npm start with an invalid environment', () => {
  // Each refusal's one line is loadConfig's (above); the entry point printing it alone and
  // exiting non-zero is test/process/start.test.ts.
  it('keeps serving when the database is unreachable at start: /readyz 503, one warning with the code, never the password', async () => {
    const port = await freePort(); // nothing listens there
    const httpPort = await freePort();
    const main = startMain({
      DATABASE_URL: `postgres://app:hunter2-password@127.0.0.1:${port}/identity`,
      DB_CONNECT_TIMEOUT_MS: '500',
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'identity-config-')),
    });
    try {
      await waitForOutput(main, (out) => out.includes('identity subgraph listening'));
      expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
      const output = main.stdout() + main.stderr();
      expect(output).not.toContain('hunter2-password');
      const pending = main.stdout().split('\n').filter((line) => line.includes('migrations pending')).map((line) => JSON.parse(line));
      expect(pending).toHaveLength(1);
      expect(pending[0].err).toMatchObject({ code: 'IDENTITY_STORE_UNAVAILABLE', cause: { code: 'ECONNREFUSED' } });
    } finally {
      main.child.kill('SIGTERM');
      await main.exited;
    }
  });
});

// The `introspection` issuer kind (legacy-sessions.md): defaults, the secret read from the
// variable it names, at most one such issuer, https in production unless loopback.
const LEGACY = {
  name: 'legacy',
  kind: 'introspection',
  issuer: 'https://legacy.example.com',
  introspectionUrl: 'https://legacy.example.com/oauth/introspect',
  clientId: 'identity-subgraph',
  clientSecretEnv: 'LEGACY_SECRET',
};
const SSO = { name: 'sso', kind: 'oidc', issuer: 'https://sso.example.com/', audience: 'https://api.example.com' };

describe('introspection issuer configuration', () => {
  it('applies the defaults and reads the secret from the named variable', () => {
    const config = loadConfig({ AUTH_ISSUERS: JSON.stringify([SSO, LEGACY]), LEGACY_SECRET: 'hunter2' });
    expect(config.issuers.map((i) => i.name)).toEqual(['sso']);
    expect(config.introspection).toEqual({
      name: 'legacy',
      kind: 'introspection',
      issuer: LEGACY.issuer,
      introspectionUrl: LEGACY.introspectionUrl,
      request: { kind: 'rfc7662' },
      method: 'POST',
      clientId: 'identity-subgraph',
      clientSecret: 'hunter2',
      subjectField: 'sub',
      emailField: 'email',
      emailVerifiedField: 'email_verified',
      nameField: 'name',
      givenNameField: null,
      familyNameField: null,
      activeField: 'active',
      principalField: null,
      serviceScopes: null,
      emailTrust: 'claim',
      cacheSeconds: 60,
      adoptSubjectAsUserId: false,
    });
    expect(config.useDevIssuer).toBe(false);
  });

  it('an introspection issuer alone is a configuration (no development issuer)', () => {
    const config = loadConfig({ AUTH_ISSUERS: JSON.stringify([LEGACY]), LEGACY_SECRET: 'x', NODE_ENV: 'production' });
    expect(config.useDevIssuer).toBe(false);
    expect(config.issuers).toEqual([]);
  });

  it('refuses a missing secret variable by name', () => {
    const message = refusal({ AUTH_ISSUERS: JSON.stringify([LEGACY]) });
    expect(message).toBe('AUTH_ISSUERS[0].clientSecretEnv: environment variable LEGACY_SECRET is not set');
  });

  it('refuses a second introspection issuer', () => {
    const second = { ...LEGACY, name: 'legacy2', issuer: 'https://other.example.com' };
    expect(refusal({ AUTH_ISSUERS: JSON.stringify([LEGACY, second]), LEGACY_SECRET: 'x' })).toMatch(/^AUTH_ISSUERS\[1\]\.kind: at most one/);
  });

  it('refuses missing or wrong fields with the field named', () => {
    const { clientId: _, ...noClient } = LEGACY;
    expect(refusal({ AUTH_ISSUERS: JSON.stringify([noClient]), LEGACY_SECRET: 'x' })).toMatch(/^AUTH_ISSUERS\[0\]\.clientId/);
    expect(refusal({ AUTH_ISSUERS: JSON.stringify([{ ...LEGACY, cacheSeconds: -1 }]), LEGACY_SECRET: 'x' })).toMatch(/^AUTH_ISSUERS\[0\]\.cacheSeconds/);
    expect(refusal({ AUTH_ISSUERS: JSON.stringify([{ ...LEGACY, introspectionUrl: 'ftp://x' }]), LEGACY_SECRET: 'x' })).toMatch(/^AUTH_ISSUERS\[0\]\.introspectionUrl/);
    expect(refusal({ AUTH_ISSUERS: JSON.stringify([{ ...LEGACY, name: 'sso' }, SSO]), LEGACY_SECRET: 'x' })).toMatch(/duplicate issuer name/);
  });

  it('in production the endpoint is https unless it is loopback', () => {
    const plain = { ...LEGACY, introspectionUrl: 'http://legacy.example.com/introspect' };
    const env = { LEGACY_SECRET: 'x', NODE_ENV: 'production' };
    expect(refusal({ ...env, AUTH_ISSUERS: JSON.stringify([plain]) })).toMatch(/^AUTH_ISSUERS\[0\]\.introspectionUrl: must be https/);
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:9000']) {
      const loopback = { ...LEGACY, introspectionUrl: `http://${host}/introspect` };
      expect(loadConfig({ ...env, AUTH_ISSUERS: JSON.stringify([loopback]) }).introspection?.introspectionUrl).toContain(host);
    }
    expect(loadConfig({ LEGACY_SECRET: 'x', AUTH_ISSUERS: JSON.stringify([plain]) }).introspection).not.toBeNull();
  });
});
