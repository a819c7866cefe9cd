// The session policy on its own: the warm check is synchronous with thousands of revocations
// held, memory forgets a revocation once no accepted token can predate it (the bound), a view
// that cannot be trusted reads the database instead, and both feeds answer with one decision.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClaims } from '../../src/domain/types.js';
import { createLifecycleFeed, type LifecycleFeed } from '../../src/db/lifecycleFeed.js';
import type { Database } from '../../src/db/queryable.js';
import { upsertRevocation } from '../../src/db/revocations.js';
import { createSessionPolicy, type SessionPolicy } from '../../src/services/sessions.js';
import { startTestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { testClock } from '../helpers/clock.js';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig, startTestIssuer } from '../helpers/issuer.js';

const MAX_AGE = 3600;
const ISSUER = 'https://issuer.test/';
let database: TestDatabase;
let statements = 0;
beforeAll(async () => {
  database = await openTestDatabase({ onQuery: () => (statements += 1) });
});
afterAll(async () => {
  await database?.close();
});

function claims(overrides: Partial<UserClaims> = {}): UserClaims {
  const now = Math.floor(Date.now() / 1000);
  return {
    provider: 'test', issuer: ISSUER, subject: `sub-${randomUUID()}`, email: null, emailVerified: false, name: null, givenName: null, familyName: null,
    externalOrganizationId: null, impersonator: null, expiresAt: now + 600, issuedAt: now - 10, sessionId: null, ...overrides,
  };
}

async function loadedPolicy(db: Database, feed: LifecycleFeed, clock = testClock()): Promise<SessionPolicy> {
  const policy = createSessionPolicy({ db, feed, maxTokenAgeSeconds: MAX_AGE, now: clock.now, pruneIntervalMs: 10 });
  await policy.start();
  return policy;
}

