// The caches on the hot path stay correct: a cached token is refused after its exp, every cache
// is bounded, a burst on a cold issuer costs one JWKS fetch, and the user store never serves a row
// older than its last write of users (each writer is checked), nor, on PostgreSQL, a row another
// replica changed once the change is announced.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { createUserRowCache, type UserRowCache } from '../../src/db/userCache.js';
import { createUserStore, type UserStore } from '../../src/db/userStore.js';
import { insertOrganization } from '../../src/db/organizations.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { insertUser, updateUserProfile } from '../../src/db/users.js';
import { AppError } from '../../src/errors.js';
import { createIdentityService } from '../../src/services/identity.js';
import { createLifecycleService } from '../../src/services/lifecycle.js';
import { createOrganizationService } from '../../src/services/organizations.js';
import type { Principal, UserClaims } from '../../src/domain/types.js';
import { eventually } from '../helpers/eventually.js';
import { startTcpProxy } from '../helpers/tcpProxy.js';
import { openTestDatabase, databaseKind, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer, remoteKeySetFor } from '../helpers/issuer.js';

let issuer: TestIssuer;
let database: TestDatabase;

let users: UserStore;
// Hears the same announcements as the store: its version says when they have stopped arriving.
let announcements: UserRowCache;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  users = createUserStore(database.db);
  announcements = createUserRowCache(database.db);
});
afterAll(async () => {
  users?.close();
  announcements?.close();
  await database?.close();
  await issuer?.close();
});

function verifierAt(clock: { now: number }, cacheMaxEntries?: number) {
  const config = issuerConfig(issuer);
  const keys = remoteKeySetFor(issuer, { issuerName: config.name, fetchTimeoutMs: 2000 });
  return createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keys]]), now: () => clock.now, cacheMaxEntries });
}

/** Verified user claims of a new identity of the test issuer. */
function userClaims(overrides: Partial<UserClaims> = {}): UserClaims {
  return {
    provider: 'test',
    issuer: issuer.url,
    subject: `auth0|${randomUUID()}`,
    email: `${randomUUID()}@example.com`,
    emailVerified: true,
    name: 'User',
    givenName: null,
    familyName: null,
    externalOrganizationId: null,
    impersonator: null,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    issuedAt: null,
    sessionId: null,
    ...overrides,
  };
}

