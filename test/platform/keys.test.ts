// Platform signing keys in the database, driven by an injected clock: the first key of a new
// database, scheduled rotation exactly once across replicas, publication before signing and
// after the last token, fail-closed on lost rows or a wrong encryption key, no private key in
// the clear. Two key stores on one database stand for two replicas.
import { randomBytes, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPlatformKeyStore, JWKS_MAX_AGE_SECONDS, PUBLISH_LEAD_MS, type PlatformKeyStore } from '../../src/auth/platformKeys.js';
import { rotateKeys } from '../../src/auth/platformRotation.js';
import { signCompact } from '../../src/auth/platformCrypto.js';
import { platformTokenClaims } from '../../src/auth/platformToken.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { capturingLogger, PLATFORM_ISSUER } from '../helpers/platform.js';

const DAY = 86_400_000;
const TTL = 900;
let database: TestDatabase;
let second: Database;
const stores: PlatformKeyStore[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  // A second pool on the same schema on PostgreSQL: another replica's connections.
  second = database.url === null ? database.db : createPostgresDatabase({ url: database.url, max: 4, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
});
afterAll(async () => {
  for (const store of stores) store.close();
  if (second !== database.db) await second.close();
  await database?.close();
});
beforeEach(async () => {
  await database.db.query('delete from platform_keys');
  await database.db.query('delete from platform_key_marker');
});

function storeOn(db: Database, clock: { now: number }, options: { encryptionKey: Buffer; lines?: string[]; alg?: 'ES256' | 'RS256' | 'EdDSA' }) {
  const store = createPlatformKeyStore({
    db,
    logger: capturingLogger(options.lines ?? []),
    alg: options.alg ?? 'ES256',
    encryptionKey: options.encryptionKey,
    tokenTtlSeconds: TTL,
    rotationDays: 30,
    reloadIntervalMs: 3_600_000,
    now: () => clock.now,
  });
  stores.push(store);
  return store;
}

function mint(store: PlatformKeyStore, now: number): string {
  const key = store.signingKey();
  const claims = platformTokenClaims({
    issuer: PLATFORM_ISSUER, audience: PLATFORM_ISSUER, userId: randomUUID(), issuedAt: Math.floor(now / 1000), expiresAt: Math.floor(now / 1000) + TTL, authTime: null, clientId: 'test',
    jti: randomUUID(), sessionId: randomUUID(), scopes: ['user'], email: null, emailVerified: false, idp: 'test', impersonator: null,
  });
  return signCompact(key.alg, key.encodedHeader, claims, key.privateKey!);
}

const kids = (keys: JWK[]) => keys.map((k) => k.kid).sort();

describe('platform signing keys', () => {
  it('gives a database that never held a key one key, active at once, exactly once for replicas starting together', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const encryptionKey = randomBytes(32);
    const a = storeOn(database.db, clock, { encryptionKey });
    const b = storeOn(second, clock, { encryptionKey });
    await Promise.all([a.refresh(), b.refresh()]);
    const rows = await database.db.query<{ kid: string; activates_at: Date }>('select kid, activates_at from platform_keys');
    expect(rows).toHaveLength(1);
    expect(new Date(rows[0]!.activates_at).getTime()).toBe(clock.now);
    expect(a.signingKey().kid).toBe(rows[0]!.kid);
    expect(b.signingKey().kid).toBe(rows[0]!.kid);
    expect(kids(a.publishedKeys())).toEqual([rows[0]!.kid]);
  });

  it('rotates on schedule exactly once across replicas, publishes the new key a max-age + 60 s before it signs, and keeps the old one until its last token expired', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const encryptionKey = randomBytes(32);
    const a = storeOn(database.db, clock, { encryptionKey });
    const b = storeOn(second, clock, { encryptionKey });
    await a.refresh();
    await b.refresh();
    const first = a.signingKey().kid;

    clock.now += 30 * DAY - PUBLISH_LEAD_MS - 1000;
    await Promise.all([a.refresh(), b.refresh()]);
    expect(await database.db.query('select kid from platform_keys')).toHaveLength(1);

    clock.now += 1000;
    await Promise.all([a.refresh(), b.refresh(), a.refresh(), b.refresh()]);
    const rows = await database.db.query<{ kid: string; created_at: Date; activates_at: Date }>('select kid, created_at, activates_at from platform_keys order by activates_at');
    expect(rows).toHaveLength(2);
    const next = rows[1]!;
    expect(new Date(next.activates_at).getTime() - new Date(next.created_at).getTime()).toBeGreaterThanOrEqual((JWKS_MAX_AGE_SECONDS + 60) * 1000);
    // Published at once by both, still not signing.
    expect(kids(a.publishedKeys())).toEqual([first, next.kid].sort());
    expect(kids(b.publishedKeys())).toEqual([first, next.kid].sort());
    expect(a.signingKey().kid).toBe(first);

    // The switch needs no write: each replica's clock reaches the row's activation time.
    clock.now = new Date(next.activates_at).getTime();
    await Promise.all([a.refresh(), b.refresh()]);
    expect(a.signingKey().kid).toBe(next.kid);
    expect(b.signingKey().kid).toBe(next.kid);
    // The old key stays published until its last token expired (TTL + 60 s), then is removed.
    clock.now += TTL * 1000 + 59_000;
    await b.refresh();
    expect(kids(b.publishedKeys())).toEqual([first, next.kid].sort());
    clock.now += 1000;
    expect(kids(b.publishedKeys())).toEqual([next.kid]);
    await a.refresh();
    expect((await database.db.query('select kid from platform_keys')).length).toBe(1);
  });

  it('never leaves a token unverifiable with any JWKS a client could have fetched, replicas reloading at different times', async () => {
    const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
    const encryptionKey = randomBytes(32);
    const replicas = [storeOn(database.db, clock, { encryptionKey }), storeOn(second, clock, { encryptionKey })];
    await replicas[0]!.refresh();
    await replicas[1]!.refresh();
    const documents: { at: number; keys: JWK[] }[] = [];
    const tokens: { at: number; token: string }[] = [];
    const stepMs = 10_000;
    // From 10 minutes before the successor is created to 10 minutes after the old key is gone.
    const created = clock.now + 30 * DAY - PUBLISH_LEAD_MS;
    const end = created + PUBLISH_LEAD_MS + TTL * 1000 + 60_000 + 10 * 60_000;
    clock.now = created - 10 * 60_000;
    await Promise.all(replicas.map((r) => r.refresh()));
    for (let i = 0; clock.now < end; i += 1, clock.now += stepMs) {
      // Replica i % 2 reloads this step (each every 20 s, out of phase), as the timer would.
      await replicas[i % 2]!.refresh();
      for (const replica of replicas) {
        documents.push({ at: clock.now, keys: replica.publishedKeys() });
        tokens.push({ at: clock.now, token: mint(replica, clock.now) });
      }
    }
    expect(new Set(tokens.map((t) => JSON.parse(Buffer.from(t.token.split('.')[0]!, 'base64url').toString()).kid)).size).toBe(2);
    for (const { at, token } of tokens) {
      // A client may hold a document fetched up to max-age before the token was minted, or any
      // fetched before the token expires.
      const admissible = documents.filter((d) => d.at >= at - JWKS_MAX_AGE_SECONDS * 1000 && d.at <= at + TTL * 1000);
      const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
      for (const document of admissible) expect(document.keys.map((k) => k.kid)).toContain(kid);
      // And the signature verifies with the oldest and the newest of them.
      for (const document of [admissible[0]!, admissible[admissible.length - 1]!]) {
        await expect(jwtVerify(token, createLocalJWKSet({ keys: document.keys }), { currentDate: new Date(at) })).resolves.toBeDefined();
      }
    }
  }, 120_000);

  it('keeps private keys only sealed in the database', async () => {
    const clock = { now: Date.now() };
    const store = storeOn(database.db, clock, { encryptionKey: randomBytes(32) });
    await store.refresh();
    const key = store.signingKey();
    const der = key.privateKey!.export({ format: 'der', type: 'pkcs8' });
    const d = (key.privateKey!.export({ format: 'jwk' }) as JWK).d!;
    const rows = await database.db.query<Record<string, unknown>>('select * from platform_keys');
    const dump = JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    expect(dump).not.toContain(der.subarray(-32).toString('hex'));
    expect(dump).not.toContain(d);
    expect(dump).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(store.publishedKeys())).not.toContain('"d"');
  });

  it('fails closed with one clear log line when the encryption key is wrong, and never rotates then', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const good = storeOn(database.db, clock, { encryptionKey: randomBytes(32) });
    await good.refresh();
    const lines: string[] = [];
    const wrong = storeOn(second, clock, { encryptionKey: randomBytes(32), lines });
    await wrong.refresh();
    await wrong.refresh();
    expect(() => wrong.signingKey()).toThrowError(expect.objectContaining({ code: 'AUTH_PROVIDER_UNAVAILABLE' }));
    // It still publishes (and verifies with) the public keys.
    expect(kids(wrong.publishedKeys())).toEqual(kids(good.publishedKeys()));
    const errors = lines.filter((l) => l.includes('PLATFORM_KEY_ENCRYPTION_KEY'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!).level).toBe(50);

    clock.now += 31 * DAY;
    await wrong.refresh();
    expect(await database.db.query('select kid from platform_keys')).toHaveLength(1);
    await expect(rotateKeys(second, { alg: 'ES256', encryptionKey: randomBytes(32), tokenTtlSeconds: TTL, periodMs: 30 * DAY, leadMs: PUBLISH_LEAD_MS }, () => clock.now, { force: true })).rejects.toThrow(/does not open/);
    expect(await database.db.query('select kid from platform_keys')).toHaveLength(1);
  });

  it('stops signing with one clear log line when the key rows are lost, and never generates a replacement', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const encryptionKey = randomBytes(32);
    const lines: string[] = [];
    const store = storeOn(database.db, clock, { encryptionKey, lines });
    await store.refresh();
    await database.db.query('delete from platform_keys');
    await store.refresh();
    await store.refresh();
    const restarted = storeOn(second, clock, { encryptionKey, lines });
    await restarted.refresh();
    expect(await database.db.query('select kid from platform_keys')).toHaveLength(0);
    expect(() => store.signingKey()).toThrowError(expect.objectContaining({ code: 'AUTH_PROVIDER_UNAVAILABLE' }));
    expect(() => restarted.signingKey()).toThrowError(expect.objectContaining({ code: 'AUTH_PROVIDER_UNAVAILABLE' }));
    expect(lines.filter((l) => l.includes('platform signing keys missing'))).toHaveLength(2);
  });

  it('stops signing when the keys could not be reloaded for 30 s', async () => {
    const clock = { now: Date.now() };
    const store = storeOn(database.db, clock, { encryptionKey: randomBytes(32) });
    await store.refresh();
    clock.now += 30_001;
    expect(() => store.signingKey()).toThrowError(expect.objectContaining({ code: 'AUTH_PROVIDER_UNAVAILABLE' }));
    expect(() => store.publishedKeys()).toThrowError(expect.objectContaining({ code: 'AUTH_PROVIDER_UNAVAILABLE' }));
    await store.refresh();
    expect(store.signingKey().kid).toBeTruthy();
  });

  it('replaces the active key when the configured algorithm changes, with the same publication lead', async () => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const encryptionKey = randomBytes(32);
    await storeOn(database.db, clock, { encryptionKey }).refresh();
    const eddsa = storeOn(second, clock, { encryptionKey, alg: 'EdDSA' });
    await eddsa.refresh();
    expect(eddsa.signingKey().alg).toBe('ES256');
    clock.now += PUBLISH_LEAD_MS;
    await eddsa.refresh();
    expect(eddsa.signingKey().alg).toBe('EdDSA');
  });
});