describe('session policy', () => {
  it('answers synchronously from memory with 10,000 revocations held, and refuses exactly the revoked', async () => {
    const feed = createLifecycleFeed();
    const policy = await loadedPolicy(database.db, feed);
    const at = Date.now();
    for (let i = 0; i < 10_000; i += 1) {
      const kind = i % 2 === 0 ? 'session' : 'identity';
      feed.publish({ type: 'revocation', kind, issuer: ISSUER, subject: `r-${i}`, revokedAt: at, expiresAt: at + MAX_AGE * 1000 });
    }
    expect(policy.counts.revocations).toBe(10_000);
    if (database.db.kind === 'pglite') expect(policy.trusted).toBe(true);
    const live = claims({ sessionId: 'live' });
    if (policy.trusted) expect(policy.admitFromMemory(randomUUID(), live)).toBe('admitted'); // a value, not a promise: the warm path
    const admit = async (token: UserClaims) => policy.admitFromMemory(randomUUID(), token) ?? policy.admit(randomUUID(), token);
    expect(await admit(claims({ sessionId: 'r-0' }))).toBe('revoked');
    expect(await admit(claims({ subject: 'r-1' }))).toBe('revoked');
    // An identity revocation stops tokens issued up to it (same second included), not later ones.
    const nowSeconds = Math.floor(at / 1000);
    expect(await admit(claims({ subject: 'r-1', issuedAt: nowSeconds }))).toBe('revoked');
    expect(await admit(claims({ subject: 'r-1', issuedAt: nowSeconds + 1 }))).toBe('admitted');
    // Without iat a token counts as issued before every revocation held.
    expect(await admit(claims({ subject: 'r-1', issuedAt: null }))).toBe('revoked');
    policy.close();
  });

  it('forgets revocations older than the longest accepted token age, when tokens that old are refused anyway', async () => {
    const clock = testClock();
    const feed = createLifecycleFeed();
    const policy = await loadedPolicy(database.db, feed, clock);
    const userId = randomUUID();
    const token = claims({ issuedAt: clock.seconds() - 5 });
    const stored = await upsertRevocation(database.db, { kind: 'user', issuer: '', subject: userId }, MAX_AGE);
    feed.publish({ type: 'revocation', ...stored });
    expect(policy.admitFromMemory(userId, token)).toBe('revoked');
    const held = policy.counts.revocations;
    clock.advance((MAX_AGE + 5) * 1000);
    await eventually(() => expect(policy.counts.revocations).toBe(held - 1)); // the next prune (every 10 ms)
    // The token it covered is now older than the bound: refused for that reason.
    expect(policy.admitFromMemory(userId, token)).toBe('token_too_old');
    policy.close();
  });

  it('reads the database while its view cannot be trusted (not loaded, or not hearing the database)', async () => {
    const userId = (await database.db.query<{ id: string }>("insert into users (id, status) values ($1, 'suspended') returning id", [randomUUID()]))[0]!.id;
    // A database that cannot say whether it hears changes: memory is never trusted.
    const deaf: Database = { ...database.db, userChanges: { listening: false, onChange: () => () => undefined, onLifecycle: () => () => undefined, onProof: () => () => undefined } };
    const policy = createSessionPolicy({ db: deaf, feed: createLifecycleFeed(), maxTokenAgeSeconds: MAX_AGE });
    await policy.start();
    expect(policy.trusted).toBe(false);
    expect(policy.admitFromMemory(userId, claims())).toBeUndefined();
    const before = statements;
    expect(await policy.admit(userId, claims())).toBe('suspended');
    expect(statements).toBeGreaterThan(before);
    expect(await policy.admit(randomUUID(), claims())).toBe('unbound'); // no such row: resolve again
    // A token refused on its age alone is refused without asking the database.
    const counted = statements;
    expect(await policy.admit(userId, claims({ issuedAt: Math.floor(Date.now() / 1000) - MAX_AGE - 60 }))).toBe('token_too_old');
    expect(statements).toBe(counted);
    policy.close();
  });

  it("checks a platform token's sid and sign-in at the IdP it names (idpIssuer), from memory and from the database", async () => {
    const userId = (await database.db.query<{ id: string }>("insert into users (id) values ($1) returning id", [randomUUID()]))[0]!.id;
    const sid = `p-${randomUUID()}`;
    const platform = (overrides: Partial<UserClaims> = {}) => claims({ issuer: 'https://platform.test', subject: userId, idpIssuer: ISSUER, ...overrides });
    const deaf: Database = { ...database.db, userChanges: { listening: false, onChange: () => () => undefined, onLifecycle: () => () => undefined, onProof: () => () => undefined } };
    const feed = createLifecycleFeed();
    const fromMemory = await loadedPolicy(database.db, feed);
    const fromDatabase = createSessionPolicy({ db: deaf, feed, maxTokenAgeSeconds: MAX_AGE });
    for (const policy of [fromMemory, fromDatabase]) expect(await policy.admit(userId, platform({ sessionId: sid }))).toBe('admitted');

    const ended = await upsertRevocation(database.db, { kind: 'session', issuer: ISSUER, subject: sid }, MAX_AGE);
    const signedOut = await upsertRevocation(database.db, { kind: 'user', issuer: ISSUER, subject: userId }, MAX_AGE);
    for (const revocation of [ended, signedOut]) feed.publish({ type: 'revocation', ...revocation });
    for (const policy of [fromMemory, fromDatabase]) {
      expect(await policy.admit(userId, platform({ sessionId: sid }))).toBe('revoked');
      // Signed out at that IdP: its sign-ins' tokens up to then stop, whatever their session.
      expect(await policy.admit(userId, platform({ sessionId: null }))).toBe('revoked');
      expect(await policy.admit(userId, platform({ issuedAt: Math.floor(Date.now() / 1000) + 2 }))).toBe('admitted');
      // The same sid and user at another IdP are other sessions.
      expect(await policy.admit(userId, platform({ sessionId: sid, idpIssuer: 'https://other.test/', issuedAt: Math.floor(Date.now() / 1000) + 2 }))).toBe('admitted');
      expect(await policy.admit(userId, platform({ idpIssuer: 'https://other.test/' }))).toBe('admitted');
    }
    fromMemory.close();
    fromDatabase.close();
  });

  it('answers alike from memory and from the database for a deleted user: revoked up to the deletion, then unbound', async () => {
    const userId = (await database.db.query<{ id: string }>("insert into users (id) values ($1) returning id", [randomUUID()]))[0]!.id;
    const feed = createLifecycleFeed();
    const fromMemory = await loadedPolicy(database.db, feed);
    const deaf: Database = { ...database.db, userChanges: { listening: false, onChange: () => () => undefined, onLifecycle: () => () => undefined, onProof: () => () => undefined } };
    const fromDatabase = createSessionPolicy({ db: deaf, feed, maxTokenAgeSeconds: MAX_AGE });
    const [row] = await database.db.query<{ deleted_at: Date }>("update users set status = 'deleted', deleted_at = now() - interval '5 seconds' where id = $1 returning deleted_at", [userId]);
    const deletedAt = new Date(row!.deleted_at).getTime();
    feed.publish({ type: 'status', userId, status: 'deleted', deletedAt });
    const deletedSecond = Math.floor(deletedAt / 1000);
    for (const policy of [fromMemory, fromDatabase]) {
      expect(await policy.admit(userId, claims({ issuedAt: deletedSecond }))).toBe('revoked');
      expect(await policy.admit(userId, claims({ issuedAt: deletedSecond + 1 }))).toBe('unbound');
    }
    fromMemory.close();
    fromDatabase.close();
  });

  it('costs no database statement per request on the warm path, with thousands of revocations held', async () => {
    const issuer = await startTestIssuer();
    const feed = createLifecycleFeed();
    const api = await startTestApp({ issuers: [issuerConfig(issuer, { name: 'test' })], database: database.db, appOptions: { lifecycleFeed: feed } });
    try {
      const tokens = await Promise.all(
        Array.from({ length: 20 }, (_, i) => issuer.sign({ sub: `warm-${randomUUID()}`, aud: 'https://api.test', sid: `live-${i}`, email: `w${i}-${randomUUID()}@example.com`, email_verified: true })),
      );
      for (const token of tokens) expect((await api.gql('{ viewer { id } }', { token })).status).toBe(200);
      const at = Date.now();
      for (let i = 0; i < 5000; i += 1) {
        feed.publish({ type: 'revocation', kind: 'session', issuer: issuer.url, subject: `gone-${i}`, revokedAt: at, expiresAt: at + 60_000 });
      }
      // A first round reads back the rows later sign-ins made stale (the row cache's own rule).
      for (const token of tokens) expect((await api.gql('{ viewer { id } }', { token })).status).toBe(200);
      // The sessions' first sightings are written in the background, one batch a second after the
      // first: counted before the warm rounds, whose own cost is what this test measures (on a
      // loaded machine the rounds would otherwise outlast that second).
      await eventually(async () => {
        const [recorded] = await database.db.query<{ n: number }>("select count(*)::int as n from sessions where iss = $1 and sid like 'live-%'", [issuer.url]);
        expect(recorded!.n).toBe(tokens.length);
      });
      const before = statements;
      for (let round = 0; round < 3; round += 1) {
        for (const token of tokens) expect((await api.gql('{ viewer { id } }', { token })).status).toBe(200);
      }
      if (database.db.kind === 'pglite') expect(statements - before).toBe(0);
      const gone = await issuer.sign({ sub: `warm-${randomUUID()}`, aud: 'https://api.test', sid: 'gone-7' });
      expect((await api.gql('{ viewer { id } }', { token: gone })).status).toBe(401);
    } finally {
      await api.close();
      await issuer.close();
    }
  });
});