describe('verified-token cache', () => {
  it('refuses a cached token once its exp has passed', async () => {
    const clock = { now: Date.now() };
    const verifier = verifierAt(clock);
    const token = await issuer.sign({ sub: randomUUID(), aud: 'https://api.test' }, { expiresIn: 60 });
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'user' });
    clock.now += 30_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ kind: 'user' }); // served from the cache
    clock.now += 31_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('never grows beyond its bound and still verifies evicted tokens', async () => {
    const clock = { now: Date.now() };
    const verifier = verifierAt(clock, 2);
    const tokens = await Promise.all([1, 2, 3].map(() => issuer.sign({ sub: randomUUID(), aud: 'https://api.test' })));
    for (const token of tokens) await verifier.verify(token);
    // The first token was evicted: verifying it again works (a fresh verification), and an
    // evicted entry never bypasses the exp check.
    await expect(verifier.verify(tokens[0]!)).resolves.toMatchObject({ kind: 'user' });
    clock.now += 3_700_000;
    for (const token of tokens) await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('work shared while in flight', () => {
  it('parallel verifications of one token run one verification; a failure is not kept', async () => {
    const config = issuerConfig(issuer);
    const keys = remoteKeySetFor(issuer, { issuerName: config.name, fetchTimeoutMs: 2000 });
    let lookups = 0;
    const counted: typeof keys = Object.create(keys, {
      getKey: { value: (...args: Parameters<typeof keys.getKey>) => ((lookups += 1), keys.getKey(...args)) },
    });
    const verifier = createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, counted]]) });
    const token = await issuer.sign({ sub: randomUUID(), aud: 'https://api.test' });
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(new Set(results).size).toBe(1);
    expect(lookups).toBe(1);

    const forged = await issuer.sign({ sub: randomUUID(), aud: 'https://api.test' }, { key: 'other' });
    const refused = await Promise.allSettled(Array.from({ length: 5 }, () => verifier.verify(forged)));
    expect(refused.every((r) => r.status === 'rejected')).toBe(true);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('parallel first requests of one identity provision once in this process, one of them created', async () => {
    let provisioned = 0;
    const identity = createIdentityService({ db: database.db, users, onProvisioned: (what) => void (what === 'identity' && (provisioned += 1)) });
    const claims = userClaims({ name: 'Parallel' });
    const results = await Promise.all(Array.from({ length: 10 }, () => identity.resolveUser({ ...claims })));
    expect(new Set(results.map((r) => r.userId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(provisioned).toBe(1);
  });
});

describe('(issuer, sub) cache', () => {
  /** An identity service on a clock of the test's, over the test database, recording its statements. */
  function observedIdentity(options: { stampDelayMs?: number } = {}) {
    const clock = { now: Date.now() };
    const statements: string[] = [];
    // `store.down`: every statement is refused as by a database that is gone.
    const store = { down: false };
    const db: Database = {
      ...database.db,
      query: (text, params) => {
        statements.push(text);
        return store.down ? Promise.reject(new AppError('IDENTITY_STORE_UNAVAILABLE')) : database.db.query(text, params);
      },
    };
    return { clock, statements, store, identity: createIdentityService({ db, users: createUserStore(db), now: () => clock.now, ...options }) };
  }

  it('stamps a known identity back after the seen interval without making the request wait; changed claims are read again', async () => {
    const { clock, statements, identity } = observedIdentity();
    const claims = userClaims({ name: 'Seen' });
    const lastSeen = async () =>
      (await database.db.query<{ t: string }>('select last_seen_at::text as t from identities where subject = $1', [claims.subject]))[0]!.t;
    const { userId } = await identity.resolveUser({ ...claims });
    const provisionedAt = await lastSeen();

    statements.length = 0;
    expect((await identity.resolveUser({ ...claims })).userId).toBe(userId);
    expect(statements).toEqual([]);

    clock.now += 61_000;
    await new Promise((resolve) => setTimeout(resolve, 5)); // the database's now() moves on too
    // Answered from the cache at once; the stamp waits to be written with others.
    expect((await identity.resolveUser({ ...claims })).userId).toBe(userId);
    expect(statements).toEqual([]);
    await identity.flushStamps();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^update identities i set last_seen_at = now\(\)/);
    expect(await lastSeen()).not.toBe(provisionedAt);

    // Fresh again; then a renamed sign-in is looked up and synced, whatever the time.
    statements.length = 0;
    await identity.resolveUser({ ...claims });
    await identity.flushStamps();
    expect(statements).toEqual([]);
    await identity.resolveUser({ ...claims, name: 'Renamed' });
    expect(statements.filter((text) => /from identities i join users u/.test(text))).toHaveLength(1);
    expect((await database.db.query<{ name: string }>('select name from users where id = $1', [userId]))[0]?.name).toBe('Renamed');
  });

  it("matches a token's frozen claims by reference once they matched field by field; any other claims object is compared again", async () => {
    const { statements, identity } = observedIdentity();
    const claims = Object.freeze(userClaims({ name: 'Frozen' }));
    const { userId } = await identity.resolveUser(claims);
    // What the warm path reads of the claims, counted (a proxy of a frozen object is frozen too).
    const reads: string[] = [];
    const watched = new Proxy(claims, { get: (target, name, receiver) => (reads.push(String(name)), Reflect.get(target, name, receiver)) });
    expect(identity.cachedUser(watched)?.userId).toBe(userId);
    expect(reads).toContain('email');
    reads.length = 0;
    expect(identity.cachedUser(watched)?.userId).toBe(userId);
    expect(reads.filter((name) => ['email', 'emailVerified', 'name', 'givenName', 'familyName'].includes(name))).toEqual([]);

    // Another token of the identity, renamed: compared, found changed, synced from the database.
    statements.length = 0;
    expect(identity.cachedUser(Object.freeze({ ...claims, name: 'Renamed' }))).toBeUndefined();
    await identity.resolveUser(Object.freeze({ ...claims, name: 'Renamed' }));
    expect(statements.filter((text) => /from identities i join users u/.test(text))).toHaveLength(1);
    expect((await database.db.query<{ name: string }>('select name from users where id = $1', [userId]))[0]?.name).toBe('Renamed');
    // The first token's claims no longer match what the identity recorded.
    expect(identity.cachedUser(watched)).toBeUndefined();
  });

  it('writes the stamps of a warm token from the synchronous path too, on its own after the delay', async () => {
    const { clock, statements, identity } = observedIdentity({ stampDelayMs: 20 });
    const claims = Object.freeze(userClaims({ name: 'Warm' }));
    const { userId } = await identity.resolveUser(claims);
    expect(identity.cachedUser(claims)?.userId).toBe(userId);

    clock.now += 61_000;
    statements.length = 0;
    // The same claims object (a cached token): answered without a promise, the stamp queued.
    expect(identity.cachedUser(claims)?.userId).toBe(userId);
    expect(identity.cachedUser(claims)?.userId).toBe(userId);
    expect(statements).toEqual([]);
    // Written on its own once the delay has passed: wait for the statement, then check it ran once.
    await eventually(() => statements.some((text) => /^update identities i set last_seen_at/.test(text)));
    await identity.flushStamps();
    expect(statements.filter((text) => /^update identities i set last_seen_at/.test(text))).toHaveLength(1);
  });

  it('stamps many identities due at once in one statement, and looks one that vanished meanwhile up again', async () => {
    const { clock, statements, identity } = observedIdentity();
    const all = Array.from({ length: 20 }, (_, i) => userClaims({ email: null, emailVerified: false, name: `Due ${i}` }));
    const ids = await Promise.all(all.map(async (claims) => (await identity.resolveUser({ ...claims })).userId));
    // One identity disappears (an operator deleted it): its stamp finds nothing.
    await database.db.query('delete from identities where subject = $1', [all[0]!.subject]);

    clock.now += 61_000;
    statements.length = 0;
    const due = await Promise.all(all.map(async (claims) => (await identity.resolveUser({ ...claims })).userId));
    expect(due).toEqual(ids);
    await identity.flushStamps();
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^update identities i set last_seen_at/);

    // The vanished one left the cache: looked up and provisioned anew, not served its old id.
    const again = await Promise.all(all.map(async (claims) => (await identity.resolveUser({ ...claims })).userId));
    expect(again.slice(1)).toEqual(ids.slice(1));
    expect(again[0]).not.toBe(ids[0]);
    expect(statements.filter((text) => /from identities i join users u/.test(text))).toHaveLength(1);
  });

  it('a stamp the database refuses drops its identities from the cache: their next request asks the database', async () => {
    const { clock, statements, store, identity } = observedIdentity();
    const claims = userClaims({ name: 'Outage' });
    const { userId } = await identity.resolveUser({ ...claims });

    clock.now += 61_000;
    store.down = true;
    expect((await identity.resolveUser({ ...claims })).userId).toBe(userId);
    await identity.flushStamps();
    await expect(identity.resolveUser({ ...claims })).rejects.toMatchObject({ code: 'IDENTITY_STORE_UNAVAILABLE' });
    store.down = false;
    statements.length = 0;
    expect((await identity.resolveUser({ ...claims })).userId).toBe(userId);
    expect(statements.filter((text) => /from identities i join users u/.test(text))).toHaveLength(1);
  });
});

