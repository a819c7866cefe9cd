// callers.md, "Old validators that do not speak RFC 7662": an old validator on loopback asked in
// each request shape (`{"header": "X-User-Token"}`, `"bearer"`, `"rfc7662"`), configured through
// AUTH_ISSUERS alone; its sessions seen on /graphql and by POST /oauth/introspect alike.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIssuerList, type IntrospectionIssuerConfig } from '../../src/config/issuers.js';
import { loadConfig } from '../../src/config/index.js';
import { readIntrospectionAnswer } from '../../src/auth/introspection.js';
import type { TestApp } from '../helpers/app.js';
import { useTestBed } from '../helpers/testBed.js';
import { introspect, serviceToken } from './client.js';
import { startOldValidator, type OldValidator, type ValidatorShape } from './validator.js';

const bed = useTestBed();
const SECRET_ENV = 'OLD_VALIDATOR_SECRET';
const SECRET = 'old-validator-secret-value';

function entryFor(validator: OldValidator, fields: Record<string, unknown>): Record<string, unknown> {
  return { name: 'old', kind: 'introspection', issuer: 'https://sessions.old.test', introspectionUrl: validator.url, ...fields };
}

function parse(entry: Record<string, unknown>): IntrospectionIssuerConfig {
  return parseIssuerList(JSON.stringify([entry]), 'AUTH_ISSUERS', { [SECRET_ENV]: SECRET }).introspection!;
}

/** The validator that answers {"userId","email","typeName","name"} to GET /validate with X-User-Token. */
const OLD_FIELDS = { request: { header: 'X-User-Token' }, method: 'GET', activeField: null, subjectField: 'userId', principalField: 'typeName' };

async function appWith(introspection: IntrospectionIssuerConfig): Promise<TestApp> {
  // A deadline that a loaded machine still meets, and a hanging validator's 503 well within the test's time.
  return bed.start({ config: { introspection, jwksFetchTimeoutMs: 2000 } });
}

const viewer = (api: TestApp, token: string) => api.gql('{ viewer { id email name } }', { token });

