// Opaque legacy sessions whose introspection answer has no `iat` (RFC 7662 makes it optional)
// count as issued when this service first accepted them, a time recorded once in the database
// by the token's digest (lifecycle.md, legacy-sessions.md): a revocation stops the sessions
// accepted up to it, a session first accepted afterwards works, and every replica agrees, also
// one that sees a session for the first time after the revocation.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { purgeExpired } from '../../src/db/revocations.js';
import { sha256 } from '../../src/lib/digest.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { introspectionConfig, startIntrospectionEndpoint, type TestIntrospectionEndpoint } from '../helpers/introspection.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { errorReason } from '../helpers/organizations.js';

let endpoint: TestIntrospectionEndpoint;
let sso: TestIssuer;
let database: TestDatabase;
const statements: string[] = [];
const apps: TestApp[] = [];
let a: TestApp;
let b: TestApp;
const feed = createLifecycleFeed();

/** Another replica on the same database, with caches of its own. */
async function replica(): Promise<TestApp> {
  const app = await startTestApp({
    database: database.db,
    issuers: [issuerConfig(sso, { name: 'sso' })],
    config: { introspection: introspectionConfig(endpoint) },
    // One process here: the replicas share the lifecycle feed as npm start's one app would
    // (how replicas hear each other through PostgreSQL is replicas.test.ts's subject).
    appOptions: { lifecycleFeed: feed },
  });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  [endpoint, sso] = await Promise.all([startIntrospectionEndpoint(), startTestIssuer()]);
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  [a, b] = [await replica(), await replica()];
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await database?.close();
  await Promise.all([endpoint?.close(), sso?.close()]);
});

/** A new session of the old backend for `subject`; its answer has no `iat` unless given. */
function session(subject: string, extra: Record<string, unknown> = {}): string {
  const token = `sess_${randomUUID().replaceAll('-', '')}`;
  endpoint.setSession(token, { sub: subject, email: `${subject}@example.com`, email_verified: true, ...extra });
  return token;
}

async function viewerId(app: TestApp, token: string): Promise<string | number> {
  const answer = await app.gql('{ viewer { id } }', { token });
  if (answer.status !== 200) return answer.status === 401 && errorReason(answer) === 'revoked' ? 401 : answer.status;
  return answer.body.data.viewer.id;
}

const acceptanceStatements = () => statements.filter((text) => text.includes('opaque_session_acceptances')).length;

async function acceptedRows(token: string): Promise<number> {
  return (await database.db.query('select 1 from opaque_session_acceptances where digest = $1', [sha256(token)])).length;
}

describe('sessions without iat', () => {
  it('signOutEverywhere stops the sessions accepted up to it; a session first accepted afterwards works, on every replica', async () => {
    const subject = `legacy-${randomUUID()}`;
    const before = session(subject);
    const user = await viewerId(a, before);
    expect(typeof user).toBe('string');
    const signedOut = await a.gql('mutation { signOutEverywhere }', { token: before });
    expect(signedOut.body.data.signOutEverywhere).toBe(true);
    expect(await viewerId(a, before)).toBe(401);
    // B fetches the answer for the first time now, after the revocation: the database says the
    // session was accepted before it.
    expect(await viewerId(b, before)).toBe(401);

    // Within the same second as the revocation, too: the acceptance time has millisecond precision.
    const after = session(subject);
    expect(await viewerId(b, after)).toBe(user);
    expect(await viewerId(a, after)).toBe(user);
    const cold = await replica();
    expect(await viewerId(cold, before)).toBe(401);
    expect(await viewerId(cold, after)).toBe(user);
  });

  it('revokeSessions by an admin: the same cut, and a later session works again', async () => {
    const subject = `legacy-${randomUUID()}`;
    const first = session(subject);
    const user = (await viewerId(a, first)) as string;
    expect(await viewerId(b, first)).toBe(user);
    const client = `svc-${randomUUID()}`;
    const admin = await sso.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'users:admin' });
    const revoked = await a.gql('mutation ($id: ID!) { revokeSessions(userId: $id) }', { token: admin, variables: { id: user } });
    expect(revoked.body.errors).toBeUndefined();
    for (const app of [a, b]) expect(await viewerId(app, first)).toBe(401);
    const second = session(subject);
    for (const app of [b, a]) expect(await viewerId(app, second)).toBe(user);
  });

  it('is recorded once per session by its digest (never the token), when the answer is fetched, not per request', async () => {
    const token = session(`legacy-${randomUUID()}`);
    const counted = acceptanceStatements();
    for (let i = 0; i < 5; i += 1) {
      expect(typeof (await viewerId(a, token))).toBe('string');
      expect(typeof (await viewerId(b, token))).toBe('string');
    }
    // One answer fetched per replica (cacheSeconds 60), one statement each.
    expect(acceptanceStatements() - counted).toBe(2);
    expect(await acceptedRows(token)).toBe(1);
    const raw = await database.db.query('select 1 from opaque_session_acceptances where digest = $1 or digest like $2', [token, `%${token.slice(5)}%`]);
    expect(raw).toHaveLength(0);
  });

  it('an answer carrying iat is compared by its iat and records nothing', async () => {
    const subject = `legacy-${randomUUID()}`;
    const old = session(subject, { iat: Math.floor(Date.now() / 1000) - 60 });
    const user = await viewerId(a, old);
    expect(await acceptedRows(old)).toBe(0);
    const fresh = session(subject);
    expect(await viewerId(a, fresh)).toBe(user);
    expect((await a.gql('mutation { signOutEverywhere }', { token: fresh })).body.data.signOutEverywhere).toBe(true);
    expect(await viewerId(b, old)).toBe(401);
    const later = session(subject, { iat: Math.floor(Date.now() / 1000) + 2 });
    expect(await viewerId(b, later)).toBe(user);
  });

  it('rows of sessions not accepted for MAX_TOKEN_AGE_SECONDS are purged with other expired rows', async () => {
    const stale = `stale-${randomUUID()}`;
    await database.db.query(
      "insert into opaque_session_acceptances (digest, accepted_at, expires_at) values ($1, now() - interval '3 days', now() - interval '1 second')",
      [stale],
    );
    const live = session(`legacy-${randomUUID()}`);
    await viewerId(a, live);
    await purgeExpired(database.db);
    expect(await database.db.query('select 1 from opaque_session_acceptances where digest = $1', [stale])).toHaveLength(0);
    expect(await acceptedRows(live)).toBe(1);
  });
});
