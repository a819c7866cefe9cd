// The session recorder alone (services/sessionRecorder.ts), over a database that records its
// statements and can be down: a sighting not written is queued again by the session's next
// request; one per session per interval; what it keys sessions by.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClaims } from '../../src/domain/types.js';
import type { Queryable } from '../../src/db/queryable.js';
import { createSessionRecorder } from '../../src/services/sessionRecorder.js';
import { testClock } from '../helpers/clock.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

function claims(overrides: Partial<UserClaims> = {}): UserClaims {
  return {
    provider: 'test', issuer: 'https://idp.test/', subject: `s-${randomUUID()}`, email: null, emailVerified: false, name: null, givenName: null, familyName: null,
    externalOrganizationId: null, impersonator: null, expiresAt: Math.floor(Date.now() / 1000) + 600, issuedAt: Math.floor(Date.now() / 1000),
    sessionId: `sid-${randomUUID()}`, ...overrides,
  };
}

async function newUser(): Promise<string> {
  const id = randomUUID();
  await database.db.query('insert into users (id, email, email_verified, name) values ($1, null, false, null)', [id]);
  return id;
}

function observed() {
  const statements: string[] = [];
  const state = { down: false };
  const db: Queryable = {
    query: (text, params) => {
      statements.push(text);
      return state.down ? Promise.reject(new Error('database down')) : database.db.query(text, params);
    },
    exec: (script) => database.db.exec(script),
  };
  return { db, statements, state };
}

const rowsOf = (userId: string) =>
  database.db.query<{ issuer_name: string; iss: string; first_seen_at: Date; last_seen_at: Date }>('select issuer_name, iss, first_seen_at, last_seen_at from sessions where user_id = $1', [userId]);

describe('session recorder', () => {
  it('queues a sighting again after a write that failed, and writes it once the database is back', async () => {
    const { db, statements, state } = observed();
    const clock = testClock();
    const recorder = createSessionRecorder({ db, now: clock.now, delayMs: 10_000 });
    const userId = await newUser();
    const token = claims();
    state.down = true;
    recorder.seen(userId, token);
    await recorder.flush();
    expect(statements).toHaveLength(1);
    state.down = false;
    // Within the minute, but the first sighting was never written: queued again.
    recorder.seen(userId, token);
    await recorder.flush();
    expect(statements).toHaveLength(2);
    expect(await rowsOf(userId)).toHaveLength(1);
    recorder.seen(userId, token);
    await recorder.flush();
    expect(statements).toHaveLength(2);
  });

  it('writes one statement for many sessions due together, one row each; none for tokens without sid or impersonated', async () => {
    const { db, statements } = observed();
    const recorder = createSessionRecorder({ db, delayMs: 10_000 });
    const userId = await newUser();
    for (let i = 0; i < 20; i += 1) recorder.seen(userId, claims());
    recorder.seen(userId, claims({ sessionId: null }));
    recorder.seen(userId, claims({ impersonator: 'support|1' }));
    await recorder.flush();
    expect(statements).toHaveLength(1);
    expect(await rowsOf(userId)).toHaveLength(20);
  });

  it("keys a platform token's session by its IdP and shows the IdP's name", async () => {
    const { db } = observed();
    const recorder = createSessionRecorder({ db });
    const userId = await newUser();
    const sid = `sid-${randomUUID()}`;
    recorder.seen(userId, claims({ sessionId: sid }));
    recorder.seen(userId, claims({ sessionId: sid, provider: 'platform', issuer: 'https://identity.test', idpIssuer: 'https://idp.test/', idp: 'test' }));
    await recorder.flush();
    expect((await rowsOf(userId)).map((r) => [r.iss, r.issuer_name])).toEqual([['https://idp.test/', 'test']]);
  });

  it('records nothing for a deleted user', async () => {
    const { db } = observed();
    const recorder = createSessionRecorder({ db });
    const userId = await newUser();
    await database.db.query("update users set status = 'deleted', deleted_at = now() where id = $1", [userId]);
    recorder.seen(userId, claims());
    await recorder.flush();
    expect(await rowsOf(userId)).toEqual([]);
  });

  it('stamps a session it recorded by its row id; a row gone since is recorded again, never for a deleted user', async () => {
    const { db, statements } = observed();
    const clock = testClock();
    const recorder = createSessionRecorder({ db, now: clock.now, delayMs: 10_000 });
    const userId = await newUser();
    const token = claims();
    const seen = async () => {
      statements.length = 0;
      clock.advance(61_000);
      recorder.seen(userId, token);
      await recorder.flush();
      return statements.map((text) => text.trim().split(/\s+/).slice(0, 2).join(' '));
    };
    expect(await seen()).toEqual(['insert into']);
    expect(await seen()).toEqual(['update sessions']);
    expect((await rowsOf(userId))[0]!.last_seen_at.getTime()).toBe(clock.now());
    // Purged (unseen too long on another replica's clock): the stamp finds no row, and the same write records it anew.
    await database.db.query('delete from sessions where user_id = $1', [userId]);
    expect(await seen()).toEqual(['update sessions', 'insert into']);
    expect(await rowsOf(userId)).toHaveLength(1);
    expect(await seen()).toEqual(['update sessions']);
    // Deleted since: its sessions go with it, and nothing brings them back.
    await database.db.query("update users set status = 'deleted', deleted_at = now() where id = $1", [userId]);
    await database.db.query('delete from sessions where user_id = $1', [userId]);
    expect(await seen()).toEqual(['update sessions', 'insert into']);
    expect(await rowsOf(userId)).toEqual([]);
  });

  it('stays bounded: past maxEntries, sessions are stamped again rather than remembered', async () => {
    const { db, statements } = observed();
    const recorder = createSessionRecorder({ db, maxEntries: 10, delayMs: 10_000 });
    const userId = await newUser();
    const tokens = Array.from({ length: 30 }, () => claims());
    for (const token of tokens) recorder.seen(userId, token);
    await recorder.flush();
    statements.length = 0;
    // The first ones were forgotten: seen again, they are queued again (one statement).
    for (const token of tokens) recorder.seen(userId, token);
    await recorder.flush();
    expect(statements).toHaveLength(1);
    expect(await rowsOf(userId)).toHaveLength(30);
  });
});
