// legacy-sessions.md over HTTP: opaque session tokens of the old backend authenticate through
// the introspection issuer and follow the identity rules (one user with the SSO token, legacy
// ids adopted); failures answer 401/503 like JWT failures; the client secret never reaches logs.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { introspectionConfig, LEGACY_ISSUER, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const VIEWER = '{ viewer { id email emailVerified name identities { provider issuer subject } } }';

let endpoint: TestIntrospectionEndpoint;
let sso: TestIssuer;
let database: TestDatabase;
let api: TestApp;
const lines: string[] = [];

function sink(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
}

beforeAll(async () => {
  [endpoint, sso] = await Promise.all([startIntrospectionEndpoint(), startTestIssuer()]);
  database = await openTestDatabase();
  api = await startTestApp({
    production: true,
    database: database.db,
    issuers: [issuerConfig(sso, { name: 'sso' })],
    config: { introspection: introspectionConfig(endpoint, { adoptSubjectAsUserId: true }), jwksFetchTimeoutMs: 2000 },
    logger: createLogger({ logLevel: 'trace' }, sink()),
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await Promise.all([endpoint?.close(), sso?.close()]);
});

function session(answer: Record<string, unknown>): string {
  const token = `sess_${randomUUID().replaceAll('-', '')}`;
  endpoint.setSession(token, answer);
  return token;
}

describe('opaque legacy sessions', () => {
  it('an active session is a user with the legacy identity, by Bearer or X-User-Token', async () => {
    const subject = `legacy-${randomUUID()}`;
    const token = session({ sub: subject, email: `${subject}@example.com`, email_verified: true, name: 'Old Timer' });
    const response = await api.gql(VIEWER, { token });
    expect(response.status).toBe(200);
    expect(response.body.data.viewer).toMatchObject({
      email: `${subject}@example.com`,
      emailVerified: true,
      name: 'Old Timer',
      identities: [{ provider: 'legacy', issuer: LEGACY_ISSUER, subject }],
    });
    const legacyHeader = await api.gql(VIEWER, { headers: { 'x-user-token': token } });
    expect(legacyHeader.body.data.viewer.id).toBe(response.body.data.viewer.id);
  });

  it('an inactive session: 401 with the Bearer challenge', async () => {
    const response = await api.gql(VIEWER, { token: `sess_unknown_${randomUUID()}` });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('the endpoint down: 503 AUTH_PROVIDER_UNAVAILABLE with Retry-After; a session checked recently keeps working', async () => {
    const known = session({ sub: `legacy-${randomUUID()}` });
    expect((await api.gql(VIEWER, { token: known })).status).toBe(200);
    endpoint.setMode('down');
    try {
      const response = await api.gql(VIEWER, { token: session({ sub: 'never-checked' }) });
      expect(response.status).toBe(503);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await api.gql(VIEWER, { token: known })).status).toBe(200);
      endpoint.setMode('hang');
      // The endpoint never answers: the 503 can only come from the fetch deadline.
      const hanging = await api.gql(VIEWER, { token: session({ sub: 'hanging' }) });
      expect(hanging.status).toBe(503);
      expect(hanging.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
    } finally {
      endpoint.setMode('up');
    }
  });

  it("a person's old session and new SSO token are one user (joined by verified email)", async () => {
    const email = `both-${randomUUID().slice(0, 8)}@example.com`;
    const old = await api.gql(VIEWER, { token: session({ sub: `legacy-${randomUUID()}`, email, email_verified: true }) });
    const jwt = await sso.sign({ sub: `sso|${randomUUID()}`, aud: 'https://api.test', email, email_verified: true });
    const fresh = await api.gql(VIEWER, { token: jwt });
    expect(fresh.body.data.viewer.id).toBe(old.body.data.viewer.id);
    expect(fresh.body.data.viewer.identities.map((i: { provider: string }) => i.provider).sort()).toEqual(['legacy', 'sso']);
  });
});

describe('answers the database cannot hold', () => {
  const refused: Record<string, Record<string, unknown>> = {
    'a NUL in the subject': { sub: `legacy-${randomUUID()}\u0000x` },
    'a subject of 256 bytes': { sub: 'é'.repeat(128) },
    'a NUL in sid': { sub: `legacy-${randomUUID()}`, sid: 'sess\u0000' },
    'a sid of 256 bytes': { sub: `legacy-${randomUUID()}`, sid: 's'.repeat(256) },
    'a NUL in the email': { sub: `legacy-${randomUUID()}`, email: 'ada\u0000@example.com', email_verified: true },
    'an email of 256 bytes': { sub: `legacy-${randomUUID()}`, email: `${'é'.repeat(125)}@example.com`, email_verified: true },
    'a NUL in the name': { sub: `legacy-${randomUUID()}`, name: 'Ada\u0000' },
  };
  for (const [label, answer] of Object.entries(refused)) {
    it(`${label}: 401 UNAUTHENTICATED, nothing stored`, async () => {
      const response = await api.gql(VIEWER, { token: session(answer) });
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      if (typeof answer['sub'] === 'string' && !answer['sub'].includes('\u0000')) {
        expect(await database.db.query('select 1 from identities where subject = $1', [answer['sub']])).toHaveLength(0);
      }
    });
  }

  it('a subject of exactly 255 bytes is fine', async () => {
    const sub = `${'é'.repeat(127)}x`;
    const response = await api.gql(VIEWER, { token: session({ sub }) });
    expect(response.status).toBe(200);
    expect(response.body.data.viewer.identities[0].subject).toBe(sub);
  });
});

describe('adoptSubjectAsUserId', () => {
  it('a UUID subject becomes the id of the user its first sign-in creates', async () => {
    const legacyId = randomUUID();
    const token = session({ sub: legacyId.toUpperCase() });
    const tokens = [token, session({ sub: legacyId.toUpperCase() })];
    const answers = await Promise.all([...tokens, ...tokens].map((t) => api.gql('{ viewer { id } }', { token: t })));
    expect(new Set(answers.map((a) => a.body.data.viewer.id))).toEqual(new Set([legacyId]));
    const rows = await database.db.query('select count(*)::int as n from identities where user_id = $1', [legacyId]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('a subject that is no UUID, or an id someone else holds: a new id, the identity still binds', async () => {
    const plain = await api.gql('{ viewer { id } }', { token: session({ sub: 'user-17' }) });
    expect(plain.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
    const taken = randomUUID();
    await database.db.query("insert into users (id, email, email_verified) values ($1, $2, true)", [taken, `holder-${taken}@example.com`]);
    const other = await api.gql(VIEWER, { token: session({ sub: taken }) });
    expect(other.status).toBe(200);
    expect(other.body.data.viewer.id).not.toBe(taken);
    expect(other.body.data.viewer.identities).toEqual([{ provider: 'legacy', issuer: LEGACY_ISSUER, subject: taken }]);
  });
});

describe('configuration', () => {
  it('without an introspection issuer an opaque token is 401, as before', async () => {
    const plain = await startTestApp({ production: true, database: database.db, issuers: [issuerConfig(sso, { name: 'sso' })] });
    try {
      const token = session({ sub: 'ignored' });
      const calls = endpoint.calls;
      expect((await plain.gql(VIEWER, { token })).status).toBe(401);
      expect(endpoint.calls).toBe(calls);
    } finally {
      await plain.close();
    }
  });

  it('our credentials refused: 503, logged as an error; the secret never reaches the logs', async () => {
    const wrong = await startTestApp({
      production: true,
      database: database.db,
      issuers: [issuerConfig(sso, { name: 'sso' })],
      config: { introspection: { ...introspectionConfig(endpoint), clientSecret: 'not-the-secret-XYZ' } },
      logger: createLogger({ logLevel: 'trace' }, sink()),
    });
    try {
      const response = await wrong.gql(VIEWER, { token: session({ sub: 'whoever' }) });
      expect(response.status).toBe(503);
      expect(lines.some((line) => line.includes('refused our client credentials'))).toBe(true);
    } finally {
      await wrong.close();
    }
    const logs = lines.join('\n');
    for (const secret of [endpoint.clientSecret, 'not-the-secret-XYZ']) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(Buffer.from(`${endpoint.clientId}:${secret}`).toString('base64'));
    }
  });
});