describe('GET /validate with X-User-Token, answering {"userId","email","typeName","name"}', () => {
  let validator: OldValidator;
  let api: TestApp;
  let caller: string;
  beforeAll(async () => {
    validator = await startOldValidator({ header: 'X-User-Token' });
    api = await appWith(parse(entryFor(validator, OLD_FIELDS)));
    caller = await serviceToken(bed.issuer, 'tokens:introspect');
  });
  afterAll(() => validator.close());

  it('a user session works on /graphql and in introspection, asked in the validator\'s shape', async () => {
    const token = `sess_${randomUUID()}`;
    const userId = randomUUID();
    const email = `${randomUUID()}@example.com`;
    validator.setSession(token, { userId, email, typeName: 'user', name: 'Old Timer' });
    const before = validator.calls.length;
    const first = await viewer(api, token);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.viewer).toMatchObject({ email, name: 'Old Timer' });
    const call = validator.calls[before]!;
    expect(call.method).toBe('GET');
    expect(call.path).toBe('/validate');
    expect(call.headers['x-user-token']).toBe(token);
    expect(call.body).toBe('');
    expect(call.headers.authorization).toBeUndefined();
    expect(call.headers['content-type']).toBeUndefined();
    const answer = await introspect(api.url, caller, token);
    expect(answer).toMatchObject({ active: true, principal: 'user', sub: first.body.data.viewer.id, iss: 'https://sessions.old.test', idp: 'old', email, name: 'Old Timer', scope: 'user' });
    // Cached as RFC 7662 answers are: one call for all of the above.
    expect(validator.calls.length).toBe(before + 1);
  });

  it('concurrent first requests share one call', async () => {
    const token = `sess_${randomUUID()}`;
    validator.setSession(token, { userId: randomUUID(), email: `${randomUUID()}@example.com`, typeName: 'user', name: 'Many' });
    const before = validator.calls.length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => viewer(api, token)));
    expect(new Set(answers.map((a) => a.body.data.viewer.id)).size).toBe(1);
    expect(validator.calls.length).toBe(before + 1);
  });

  it('typeName other than user: a service principal, its sub the subject, no scopes', async () => {
    const token = `sess_${randomUUID()}`;
    const subject = `svc-${randomUUID()}`;
    validator.setSession(token, { userId: subject, email: 'robot@example.com', typeName: 'service', name: 'Robot' });
    const result = await viewer(api, token);
    expect(result.status).toBe(200);
    expect(result.body.data.viewer).toBeNull();
    const answer = await introspect(api.url, caller, token);
    expect(answer).toEqual({ active: true, principal: 'service', sub: subject, iss: 'https://sessions.old.test', idp: 'old', exp: answer['exp'] });
    // A service of this kind can hold nothing: it cannot read users.
    const users = await api.gql('{ users(first: 1) { edges { node { id } } } }', { token });
    expect(users.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('401, 403 and 404 mean not live: 401 on /graphql, inactive in introspection, remembered briefly', async () => {
    for (const status of [401, 403, 404]) {
      const token = `sess_${randomUUID()}`;
      validator.setSession(token, status);
      const result = await viewer(api, token);
      expect(result.status, String(status)).toBe(401);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const before = validator.calls.length;
      expect(await introspect(api.url, caller, token)).toEqual({ active: false });
      // The negative answer is cached: no second call.
      expect(validator.calls.length).toBe(before);
    }
    // An unknown session likewise (the validator's 401).
    expect(await introspect(api.url, caller, `sess_${randomUUID()}`)).toEqual({ active: false });
  });

  it('a 500 or a timeout: 503 with Retry-After, never inactive; a live answer within cacheSeconds keeps working', async () => {
    const live = `sess_${randomUUID()}`;
    validator.setSession(live, { userId: randomUUID(), email: `${randomUUID()}@example.com`, typeName: 'user' });
    const id = (await viewer(api, live)).body.data.viewer.id;
    for (const mode of ['down', 'hang'] as const) {
      validator.setMode(mode);
      const token = `sess_${randomUUID()}`;
      const result = await viewer(api, token);
      expect(result.status, mode).toBe(503);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
      const response = await fetch(`${api.url}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${caller}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      expect(response.status, mode).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await response.text()).not.toContain('active');
      expect((await viewer(api, live)).body.data.viewer.id).toBe(id);
    }
    validator.setMode('up');
  });
});

describe('the other shapes', () => {
  it('"bearer", POST by default: Authorization: Bearer <token>, no body', async () => {
    const validator = await startOldValidator('bearer', '/session');
    try {
      const api = await appWith(parse(entryFor(validator, { request: 'bearer', subjectField: 'id', activeField: 'valid' })));
      const token = `tok_${randomUUID()}`;
      validator.setSession(token, { valid: true, id: `legacy-${randomUUID()}`, email: `${randomUUID()}@example.com` });
      expect((await viewer(api, token)).body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
      const call = validator.calls.at(-1)!;
      expect(call.method).toBe('POST');
      expect(call.headers.authorization).toBe(`Bearer ${token}`);
      expect(call.body).toBe('');
      // activeField false: not live.
      const dead = `tok_${randomUUID()}`;
      validator.setSession(dead, { valid: false, id: 'whoever' });
      expect((await viewer(api, dead)).status).toBe(401);
      // A 200 without the activeField: the validator said nothing usable.
      const odd = `tok_${randomUUID()}`;
      validator.setSession(odd, { id: 'whoever' });
      expect((await viewer(api, odd)).status).toBe(503);
    } finally {
      await validator.close();
    }
  });

  it('a header shape with clientId and clientSecretEnv sends HTTP Basic too', async () => {
    const validator = await startOldValidator({ header: 'X-Session' });
    try {
      const api = await appWith(parse(entryFor(validator, { request: { header: 'X-Session' }, activeField: null, clientId: 'subgraph', clientSecretEnv: SECRET_ENV })));
      const token = `tok_${randomUUID()}`;
      validator.setSession(token, { sub: `legacy-${randomUUID()}` });
      expect((await viewer(api, token)).status).toBe(200);
      const call = validator.calls.at(-1)!;
      expect(call.headers['x-session']).toBe(token);
      expect(call.headers.authorization).toBe(`Basic ${Buffer.from(`subgraph:${SECRET}`).toString('base64')}`);
      expect(call.body).toBe('');
    } finally {
      await validator.close();
    }
  });

  it('"rfc7662" (the default): a POSTed form with HTTP Basic; a principalField makes services there too', async () => {
    const validator = await startOldValidator('rfc7662', '/introspect');
    try {
      const api = await appWith(parse(entryFor(validator, { clientId: 'subgraph', clientSecretEnv: SECRET_ENV, principalField: 'kind', serviceScopes: ['users:read'] })));
      const caller = await serviceToken(bed.issuer, 'tokens:introspect');
      const token = `tok_${randomUUID()}`;
      validator.setSession(token, { sub: `legacy-${randomUUID()}`, email: `${randomUUID()}@example.com`, kind: 'user' });
      expect(await introspect(api.url, caller, token)).toMatchObject({ active: true, principal: 'user' });
      const call = validator.calls.at(-1)!;
      expect(call.method).toBe('POST');
      expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(new URLSearchParams(call.body).get('token')).toBe(token);
      expect(call.headers.authorization).toBe(`Basic ${Buffer.from(`subgraph:${SECRET}`).toString('base64')}`);
      const robot = `tok_${randomUUID()}`;
      validator.setSession(robot, { sub: 'batch-job', kind: 'job' });
      expect(await introspect(api.url, caller, robot)).toMatchObject({ active: true, principal: 'service', sub: 'batch-job', scope: 'users:read' });
      expect(await introspect(api.url, caller, `tok_${randomUUID()}`)).toEqual({ active: false });
    } finally {
      await validator.close();
    }
  });
});

describe('configuration', () => {
  const base = { name: 'old', kind: 'introspection', issuer: 'https://sessions.old.test', introspectionUrl: 'http://127.0.0.1:1/validate' };
  const start = (entry: Record<string, unknown>) => () => loadConfig({ AUTH_ISSUERS: JSON.stringify([entry]), [SECRET_ENV]: SECRET });

  it('"rfc7662" with GET is refused at start-up, naming the field', () => {
    expect(start({ ...base, clientId: 'c', clientSecretEnv: SECRET_ENV, method: 'GET' })).toThrow(/AUTH_ISSUERS\[0\]\.method: .*rfc7662/);
    expect(start({ ...base, clientId: 'c', clientSecretEnv: SECRET_ENV, request: 'rfc7662', method: 'GET' })).toThrow(/method/);
  });

  it('clientId and clientSecretEnv are required for rfc7662 only, and go together', () => {
    expect(start({ ...base })).toThrow(/AUTH_ISSUERS\[0\]\.clientId: required for request "rfc7662"/);
    expect(start({ ...base, request: 'bearer', method: 'GET' })).not.toThrow();
    expect(start({ ...base, request: { header: 'X-User-Token' } })).not.toThrow();
    expect(start({ ...base, request: 'bearer', clientId: 'c' })).toThrow(/clientSecretEnv/);
  });

  it('refuses an unknown shape, a bad header name and an unknown method', () => {
    expect(start({ ...base, request: 'form' })).toThrow(/AUTH_ISSUERS\[0\]\.request/);
    expect(start({ ...base, request: { header: 'Bad Header' } })).toThrow(/request/);
    expect(start({ ...base, request: { header: 'Authorization' } })).toThrow(/request/);
    expect(start({ ...base, request: 'bearer', method: 'PUT' })).toThrow(/method/);
  });

  it('names come from givenNameField and familyNameField; name is composed from them when absent', () => {
    const config = parse({ ...base, request: 'bearer', activeField: null, subjectField: 'userId', givenNameField: 'firstName', familyNameField: 'lastName' });
    const read = readIntrospectionAnswer(config, { userId: 'u1', firstName: 'Ada', lastName: 'Lovelace' }, Date.now());
    expect(read).toMatchObject({ kind: 'user', claims: { givenName: 'Ada', familyName: 'Lovelace', name: 'Ada Lovelace' } });
    const named = readIntrospectionAnswer(config, { userId: 'u1', name: 'Countess', firstName: 'Ada' }, Date.now());
    expect(named).toMatchObject({ kind: 'user', claims: { givenName: 'Ada', familyName: null, name: 'Countess' } });
  });
});
