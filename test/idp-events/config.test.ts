// idp-events.md, Configuration: `webhookSecretEnv` and `eventsPollSeconds` on `workos` entries,
// read and checked at start-up. A secret variable that is unset stops the process with one line
// naming it (never a webhook endpoint that accepts nothing, or anything); no value is ever printed.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { parseIssuerList } from '../../src/config/issuers.js';
import { killStarted, startMain } from '../helpers/process.js';

afterAll(killStarted);

const WORKOS = { name: 'workos', kind: 'workos', issuer: 'https://api.workos.com/user_management/client_01', clientId: 'client_01' };
const ENV = { WORKOS_WEBHOOK_SECRET: 'whsec_value_1234', WORKOS_API_KEY: 'sk_value_5678' };

const parse = (entry: Record<string, unknown>, env: Record<string, string> = ENV) => parseIssuerList(JSON.stringify([entry]), 'AUTH_ISSUERS', env).issuers[0]!;
const refusal = (entry: Record<string, unknown>, env: Record<string, string> = ENV) => {
  try {
    parse(entry, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('a workos entry', () => {
  it('reads the webhook secret from the variable it names; polls every 30 s by default with an API key too', () => {
    const both = parse({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', apiKeyEnv: 'WORKOS_API_KEY' });
    expect({ secret: both.webhookSecret, poll: both.eventsPollSeconds, key: both.userinfoApiKey }).toEqual({ secret: 'whsec_value_1234', poll: 30, key: 'sk_value_5678' });
    expect(parse({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', apiKeyEnv: 'WORKOS_API_KEY', eventsPollSeconds: 0 }).eventsPollSeconds).toBe(0);
    expect(parse({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', apiKeyEnv: 'WORKOS_API_KEY', eventsPollSeconds: 5 }).eventsPollSeconds).toBe(5);
    expect(parse({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', apiKeyEnv: 'WORKOS_API_KEY', eventsPollSeconds: 0.5 }).eventsPollSeconds).toBe(0.5);
    // Without an API key: no polling, and no error.
    expect(parse({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', eventsPollSeconds: 10 }).eventsPollSeconds).toBe(0);
    // An API key alone (the code grant): polls only when asked to.
    expect(parse({ ...WORKOS, apiKeyEnv: 'WORKOS_API_KEY' }).eventsPollSeconds).toBe(0);
    expect(parse({ ...WORKOS, apiKeyEnv: 'WORKOS_API_KEY', eventsPollSeconds: 60 }).eventsPollSeconds).toBe(60);
    expect(parse(WORKOS).webhookSecret).toBeNull();
  });

  it('refuses an unset secret variable, a poll interval below 0 or above a day, and these fields on other kinds', () => {
    expect(refusal({ ...WORKOS, webhookSecretEnv: 'UNSET_SECRET' })).toBe('AUTH_ISSUERS[0].webhookSecretEnv: environment variable UNSET_SECRET is not set');
    expect(refusal({ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET' }, { WORKOS_WEBHOOK_SECRET: '' })).toContain('webhookSecretEnv');
    expect(refusal({ ...WORKOS, eventsPollSeconds: -1 })).toMatch(/^AUTH_ISSUERS\[0\]\.eventsPollSeconds: /);
    expect(refusal({ ...WORKOS, eventsPollSeconds: 86_401 })).toMatch(/^AUTH_ISSUERS\[0\]\.eventsPollSeconds: /);
    expect(refusal({ ...WORKOS, eventsPollSeconds: '30' })).toMatch(/^AUTH_ISSUERS\[0\]\.eventsPollSeconds: /);
    const oidc = { name: 'o', kind: 'oidc', issuer: 'https://o.test/', audience: 'a' };
    expect(refusal({ ...oidc, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET' })).toBe('AUTH_ISSUERS[0].webhookSecretEnv: only for kind workos (idp-events.md)');
    expect(refusal({ ...oidc, eventsPollSeconds: 30 })).toBe('AUTH_ISSUERS[0].eventsPollSeconds: only for kind workos (idp-events.md)');
  });

  it('loadConfig: the refusal names the variable, never a value', () => {
    const env = { AUTH_ISSUERS: JSON.stringify([{ ...WORKOS, webhookSecretEnv: 'MISSING_VAR', apiKeyEnv: 'WORKOS_API_KEY' }]), ...ENV };
    expect(() => loadConfig(env)).toThrow('AUTH_ISSUERS[0].webhookSecretEnv: environment variable MISSING_VAR is not set');
  });
});

describe('npm start', () => {
  it('refuses to start when webhookSecretEnv names an unset variable: one line, exit 1', async () => {
    const main = startMain({ NODE_ENV: 'production', AUTH_ISSUERS: JSON.stringify([{ ...WORKOS, webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET_UNSET' }]), DATABASE_URL: 'pglite://memory' });
    expect(await main.exited).toBe(1);
    expect(main.stderr().trim()).toBe('Invalid configuration: AUTH_ISSUERS[0].webhookSecretEnv: environment variable WORKOS_WEBHOOK_SECRET_UNSET is not set');
  }, 30_000);
});
