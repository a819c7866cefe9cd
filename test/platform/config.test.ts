// PLATFORM_* variables: parsed once, refused with one line naming the variable, never echoing
// the encryption key.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { refusal } from '../helpers/config.js';

const ISSUERS = JSON.stringify([{ name: 'auth0', kind: 'auth0', issuer: 'https://t.auth0.com/', audience: 'https://api.example.com' }]);
const KEY = randomBytes(32).toString('base64');

describe('platform configuration', () => {
  it('is off without PLATFORM_ISSUER, and takes the documented defaults with it', () => {
    expect(loadConfig({}).platform).toBeNull();
    const config = loadConfig({ PLATFORM_ISSUER: 'http://localhost:4001' }).platform!;
    expect(config).toMatchObject({ issuer: 'http://localhost:4001', audience: 'http://localhost:4001', tokenTtlSeconds: 900, alg: 'ES256', rotationDays: 30, encryptionKey: null });
    const prod = loadConfig({ NODE_ENV: 'production', AUTH_ISSUERS: ISSUERS, PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_KEY_ENCRYPTION_KEY: KEY, PLATFORM_SIGNING_ALG: 'EdDSA', PLATFORM_AUDIENCE: 'platform' }).platform!;
    expect(prod.encryptionKey!.toString('base64')).toBe(KEY);
    expect(prod).toMatchObject({ alg: 'EdDSA', audience: 'platform' });
  });

  it.each([
    ['a TTL under 60 s', { PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_TOKEN_TTL_SECONDS: '59' }, 'PLATFORM_TOKEN_TTL_SECONDS'],
    ['a TTL over a day', { PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_TOKEN_TTL_SECONDS: '86401' }, 'PLATFORM_TOKEN_TTL_SECONDS'],
    ['HS256', { PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_SIGNING_ALG: 'HS256' }, 'PLATFORM_SIGNING_ALG'],
    ['a non-URL issuer', { PLATFORM_ISSUER: 'identity' }, 'PLATFORM_ISSUER'],
    ['an http issuer in production', { NODE_ENV: 'production', AUTH_ISSUERS: ISSUERS, PLATFORM_ISSUER: 'http://id.example.com', PLATFORM_KEY_ENCRYPTION_KEY: KEY }, 'PLATFORM_ISSUER'],
    ['no encryption key in production', { NODE_ENV: 'production', AUTH_ISSUERS: ISSUERS, PLATFORM_ISSUER: 'https://id.example.com' }, 'PLATFORM_KEY_ENCRYPTION_KEY'],
    ['a 16-byte encryption key', { PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(16).toString('base64') }, 'PLATFORM_KEY_ENCRYPTION_KEY'],
    ['a rotation of 0 days', { PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_KEY_ROTATION_DAYS: '0' }, 'PLATFORM_KEY_ROTATION_DAYS'],
    ['an issuer an AUTH_ISSUERS entry uses', { AUTH_ISSUERS: ISSUERS, PLATFORM_ISSUER: 'https://t.auth0.com/' }, 'PLATFORM_ISSUER'],
    ['an http apiBaseUrl in production', { NODE_ENV: 'production', AUTH_ISSUERS: JSON.stringify([{ name: 'w', kind: 'workos', issuer: 'https://api.workos.com', clientId: 'c', apiBaseUrl: 'http://workos.internal' }]) }, 'AUTH_ISSUERS[0].apiBaseUrl'],
  ])('refuses %s with one line naming the variable', (_name, env, variable) => {
    const message = refusal(env as Record<string, string>);
    expect(message.startsWith(variable)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('never echoes the encryption key', () => {
    const secret = `${randomBytes(20).toString('base64')}!!`;
    expect(refusal({ PLATFORM_ISSUER: 'https://id.example.com', PLATFORM_KEY_ENCRYPTION_KEY: secret })).not.toContain(secret);
  });

  it('accepts a loopback http apiBaseUrl in production', () => {
    const issuers = JSON.stringify([{ name: 'w', kind: 'workos', issuer: 'https://api.workos.com', clientId: 'c', apiBaseUrl: 'http://127.0.0.1:9000/' }]);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_ISSUERS: issuers }).issuers[0]!.apiBaseUrl).toBe('http://127.0.0.1:9000');
  });
});