describe('JWKS single flight', () => {
  it('a burst of concurrent verifications on a cold issuer fetches the keys once', async () => {
    const cold = await startTestIssuer();
    try {
      const config = issuerConfig(cold);
      const keys = remoteKeySetFor(cold, { issuerName: config.name, fetchTimeoutMs: 2000 });
      const verifier = createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keys]]) });
      const tokens = await Promise.all(Array.from({ length: 50 }, () => cold.sign({ sub: randomUUID(), aud: 'https://api.test' })));
      const results = await Promise.all(tokens.map((token) => verifier.verify(token)));
      expect(results.every((r) => r.kind === 'user')).toBe(true);
      expect(cold.jwksRequests).toBe(1);
    } finally {
      await cold.close();
    }
  });
});

describe('user row cache', () => {
  async function newUser(name: string) {
    return insertUser(database.db, { id: randomUUID(), email: `${randomUUID()}@example.com`, emailVerified: true, name });
  }

  it('serves the row as of the last write run through it, whether one statement or a whole transaction', async () => {
    const cache = createUserRowCache(database.db);
    const user = await newUser('Before');
    await announced(cache);
    expect((await cache.findByIds([user.id]))[0]?.name).toBe('Before');
    await cache.write(() => database.db.query('update users set name = $2 where id = $1', [user.id, 'Outside']));
    expect((await cache.findByIds([user.id]))[0]?.name).toBe('Outside');
    await cache.write(() => database.db.transaction((tx) => updateUserProfile(tx, user.id, { email: null, emailVerified: false, name: 'Inside' })));
    expect((await cache.findByIds([user.id]))[0]?.name).toBe('Inside');
    await cache.write(() => database.db.query('delete from users where id = $1', [user.id]));
    expect(await cache.findByIds([user.id])).toEqual([]);
    cache.close();
  });

  it('is bounded', async () => {
    await until(() => hearing(database.db));
    const cache = createUserRowCache(database.db, 3);
    const users = await Promise.all([1, 2, 3, 4, 5].map((i) => newUser(`U${i}`)));
    await announced(cache);
    const found = await cache.findByIds(users.map((u) => u.id));
    expect(found.map((u) => u.name).sort()).toEqual(['U1', 'U2', 'U3', 'U4', 'U5']);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThanOrEqual(3);
    cache.close();
  });

  it('keeps no row read while a write was in flight, nor one read before a write that ended since', async () => {
    await until(() => hearing(database.db));
    const cache = createUserRowCache(database.db);
    const user = await newUser('Kept');
    await announced(cache);
    // Read during a write (its transaction not yet committed): answered, not kept.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = cache.write(() => held);
    expect((await cache.findByIds([user.id]))[0]?.name).toBe('Kept');
    expect(cache.peek(user.id)).toBeUndefined();
    const before = cache.version();
    release();
    await writing;
    // Read before the write ended, kept after it: refused.
    cache.keep(user, before);
    expect(cache.peek(user.id)).toBeUndefined();
    // A written row is kept only if no other write ran meanwhile.
    let other!: () => void;
    const overlapping = cache.write(() => new Promise<void>((resolve) => (other = resolve)));
    await cache.write(async () => undefined, () => ({ ...user, name: 'Written' }));
    expect(cache.peek(user.id)).toBeUndefined();
    other();
    await overlapping;
    cache.close();
  });

  // PGlite: this process is the only writer, so its own write is kept. (PostgreSQL announces
  // every change, this replica's own included, and the announcement drops it a moment later.)
  it.skipIf(databaseKind !== 'pglite')('keeps the row of a user it just provisioned, and of an identity it just looked up', async () => {
    const identity = createIdentityService({ db: database.db, users });
    const claims = userClaims({ name: 'Provisioned' });
    const { userId, row } = await identity.resolveUser({ ...claims });
    expect(row?.name).toBe('Provisioned');
    expect(users.peek(userId)?.name).toBe('Provisioned');
    await users.transaction((_tx, rows) => rows.updateProfile(userId, { email: null, emailVerified: false, name: 'Renamed' }));
    expect(users.peek(userId)).toBeUndefined();
    // Another process (a restart) looks the identity up: the row it read is kept too.
    const restarted = createIdentityService({ db: database.db, users });
    expect((await restarted.resolveUser({ ...claims })).row?.name).toBe('Renamed');
    expect(users.peek(userId)?.name).toBe('Renamed');
  });
});

