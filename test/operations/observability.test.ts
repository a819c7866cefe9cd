// What operators see: one JSON log line per request (request id, operation, principal id,
// duration, outcome) that never carries a token, secret or email address, and Prometheus
// metrics on /metrics from a registry of the app's own.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, serializeError } from '../../src/log.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const SECRET = `subgraph-secret-${randomUUID()}`;

let issuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;
let lines: string[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  api = await startTestApp({
    issuers: [issuerConfig(issuer)],
    database: database.db,
    config: { subgraphSecret: SECRET },
    logger: createLogger({ logLevel: 'trace' }, sink),
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

const withSecret = { 'x-subgraph-secret': SECRET };

function records(): Record<string, any>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, any>);
}

function requestLine(requestId: string): Record<string, any> {
  const found = records().filter((r) => r['msg'] === 'request' && r['requestId'] === requestId);
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function metricsText(target: TestApp = api): Promise<string> {
  const response = await fetch(`${target.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).split(' ')[0] ?? '';
    if (wanted.every((w) => labelText.includes(w))) return Number(line.split(' ').at(-1));
  }
  return 0;
}

describe('request log', () => {
  it('writes one line per request with id, operation, principal id, duration and outcome, and no secret', async () => {
    const email = `Grace.${randomUUID()}@Example.com`;
    const token = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email, email_verified: true, name: 'Grace' });
    const requestId = `req-${randomUUID()}`;
    const ok = await api.gql('query Viewer { viewer { id email } }', { token, headers: { ...withSecret, 'x-request-id': requestId } });
    expect(ok.status).toBe(200);
    const userId = ok.body.data.viewer.id as string;

    const line = requestLine(requestId);
    expect(line).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/graphql',
      operation: 'Viewer',
      status: 200,
      outcome: 'success',
      errorCode: null,
      principal: 'user',
      principalId: userId,
      issuer: 'test',
    });
    expect(typeof line['durationMs']).toBe('number');
    expect(typeof line['time']).toBe('number');

    // A generated id when the client sends none, echoed in the response.
    const anonymous = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withSecret },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const generated = anonymous.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLine(generated!)).toMatchObject({ operation: null, principal: 'anonymous', outcome: 'success' });

    // An id that is not a plain token (here: an attempt at log injection) is replaced.
    const injected = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'abc"} {"level":60' } });
    expect(injected.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const all = lines.join('\n');
    for (const secret of [token, SECRET, email, email.toLowerCase()]) expect(all).not.toContain(secret);
  });

  it('logs failing requests with their code and still no token, secret or email', async () => {
    const before = lines.length;
    const email = `mallory.${randomUUID()}@example.com`;
    const forged = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email, email_verified: true }, { key: 'other' });
    const requestId = `req-${randomUUID()}`;
    const refused = await api.gql('query Forged { viewer { id } }', { token: forged, headers: { ...withSecret, 'x-request-id': requestId } });
    expect(refused.status).toBe(401);
    expect(requestLine(requestId)).toMatchObject({ operation: 'Forged', status: 401, outcome: 'error', errorCode: 'UNAUTHENTICATED' });

    // An email conflict: a verified holder exists, the new token's copy is unverified.
    const holderEmail = `holder.${randomUUID()}@example.com`;
    const holder = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: holderEmail, email_verified: true });
    expect((await api.gql('{ viewer { id } }', { token: holder, headers: withSecret })).status).toBe(200);
    const claimant = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: holderEmail, email_verified: false });
    const conflictId = `req-${randomUUID()}`;
    const conflict = await api.gql('{ viewer { id } }', { token: claimant, headers: { ...withSecret, 'x-request-id': conflictId } });
    expect(conflict.status).toBe(403);
    expect(requestLine(conflictId)).toMatchObject({ errorCode: 'EMAIL_NOT_VERIFIED', outcome: 'error' });

    // A service creating a user by email (the email travels in variables) and a wrong secret.
    const service = await issuer.sign({ sub: 'svc-billing', client_id: 'svc-billing', aud: 'https://api.test', scope: 'users:write' });
    const ensuredEmail = `new.${randomUUID()}@example.com`;
    const serviceId = `req-${randomUUID()}`;
    const ensured = await api.gql('mutation Ensure($input: EnsureUserInput) { ensureUser(input: $input) { created } }', {
      token: service,
      variables: { input: { email: ensuredEmail } },
      headers: { ...withSecret, 'x-request-id': serviceId },
    });
    expect(ensured.body.data.ensureUser.created).toBe(true);
    expect(requestLine(serviceId)).toMatchObject({ principal: 'service', principalId: 'svc-billing', operation: 'Ensure' });
    const wrongSecret = await api.gql('{ __typename }', { headers: { 'x-subgraph-secret': `${SECRET}-wrong` } });
    expect(wrongSecret.status).toBe(403);
    const badJson = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...withSecret }, body: `{"query": "${email}"` });
    expect(badJson.status).toBe(400);

    const written = lines.slice(before).join('\n');
    expect(lines.length).toBeGreaterThan(before + 5);
    for (const secret of [forged, holder, claimant, service, SECRET, email, holderEmail, ensuredEmail]) expect(written).not.toContain(secret);
    expect(written).not.toMatch(/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}/); // nothing JWT-shaped
  });

  it('reduces driver errors to type and codes: no message, no detail with row values', () => {
    const driverError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      code: '23505',
      detail: 'Key (email)=(ada@example.com) already exists.',
      constraint: 'users_email_key',
    });
    const wrapped = new Error('failed for ada@example.com', { cause: driverError });
    const serialized = serializeError(wrapped);
    expect(serialized).toMatchObject({ type: 'Error', cause: { type: 'Error', code: '23505', constraint: 'users_email_key' } });
    expect(JSON.stringify(serialized)).not.toMatch(/ada@example\.com|duplicate key/);

    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => void lines.push(line) });
    logger.error({ err: wrapped, email: 'ada@example.com' }, 'failed');
    expect(lines.join('')).not.toContain('ada@example.com');
    expect(JSON.parse(lines[0]!).err.cause.code).toBe('23505');
  });
});

describe('/metrics', () => {
  it('exposes requests, latency, verifications, JWKS fetches, provisioning, errors and the pool', async () => {
    const token = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    const before = await metricsText();
    const provisionedBefore = sample(before, 'identity_provisioned_total', { kind: 'user' });
    const viewerBefore = sample(before, 'identity_requests_total', { operation: 'MetricsViewer', outcome: 'success' });
    const verifiedBefore = sample(before, 'identity_token_verifications_total', { issuer: 'test', outcome: 'success' });
    expect(viewerBefore).toBe(0);

    await api.gql('query MetricsViewer { viewer { id } }', { token, headers: withSecret });
    await api.gql('query MetricsViewer { viewer { id } }', { token, headers: withSecret });
    await api.gql('query MetricsViewer { viewer { id } }', { token: 'not.a.token', headers: withSecret });

    const text = await metricsText();
    expect(sample(text, 'identity_requests_total', { operation: 'MetricsViewer', outcome: 'success' })).toBe(2);
    expect(sample(text, 'identity_requests_total', { operation: 'MetricsViewer', outcome: 'error' })).toBe(1);
    expect(sample(text, 'identity_request_duration_seconds_count', { operation: 'MetricsViewer', outcome: 'success' })).toBe(2);
    expect(text).toMatch(/identity_request_duration_seconds_bucket\{le="0.1",operation="MetricsViewer",outcome="success"\}/);
    expect(sample(text, 'identity_provisioned_total', { kind: 'user' })).toBe(provisionedBefore + 1);
    expect(sample(text, 'identity_provisioned_total', { kind: 'identity' })).toBeGreaterThanOrEqual(1);
    // The first request verifies the token, the second finds it verified: both count, once each.
    expect(sample(text, 'identity_token_verifications_total', { issuer: 'test', outcome: 'success' })).toBe(verifiedBefore + 2);
    expect(sample(await metricsText(), 'identity_token_verifications_total', { issuer: 'test', outcome: 'success' })).toBe(verifiedBefore + 2);
    expect(sample(text, 'identity_token_verifications_total', { issuer: 'unknown', outcome: 'unauthenticated' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'identity_jwks_fetches_total', { issuer: 'test', outcome: 'success' })).toBe(1);
    expect(sample(text, 'identity_errors_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^identity_db_pool_connections\{state="in_use"\} \d+$/m);
    expect(text).toMatch(/^identity_db_pool_waiting \d+$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(sample(text, 'identity_requests_total', { operation: '/metrics', outcome: 'success' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps client-chosen operation names bounded', async () => {
    await api.gql('query NotAName { __typename }', { headers: withSecret });
    const weird = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withSecret },
      body: JSON.stringify({ query: '{ __typename }', operationName: 'x"} 1\nevil' }),
    });
    expect(weird.status).toBeGreaterThanOrEqual(400);
    const text = await metricsText();
    expect(text).not.toContain('evil');
    expect(sample(text, 'identity_requests_total', { operation: 'invalid' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps one registry per app: a second app in the same process counts on its own', async () => {
    const other = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'second' })], database: database.db });
    try {
      const text = await metricsText(other);
      expect(sample(text, 'identity_requests_total', { operation: 'MetricsViewer' })).toBe(0);
      expect(text).toContain('identity_requests_total');
    } finally {
      await other.close();
    }
  });
});
