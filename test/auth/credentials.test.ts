// Spec "HTTP → Credentials", over HTTP against a production-mode app: how a token is carried,
// every way a token can fail (each a 401 with the RFC 6750 challenge, never anonymous), the
// issuer being unreachable (503), GET with CSRF prevention, and error bodies that reveal nothing.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import {
  AUDIENCE,
  confusedTokens,
  countUsers,
  embeddedKeyToken,
  expectNoLeak,
  rawRequest,
  unique,
  unsecuredToken,
  UUID_V4,
  type RawResponse,
} from '../helpers/battery.js';

/** A POST to /graphql written on a bare socket (no client code checks the header); the whole answer. */
function overSocket(authorization: string, body: string): Promise<string> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.end(
      `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Authorization: ${authorization}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

let issuer: TestIssuer; // healthy, auth0 kind
let down: TestIssuer; // JWKS answers 500 from the start: no key ever cached
let hanging: TestIssuer; // JWKS never answers
let flaky: TestIssuer; // goes down after its keys were cached
let rotating: TestIssuer; // rotates its signing key
let database: TestDatabase;
let api: TestApp;

const VIEWER = '{ viewer { id } }';

beforeAll(async () => {
  [issuer, down, hanging, flaky, rotating] = await Promise.all([startTestIssuer(), startTestIssuer(), startTestIssuer(), startTestIssuer(), startTestIssuer()]);
  down.setMode('down');
  hanging.setMode('hang');
  database = await openTestDatabase();
  api = await startTestApp({
    production: true,
    database: database.db,
    issuers: [
      issuerConfig(issuer, { name: 'auth0', kind: 'auth0' }),
      issuerConfig(down, { name: 'down' }),
      issuerConfig(hanging, { name: 'hanging' }),
      issuerConfig(flaky, { name: 'flaky', jwksRefreshSeconds: 1 }),
      issuerConfig(rotating, { name: 'rotating' }),
    ],
    config: { jwksFetchTimeoutMs: 400 },
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await Promise.all([issuer, down, hanging, flaky, rotating].map((i) => i?.close()));
});

function userToken(claims: Record<string, unknown> = {}, from: TestIssuer = issuer): Promise<string> {
  return from.sign({ sub: unique('auth0|cred'), aud: AUDIENCE, ...claims });
}

function post(headers: Record<string, string>, query = VIEWER): Promise<RawResponse> {
  return rawRequest(api.url, { headers, body: { query } });
}

/** 401, code UNAUTHENTICATED, the Bearer challenge, no data, and nothing internal in the body. */
function expectUnauthenticated(response: RawResponse, secrets: string[] = []): void {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
  expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect(response.body.data ?? null).toBeNull();
  expectNoLeak(response.text, secrets);
}

describe('carrying the token', () => {
  it('accepts the Bearer scheme in any case (RFC 7235)', async () => {
    const token = await userToken();
    const ids = new Set<string>();
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const response = await post({ authorization: `${scheme} ${token}` });
      expect(response.status, scheme).toBe(200);
      expect(response.body.data.viewer.id).toMatch(UUID_V4);
      ids.add(response.body.data.viewer.id);
    }
    expect(ids.size).toBe(1);
  });

  it('accepts the legacy X-User-Token header alone, as the same identity', async () => {
    const token = await userToken();
    const legacy = await post({ 'x-user-token': token });
    expect(legacy.status).toBe(200);
    expect(legacy.body.data.viewer.id).toMatch(UUID_V4);
    const bearer = await post({ authorization: `Bearer ${token}` });
    expect(bearer.body.data.viewer.id).toBe(legacy.body.data.viewer.id);
  });

  it('answers a request without credentials anonymously: 200, viewer null, nothing provisioned', async () => {
    const before = await countUsers(database.db);
    const response = await post({});
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ viewer: null });
    expect(response.body.errors).toBeUndefined();
    expect(await countUsers(database.db)).toBe(before);
  });

  it('refuses both headers with different tokens: 400 AMBIGUOUS_CREDENTIALS', async () => {
    const [a, b] = await Promise.all([userToken(), userToken()]);
    const response = await post({ authorization: `Bearer ${a}`, 'x-user-token': b });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('AMBIGUOUS_CREDENTIALS');
    expect(response.body.data ?? null).toBeNull();
    expectNoLeak(response.text, [a, b]);
  });

  // The warm path takes `Bearer <a token verified before>` without checking its syntax again:
  // the rules above hold for a warm token too, and the skipped check is observed skipped.
  it('a warm token: ambiguity still refused, the header not pattern-checked again', async () => {
    const [token, other] = await Promise.all([userToken(), userToken()]);
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
    const ambiguous = await post({ authorization: `Bearer ${token}`, 'x-user-token': other });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.errors[0].extensions.code).toBe('AMBIGUOUS_CREDENTIALS');
    expect((await post({ authorization: `Bearer ${token}`, 'x-user-token': token })).status).toBe(200);
    expectUnauthenticated(await post({ authorization: `Bearer ${token} x` }));
    expectUnauthenticated(await post({ authorization: `Bearer ${token}`.replace(/\.([^.]*)$/, '. $1') }));
    expect((await post({ authorization: `bearer ${token}` })).status).toBe(200);

    // What the regular expressions in this process (the app's) ran over while answering the warm
    // request, sent over a bare socket (an HTTP client checks header values with one itself).
    const header = `Bearer ${token}`;
    const test = vi.spyOn(RegExp.prototype, 'test');
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    let answer: string;
    let subjects: unknown[];
    try {
      answer = await overSocket(header, JSON.stringify({ query: VIEWER }));
      subjects = [...test.mock.calls, ...exec.mock.calls].map(([subject]) => subject);
    } finally {
      test.mockRestore();
      exec.mockRestore();
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"viewer":{"id":"');
    expect(subjects.length).toBeGreaterThan(0); // the spies saw the request's other checks
    expect(subjects.filter((subject) => subject === header || subject === token)).toEqual([]);
  });

  it('accepts both headers carrying the same token', async () => {
    const token = await userToken();
    const response = await post({ authorization: `Bearer ${token}`, 'x-user-token': token });
    expect(response.status).toBe(200);
    expect(response.body.data.viewer.id).toMatch(UUID_V4);
  });

  it('refuses another scheme (Basic): 401 with the Bearer challenge', async () => {
    const response = await post({ authorization: `Basic ${Buffer.from('ada:secret').toString('base64')}` });
    expectUnauthenticated(response);
  });

  it('refuses an empty bearer, a bare scheme and a whitespace-split bearer', async () => {
    expectUnauthenticated(await post({ authorization: 'Bearer' }));
    expectUnauthenticated(await post({ authorization: 'Bearer    ' }));
    expectUnauthenticated(await post({ authorization: 'Bearer abc def' }));
  });

  it('refuses an empty X-User-Token rather than serving it anonymously', async () => {
    expectUnauthenticated(await post({ 'x-user-token': ' ' }));
  });

  it('refuses a correctly signed token over 8 KiB in either header', async () => {
    const token = await userToken({ padding: 'x'.repeat(8300) });
    expect(token.length).toBeGreaterThan(8192);
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }));
    expectUnauthenticated(await post({ 'x-user-token': token }));
  });

  it('accepts a signed token just under 8 KiB (the limit is not set lower)', async () => {
    const token = await userToken({ padding: 'x'.repeat(5600) });
    expect(token.length).toBeLessThanOrEqual(8192);
    expect(token.length).toBeGreaterThan(7000);
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
  });
});

describe('every verification failure is a 401, never an anonymous request', () => {
  it('a forged signature (a key the issuer never published, under its kid)', async () => {
    const token = await issuer.sign({ sub: unique('auth0|forged'), aud: AUDIENCE }, { key: 'other' });
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
  });

  it('a payload tampered with after signing', async () => {
    const token = await userToken();
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'auth0|victim' })).toString('base64url')}.${signature}`;
    expectUnauthenticated(await post({ authorization: `Bearer ${tampered}` }), [tampered]);
  });

  it('an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await userToken({ iat: now - 7200, exp: now - 60 });
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
  });

  it('a wrong audience', async () => {
    const token = await userToken({ aud: 'https://another-api.test' });
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
    const list = await userToken({ aud: ['https://another-api.test', 'https://third.test'] });
    expectUnauthenticated(await post({ authorization: `Bearer ${list}` }), [list]);
    const none = await userToken({ aud: undefined });
    expectUnauthenticated(await post({ authorization: `Bearer ${none}` }), [none]);
  });

  it('accepts an audience array that contains the configured audience', async () => {
    const token = await userToken({ aud: ['https://another-api.test', AUDIENCE] });
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('a wrong issuer, including the trusted one without its trailing slash', async () => {
    const foreign = await userToken({ iss: 'https://evil.example/' });
    expectUnauthenticated(await post({ authorization: `Bearer ${foreign}` }), [foreign]);
    const noSlash = await userToken({ iss: issuer.url.replace(/\/$/, '') });
    expectUnauthenticated(await post({ authorization: `Bearer ${noSlash}` }), [noSlash]);
  });

  it('a token signed by one trusted issuer claiming to come from another', async () => {
    // Signed with `flaky`'s key but naming `auth0`'s iss: keys are per issuer.
    const token = await flaky.sign({ sub: unique('auth0|cross'), aud: AUDIENCE, iss: issuer.url }, { kid: issuer.kid });
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
  });

  it('alg: none (an unsecured JWT)', async () => {
    const token = unsecuredToken(issuer, { sub: unique('auth0|none') });
    expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
    // Some libraries accepted `none` with any signature part.
    const withSignature = `${token}c2ln`;
    expectUnauthenticated(await post({ authorization: `Bearer ${withSignature}` }), [withSignature]);
  });

  it('HS256 signed with the RSA public key as the secret (algorithm confusion)', async () => {
    for (const token of await confusedTokens(issuer, { sub: unique('auth0|confused') })) {
      expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
    }
  });

  it('a token that carries its own key (jwk) or key location (jku, x5u)', async () => {
    for (const member of ['jwk', 'jku', 'x5u'] as const) {
      const token = await embeddedKeyToken(issuer, { sub: unique('auth0|embedded') }, member);
      expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
    }
  });

  it('an unknown kid', async () => {
    const token = await userToken({}, issuer);
    const unknown = await issuer.sign({ sub: unique('auth0|kid'), aud: AUDIENCE }, { kid: 'kid-that-was-never-published', key: 'other' });
    expectUnauthenticated(await post({ authorization: `Bearer ${unknown}` }), [unknown]);
    expect((await post({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('a token missing iss, sub or exp', async () => {
    for (const missing of ['iss', 'sub', 'exp']) {
      const token = await userToken({ [missing]: undefined });
      expectUnauthenticated(await post({ authorization: `Bearer ${token}` }), [token]);
    }
    const blankSub = await userToken({ sub: '' });
    expectUnauthenticated(await post({ authorization: `Bearer ${blankSub}` }), [blankSub]);
  });

  it('a token not in compact three-part form, and garbage', async () => {
    const token = await userToken();
    const [h, p, s] = token.split('.');
    const shapes = [
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`, // JWE-shaped
      `${h}..${s}`,
      'not-a-token',
      'a.b.c',
      '%%%.%%%.%%%',
      Buffer.from('{"alg":"RS256"}').toString('base64'),
    ];
    for (const shape of shapes) {
      expectUnauthenticated(await post({ authorization: `Bearer ${shape}` }), [shape]);
      expectUnauthenticated(await post({ 'x-user-token': shape }), [shape]);
    }
  });

  it('a bad token in X-User-Token next to no Authorization is refused too', async () => {
    const token = await issuer.sign({ sub: unique('auth0|legacy'), aud: AUDIENCE }, { key: 'other' });
    expectUnauthenticated(await post({ 'x-user-token': token }), [token]);
  });

  it('a failed token provisions nothing', async () => {
    const before = await countUsers(database.db);
    const forged = await issuer.sign({ sub: unique('auth0|nothing'), aud: AUDIENCE, email: 'x@example.com', email_verified: true }, { key: 'other' });
    expectUnauthenticated(await post({ authorization: `Bearer ${forged}` }));
    expect(await countUsers(database.db)).toBe(before);
  });
});

describe("the issuer's keys cannot be fetched", () => {
  it('answers 503 AUTH_PROVIDER_UNAVAILABLE with Retry-After when no key is cached (HTTP 500 from the JWKS)', async () => {
    const token = await userToken({}, down);
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(503);
    expect(response.body.errors[0].extensions.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.body.data ?? null).toBeNull();
    expectNoLeak(response.text, [token, String(new URL(down.url).port)]);
  });

  it('answers 503 within the fetch deadline when the JWKS endpoint hangs', async () => {
    const token = await userToken({}, hanging);
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(503);
    expect(response.body.errors[0].extensions.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expectNoLeak(response.text, [token, String(new URL(hanging.url).port)]);
  });

  it('keeps serving tokens signed with keys it already holds (stale-if-error)', async () => {
    const first = await userToken({}, flaky);
    expect((await post({ authorization: `Bearer ${first}` })).status).toBe(200);
    flaky.setMode('down');
    try {
      const requestsBefore = flaky.jwksRequests;
      await eventually(() => flaky.jwksRequests > requestsBefore); // the scheduled refresh (1 s) has now failed
      for (let i = 0; i < 3; i += 1) {
        const next = await userToken({}, flaky); // a new token each time: no verified-token cache
        const response = await post({ authorization: `Bearer ${next}` });
        expect(response.status).toBe(200);
        expect(response.body.data.viewer.id).toMatch(UUID_V4);
      }
    } finally {
      flaky.setMode('up');
    }
  });
});

describe('key rotation', () => {
  it("accepts the new key after the issuer rotates (one refetch), and random kids cause no further fetches", async () => {
    expect((await post({ authorization: `Bearer ${await userToken({}, rotating)}` })).status).toBe(200);
    await rotating.rotate();
    const fetchesBefore = rotating.jwksRequests;
    const rotated = await post({ authorization: `Bearer ${await userToken({}, rotating)}` });
    expect(rotated.status).toBe(200);
    expect(rotating.jwksRequests).toBe(fetchesBefore + 1);
    // Within the 30 s cooldown, a flood of unknown kids never reaches the issuer.
    for (let i = 0; i < 5; i += 1) {
      const junk = await rotating.sign({ sub: unique('auth0|junk'), aud: AUDIENCE }, { kid: `kid-junk-${i}`, key: 'other' });
      expectUnauthenticated(await post({ authorization: `Bearer ${junk}` }), [junk]);
    }
    expect(rotating.jwksRequests).toBe(fetchesBefore + 1);
  });
});

describe('GET /graphql', () => {
  it('runs a query when Apollo CSRF prevention is satisfied', async () => {
    const token = await userToken();
    const query = encodeURIComponent(VIEWER);
    const variants: Record<string, string>[] = [{ 'apollo-require-preflight': 'true' }, { 'content-type': 'application/json' }, { 'x-apollo-operation-name': 'Viewer' }];
    for (const headers of variants) {
      const response = await rawRequest(api.url, { method: 'GET', path: `/graphql?query=${query}`, headers: { ...headers, authorization: `Bearer ${token}` } });
      expect(response.status, JSON.stringify(headers)).toBe(200);
      expect(response.body.data.viewer.id).toMatch(UUID_V4);
    }
  });

  it('refuses a simple (CSRF-able) GET without a preflight header', async () => {
    const token = await userToken();
    const response = await rawRequest(api.url, { method: 'GET', path: `/graphql?query=${encodeURIComponent(VIEWER)}`, headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(400);
    expect(response.body?.data ?? null).toBeNull();
  });

  it('refuses a mutation over GET', async () => {
    const token = await userToken();
    const response = await rawRequest(api.url, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent('mutation { ensureUser { created } }')}`,
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(405);
  });

  it('verifies credentials on GET like on POST', async () => {
    const forged = await issuer.sign({ sub: unique('auth0|get'), aud: AUDIENCE }, { key: 'other' });
    const response = await rawRequest(api.url, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(VIEWER)}`,
      headers: { authorization: `Bearer ${forged}`, 'apollo-require-preflight': 'true' },
    });
    expectUnauthenticated(response, [forged]);
  });
});

describe('production surface', () => {
  it('turns introspection off but keeps federation _service', async () => {
    const introspection = await post({}, '{ __schema { queryType { name } } }');
    expect(introspection.body.data ?? null).toBeNull();
    expect(introspection.body.errors.length).toBeGreaterThan(0);
    expectNoLeak(introspection.text);
    const service = await post({}, '{ _service { sdl } }');
    expect(service.status).toBe(200);
    expect(service.body.data._service.sdl).toContain('type User');
  });

  it('gives no "did you mean" suggestions and no stack traces', async () => {
    const response = await post({}, '{ viewr { id } }');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expectNoLeak(response.text);
  });
});

describe('malformed requests reveal nothing', () => {
  it('bad JSON, wrong shapes and syntax errors answer 4xx with no internals', async () => {
    const token = await userToken();
    const bodies = ['{', '{"query": 1}', '[]', '{"query": "{ viewer { id "}', '{"query": "{ viewer { id } }", "variables": "x"}', 'null'];
    for (const body of bodies) {
      const response = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      const text = await response.text();
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
      expectNoLeak(text, [token]);
      expect(text).not.toMatch(/Unexpected token|JSON\.parse|SyntaxError: /);
    }
  });
});

describe('SUBGRAPH_SECRET', () => {
  let guarded: TestApp;
  const SECRET = 'router-shared-secret-0123456789';
  beforeAll(async () => {
    guarded = await startTestApp({
      production: true,
      database: database.db,
      issuers: [issuerConfig(issuer, { name: 'auth0', kind: 'auth0' })],
      config: { subgraphSecret: SECRET },
    });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it('refuses /graphql without the header or with a wrong one: 403, before any token is looked at', async () => {
    const token = await userToken();
    const forged = await issuer.sign({ sub: unique('auth0|s'), aud: AUDIENCE }, { key: 'other' });
    const variants: Record<string, string>[] = [{}, { 'x-subgraph-secret': 'wrong' }, { 'x-subgraph-secret': `${SECRET}x` }, { 'x-subgraph-secret': '' }];
    for (const headers of variants) {
      for (const credential of [token, forged]) {
        const response = await rawRequest(guarded.url, { headers: { ...headers, authorization: `Bearer ${credential}` }, body: { query: VIEWER } });
        expect(response.status, JSON.stringify(headers)).toBe(403);
        expect(response.body.data ?? null).toBeNull();
        expectNoLeak(response.text, [SECRET, credential]);
      }
    }
  });

  it('serves POST and GET with the right header; health and readiness need none', async () => {
    const token = await userToken();
    const post = await rawRequest(guarded.url, { headers: { 'x-subgraph-secret': SECRET, authorization: `Bearer ${token}` }, body: { query: VIEWER } });
    expect(post.status).toBe(200);
    expect(post.body.data.viewer.id).toMatch(UUID_V4);
    const get = await rawRequest(guarded.url, {
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(VIEWER)}`,
      headers: { 'x-subgraph-secret': SECRET, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual({ viewer: null });
    expect((await rawRequest(guarded.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
    expect((await rawRequest(guarded.url, { method: 'GET', path: '/readyz' })).status).toBe(200);
  });
});