// Each function that writes users writes through the store: a row cached before it is not served
// after it (the row it changed is read again; the others too, conservatively).
describe('every writer of users invalidates the store cache', () => {
  const admin: Principal = {
    kind: 'service',
    claims: { provider: 'test', issuer: 'https://admin.test', subject: 'admin', scopes: new Set(['users:admin', 'organizations:admin']), expiresAt: Math.floor(Date.now() / 1000) + 3600 },
  };

  /** A user whose row the cache holds. */
  async function cachedUser(name: string) {
    const user = await insertUser(database.db, { id: randomUUID(), email: `${randomUUID()}@example.com`, emailVerified: true, name });
    await announced();
    await users.findByIds([user.id]);
    expect(users.peek(user.id)?.name).toBe(name);
    return user;
  }

  beforeAll(() => until(() => hearing(database.db)));

  it('a first sign-in (provisioning)', async () => {
    const bystander = await cachedUser('Bystander');
    const identity = createIdentityService({ db: database.db, users });
    const { created } = await identity.resolveUser(userClaims());
    expect(created).toBe(true);
    expect(users.peek(bystander.id)).toBeUndefined();
  });

  it('a later sign-in that syncs the profile', async () => {
    const identity = createIdentityService({ db: database.db, users });
    const claims = userClaims({ name: 'Old' });
    const { userId } = await identity.resolveUser({ ...claims });
    await announced();
    expect((await users.findByIds([userId]))[0]?.name).toBe('Old');
    expect(users.peek(userId)?.name).toBe('Old');
    await identity.resolveUser({ ...claims, name: 'Synced' });
    expect(users.peek(userId)).toBeUndefined();
    expect((await users.findByIds([userId]))[0]?.name).toBe('Synced');
  });

  it('ensureUserByEmail, on its own and inside addMember', async () => {
    const identity = createIdentityService({ db: database.db, users });
    let bystander = await cachedUser('Bystander');
    const actor = { type: 'service' as const, id: 'admin', impersonator: null };
    expect((await identity.ensureUserByEmail(null, { email: `${randomUUID()}@example.com` }, actor)).created).toBe(true);
    expect(users.peek(bystander.id)).toBeUndefined();

    bystander = await cachedUser('Bystander');
    const organizations = createOrganizationService({ db: database.db, users, identity, issuerNames: new Set() });
    const organization = await insertOrganization(database.db, { id: randomUUID(), name: 'Cache' });
    await organizations.addMember(admin, { organizationId: organization.id, email: `${randomUUID()}@example.com`, role: 'MEMBER' });
    expect(users.peek(bystander.id)).toBeUndefined();
  });

  it('but a transaction of the store that writes no user (addMember by id, a refused deletion) keeps what is cached', async () => {
    const identity = createIdentityService({ db: database.db, users });
    const organizations = createOrganizationService({ db: database.db, users, identity, issuerNames: new Set() });
    const lifecycle = createLifecycleService({ db: database.db, users, feed: createLifecycleFeed(), maxTokenAgeSeconds: 3600 });
    const organization = await insertOrganization(database.db, { id: randomUUID(), name: 'Kept' });
    const [owner, other] = [await cachedUser('Owner'), await cachedUser('Other')];
    await organizations.addMember(admin, { organizationId: organization.id, userId: owner.id, role: 'OWNER' });
    await organizations.addMember(admin, { organizationId: organization.id, userId: other.id, role: 'MEMBER' });
    await expect(lifecycle.deleteUser(admin, owner.id)).rejects.toMatchObject({ reason: 'LAST_OWNER' });
    expect(users.peek(owner.id)?.name).toBe('Owner');
    expect(users.peek(other.id)?.name).toBe('Other');
  });

  it('suspension, reactivation and deletion', async () => {
    const lifecycle = createLifecycleService({ db: database.db, users, feed: createLifecycleFeed(), maxTokenAgeSeconds: 3600 });
    const user = await cachedUser('Lifecycle');
    await lifecycle.suspendUser(admin, user.id, null);
    expect(users.peek(user.id)).toBeUndefined();
    expect((await users.findByIds([user.id]))[0]?.status).toBe('suspended');
    await announced();
    await users.findByIds([user.id]);
    await lifecycle.reactivateUser(admin, user.id);
    expect((await users.findByIds([user.id]))[0]?.status).toBe('active');
    await announced();
    await users.findByIds([user.id]);
    expect(users.peek(user.id)?.status).toBe('active');
    await lifecycle.deleteUser(admin, user.id);
    expect(users.peek(user.id)).toBeUndefined();
    expect(await users.findByIds([user.id])).toEqual([]);
  });
});

