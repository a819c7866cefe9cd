// CORS at the HTTP edge: CORS_ORIGINS parsed strictly; an allowed origin gets itself back (never
// `*`, no credentials) on /graphql only, preflights answered 204 before the subgraph secret;
// any other origin, and every origin when CORS_ORIGINS is unset, gets no CORS header at all.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { CORS_MAX_AGE_SECONDS } from '../../src/http/cors.js';
import type { TestApp } from '../helpers/app.js';
import { useTestBed } from '../helpers/testBed.js';

const APP = 'https://app.example.com';
const ADMIN = 'http://127.0.0.1:5173';
const SECRET = 'cors-test-secret';

const bed = useTestBed();
let cors: TestApp;
let plain: TestApp;
let guarded: TestApp;

beforeAll(async () => {
  [cors, plain, guarded] = await Promise.all([
    bed.start({ config: { corsOrigins: [APP, ADMIN] } }),
    bed.start(),
    bed.start({ config: { corsOrigins: [APP], subgraphSecret: SECRET } }),
  ]);
}, 120_000);

const token = () => bed.issuer.sign({ sub: `cors-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });

function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));
}

function preflight(app: TestApp, origin: string, path = '/graphql', headers = 'authorization, content-type') {
  return fetch(`${app.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });
}

async function post(app: TestApp, origin: string | null, extra: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}`, ...(origin === null ? {} : { origin }), ...extra },
    body: JSON.stringify({ query: '{ viewer { email } }' }),
  });
  return { response, body: (await response.json()) as { data?: { viewer: { email: string } }; errors?: unknown[] } };
}

describe('CORS_ORIGINS', () => {
  it('is a comma-separated list of exact origins; unset or empty: none', () => {
    expect(loadConfig({ CORS_ORIGINS: ` ${APP}, ${ADMIN} ,` }).corsOrigins).toEqual([APP, ADMIN]);
    expect(loadConfig({ CORS_ORIGINS: 'http://[::1]:3000' }).corsOrigins).toEqual(['http://[::1]:3000']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
  });

  it('refuses anything that is not exactly an origin, naming the variable', () => {
    for (const value of ['*', 'https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://app.example.com', 'null', 'https://APP.example.com', 'https://app.example.com:443', `${APP},*`]) {
      expect(() => loadConfig({ CORS_ORIGINS: value }), value).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: value }), value).toThrow(/^CORS_ORIGINS/);
    }
  });
});

describe('an allowed origin', () => {
  it('gets its own origin back on the answer (never *), Vary: Origin, and no credentials mode', async () => {
    for (const origin of [APP, ADMIN]) {
      const { response, body } = await post(cors, origin);
      expect(response.status).toBe(200);
      expect(body.data?.viewer.email).toMatch(/@example\.com$/);
      expect(corsHeaders(response)).toEqual({ 'access-control-allow-origin': origin, 'access-control-expose-headers': 'x-request-id' });
      expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('has its preflight answered 204 with the methods, the four request headers and a max age', async () => {
    const response = await preflight(cors, APP, '/graphql', 'authorization, content-type, x-user-token, apollo-require-preflight');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(corsHeaders(response)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, x-user-token, apollo-require-preflight',
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      'access-control-expose-headers': 'x-request-id',
    });
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gets CORS headers on GET queries and on refusals too, so the frontend can read them', async () => {
    const get = await fetch(`${cors.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { origin: APP, 'apollo-require-preflight': '1' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(APP);
    const refused = await post(cors, APP, { authorization: 'Bearer not-a-token' });
    expect(refused.response.status).toBe(401);
    expect(refused.response.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('gets no CORS headers outside /graphql (/metrics, /healthz, the IDE assets)', async () => {
    for (const path of ['/metrics', '/healthz', '/graphql/ide/start.js']) {
      const response = await fetch(`${cors.url}${path}`, { headers: { origin: APP } });
      expect(response.status, path).toBe(200);
      expect(corsHeaders(response), path).toEqual({});
      await response.arrayBuffer();
      const pre = await preflight(cors, APP, path);
      expect(corsHeaders(pre), path).toEqual({});
      expect(pre.status, path).not.toBe(204);
    }
  });
});

describe('any other origin', () => {
  it('gets no CORS header on an answer (the browser then refuses to hand it over)', async () => {
    for (const origin of ['https://evil.example.com', 'http://app.example.com', 'https://app.example.com.evil.test', 'https://app.example.com:8443', 'null']) {
      const { response } = await post(cors, origin);
      expect(corsHeaders(response), origin).toEqual({});
      expect(response.headers.get('vary'), origin).toMatch(/\bOrigin\b/);
    }
  });

  it('has its preflight refused: 403 FORBIDDEN (cors_origin), no CORS header', async () => {
    const response = await preflight(cors, 'https://evil.example.com');
    expect(response.status).toBe(403);
    expect(corsHeaders(response)).toEqual({});
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN', reason: 'cors_origin' } }] });
  });

  it('a request without Origin (server to server) is served as before, without CORS headers', async () => {
    const { response, body } = await post(cors, null);
    expect(response.status).toBe(200);
    expect(body.data?.viewer.email).toBeDefined();
    expect(corsHeaders(response)).toEqual({});
  });
});

describe('CORS_ORIGINS unset', () => {
  it('sends no CORS header to anyone, and OPTIONS stays 405', async () => {
    const { response } = await post(plain, APP);
    expect(response.status).toBe(200);
    expect(corsHeaders(response)).toEqual({});
    expect(response.headers.get('vary') ?? '').not.toMatch(/Origin/);
    const pre = await preflight(plain, APP);
    expect(pre.status).toBe(405);
    expect(corsHeaders(pre)).toEqual({});
  });
});

describe('with SUBGRAPH_SECRET', () => {
  it('answers the preflight without the secret (a browser never sends it there); the request itself still needs it', async () => {
    const pre = await preflight(guarded, APP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP);
    const refused = await post(guarded, APP);
    expect(refused.response.status).toBe(403);
    expect(refused.response.headers.get('access-control-allow-origin')).toBe(APP);
    const served = await post(guarded, APP, { 'x-subgraph-secret': SECRET });
    expect(served.response.status).toBe(200);
    expect(served.body.data?.viewer.email).toBeDefined();
  });
});
