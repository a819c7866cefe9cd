// The `introspection` issuer kind at start-up: defaults, the secret read from the variable it
// names (absent: one line naming it, never a value), at most one such issuer, https in production.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const LEGACY = {
  name: 'legacy',
  kind: 'introspection',
  issuer: 'https://legacy.example.com',
  introspectionUrl: 'https://legacy.example.com/oauth/introspect',
  clientId: 'identity-subgraph',
  clientSecretEnv: 'LEGACY_SECRET',
};
const SSO = { name: 'sso', kind: 'oidc', issuer: 'https://sso.example.com/', audience: 'https://api.example.com' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('introspection issuer configuration', () => {
  it('applies the defaults and reads the secret from the named variable', () => {
    const config = loadConfig({ AUTH_ISSUERS: JSON.stringify([SSO, LEGACY]), LEGACY_SECRET: 'hunter2' });
    expect(config.issuers.map((i) => i.name)).toEqual(['sso']);
    expect(config.introspection).toEqual({
      name: 'legacy',
      kind: 'introspection',
      issuer: LEGACY.issuer,
      introspectionUrl: LEGACY.introspectionUrl,
      clientId: 'identity-subgraph',
      clientSecret: 'hunter2',
      subjectField: 'sub',
      emailField: 'email',
      emailVerifiedField: 'email_verified',
      nameField: 'name',
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