/** True while the database hears other processes' user changes (always, on PGlite). */
function hearing(db: Database): boolean {
  return db.userChanges?.listening ?? true;
}

/**
 * On PostgreSQL, waits until the announcements of the writes made so far have arrived (the
 * cache's version stays put for 150 ms): a late one would drop a row read after it was sent.
 */
async function announced(cache: UserRowCache = announcements): Promise<void> {
  if (databaseKind !== 'postgres') return;
  let version = cache.version();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = cache.version();
    if (now === version) return;
    version = now;
  }
}

/** Until `condition` holds (at most 5 s). */
const until = (condition: () => boolean): Promise<true> => eventually(condition) as Promise<true>;

// Replicas on one PostgreSQL: each keeps its own row cache; a change committed by one reaches
// the others as a notification, and a replica that cannot hear them caches nothing. (On PGlite
// there is one process and no other writer: the cases above are the whole story.)
describe.skipIf(databaseKind !== 'postgres')('user row cache across replicas', () => {
  function replica(url: string) {
    return createPostgresDatabase({ url, max: 2, connectTimeoutMs: 1000, queryTimeoutMs: 2000 });
  }

  it('drops rows another replica changes or deletes, and keeps serving the others', async () => {
    const other = replica(database.url!);
    try {
      await until(() => hearing(database.db));
      const cache = createUserRowCache(database.db);
      const changed = await insertUser(other, { id: randomUUID(), email: null, emailVerified: false, name: 'Before' });
      await cache.findByIds([changed.id]);
      expect(cache.peek(changed.id)?.name).toBe('Before');

      await updateUserProfile(other, changed.id, { email: null, emailVerified: false, name: 'Elsewhere' });
      await until(() => cache.peek(changed.id) === undefined);
      expect((await cache.findByIds([changed.id]))[0]?.name).toBe('Elsewhere');
      expect(cache.peek(changed.id)?.name).toBe('Elsewhere');

      await other.query('delete from users where id = $1', [changed.id]);
      await until(() => cache.peek(changed.id) === undefined);
      expect(await cache.findByIds([changed.id])).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('caches nothing when it is told not to listen (DB_LISTEN_URL=off)', async () => {
    const deaf = createPostgresDatabase({ url: database.url!, listenUrl: null, max: 2, connectTimeoutMs: 1000, queryTimeoutMs: 2000 });
    try {
      const cache = createUserRowCache(deaf);
      const user = await insertUser(deaf, { id: randomUUID(), email: null, emailVerified: false, name: 'Deaf' });
      expect((await cache.findByIds([user.id]))[0]?.name).toBe('Deaf');
      expect(hearing(deaf)).toBe(false);
      expect(cache.peek(user.id)).toBeUndefined();
    } finally {
      await deaf.close();
    }
  });

  it('caches nothing while its listening connection is cut, and again once it is back', async () => {
    const target = new URL(database.url!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = replica(proxy.proxied(database.url!));
    try {
      await until(() => hearing(proxied));
      const cache = createUserRowCache(proxied);
      const user = await insertUser(database.db, { id: randomUUID(), email: null, emailVerified: false, name: 'Cut' });
      await cache.findByIds([user.id]);
      expect(cache.peek(user.id)?.name).toBe('Cut');

      proxy.cut('reset');
      await until(() => !hearing(proxied));
      expect(cache.peek(user.id)).toBeUndefined();
      // Changed while this replica could not hear it.
      await database.db.query('update users set name = $2 where id = $1', [user.id, 'Unheard']);

      proxy.restore();
      await until(() => hearing(proxied));
      // What was cached before the cut is not served: the row is read again.
      expect(cache.peek(user.id)).toBeUndefined();
      expect((await cache.findByIds([user.id]))[0]?.name).toBe('Unheard');
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });
});

// Named statements: each connection parses and plans a statement once (most of a short
// statement's server CPU), and DB_PREPARED_STATEMENTS=false sends every statement unnamed.
describe.skipIf(databaseKind !== 'postgres')('prepared statements', () => {
  async function preparedOn(db: Database): Promise<string[]> {
    // One connection: the statement, then the session's own prepared statements.
    return db.transaction(async (tx) => {
      await tx.query('select id from users where id = $1', [randomUUID()]);
      const rows = await tx.query<{ statement: string }>('select statement from pg_prepared_statements');
      return rows.map((row) => row.statement);
    });
  }

  it('are named by default, once per connection, and not at all when switched off', async () => {
    const named = createPostgresDatabase({ url: database.url!, listenUrl: null, max: 1, connectTimeoutMs: 1000, queryTimeoutMs: 2000 });
    const unnamed = createPostgresDatabase({ url: database.url!, listenUrl: null, preparedStatements: false, max: 1, connectTimeoutMs: 1000, queryTimeoutMs: 2000 });
    try {
      expect((await preparedOn(named)).filter((text) => text.includes('from users where id = $1'))).toHaveLength(1);
      // Again on the same connection: still one, and still answering.
      expect((await preparedOn(named)).filter((text) => text.includes('from users where id = $1'))).toHaveLength(1);
      expect(await preparedOn(unnamed)).toEqual([]);
    } finally {
      await named.close();
      await unnamed.close();
    }
  });
});
