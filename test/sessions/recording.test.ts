// How sessions are recorded (idp-events.md, Sessions): no statement on the warm path, last seen
// stamped at most once a minute (the app's clock, moved by the test), and revokeSession heard by
// a second replica within a second (measured and printed, not asserted: the deadline is the
// bench's and the contract's; `eventually` fails only far past it).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { testClock } from '../helpers/clock.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';

let issuer: TestIssuer;
let database: TestDatabase;
let secondPool: Database;
let a: TestApp;
let b: TestApp;
const statements: string[] = [];
const clock = testClock();
const platform = platformConfig();

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  // Replica B: its own pool on PostgreSQL (it hears A's commits through LISTEN/NOTIFY); on PGlite
  // the one database, and the feed replicas on PostgreSQL share through the database.
  const feed = database.connection === null ? createLifecycleFeed() : undefined;
  secondPool = database.connection === null ? database.db : createPostgresDatabase({ ...database.connection, max: 4, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
  const issuers = [issuerConfig(issuer)];
  const appOptions = feed === undefined ? {} : { lifecycleFeed: feed };
  a = await startTestApp({ issuers, database: database.db, now: clock.now, config: { platform }, appOptions });
  b = await startTestApp({ issuers, database: secondPool, config: { platform }, appOptions });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  if (secondPool !== database.db) await secondPool.close();
  await database?.close();
  await issuer?.close();
});

const SESSIONS = '{ viewer { sessions { edges { node { id firstSeenAt lastSeenAt current revokedAt } } } } }';
// A session's writes: recorded (new, or seen by another replica), or stamped by its row id.
const sessionWrites = () => statements.filter((text) => /^\s*(insert into sessions|update sessions set last_seen_at)/.test(text));

function person() {
  const subject = `user|${randomUUID()}`;
  const email = `${randomUUID()}@example.com`;
  return (sid: string) => issuer.sign({ sub: subject, aud: AUDIENCE, email, email_verified: true, sid });
}

async function sessionsOf(app: TestApp, token: string) {
  const answer = await app.gql(SESSIONS, { token });
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data.viewer.sessions.edges.map((e: { node: any }) => e.node) as { id: string; firstSeenAt: string; lastSeenAt: string; current: boolean; revokedAt: string | null }[];
}

const status = async (app: TestApp, token: string) => (await app.gql('{ viewer { id email } }', { token })).status;

describe('recording sessions', () => {
  it('runs no statement on the warm path, and queues nothing for a session stamped within the minute', async () => {
    const token = await person()(`warm-${randomUUID()}`);
    for (let i = 0; i < 3; i += 1) expect(await status(a, token)).toBe(200);
    expect(await sessionsOf(a, token)).toHaveLength(1);
    statements.length = 0;
    for (let i = 0; i < 50; i += 1) expect(await status(a, token)).toBe(200);
    expect(statements).toEqual([]);
    // The list writes what this replica has waiting first: nothing was.
    await sessionsOf(a, token);
    expect(sessionWrites()).toEqual([]);
  });

  it('stamps last seen at most once a minute (the clock moved by the test), first seen never moves', async () => {
    const token = await person()(`minute-${randomUUID()}`);
    const t0 = new Date(clock.now()).toISOString();
    expect(await status(a, token)).toBe(200);
    const [first] = await sessionsOf(a, token);
    expect(first).toMatchObject({ firstSeenAt: t0, lastSeenAt: t0, current: true });

    statements.length = 0;
    clock.advance(30_000);
    expect(await status(a, token)).toBe(200);
    clock.advance(29_000);
    expect(await status(a, token)).toBe(200);
    expect(await sessionsOf(a, token)).toEqual([first]);
    expect(sessionWrites()).toEqual([]);

    clock.advance(2_000);
    const t61 = new Date(clock.now()).toISOString();
    for (let i = 0; i < 5; i += 1) expect(await status(a, token)).toBe(200);
    expect(await sessionsOf(a, token)).toEqual([{ ...first, lastSeenAt: t61 }]);
    // One statement for the five requests (and the list) of that minute: a stamp of the row this
    // replica recorded, by its id.
    expect(sessionWrites()).toEqual([expect.stringMatching(/^\s*update sessions set last_seen_at/)]);
  });
});

describe('revokeSession across replicas', () => {
  it("stops the session's IdP and platform tokens on the other replica within a second, and no other session", async () => {
    const tokenOf = person();
    const doomed = await tokenOf(`doomed-${randomUUID()}`);
    const kept = await tokenOf(`kept-${randomUUID()}`);
    const platformToken = (await postToken(a.url, exchangeForm(doomed))).body.access_token as string;
    // Every replica's caches warm: verified tokens, identity, user row, session.
    for (const app of [a, b]) for (const token of [doomed, kept, platformToken]) for (let i = 0; i < 3; i += 1) expect(await status(app, token)).toBe(200);
    const target = (await sessionsOf(b, kept)).find((s) => !s.current)!;
    expect(target).toBeDefined();

    const revoked = await a.gql('mutation ($id: ID!) { revokeSession(id: $id) }', { token: kept, variables: { id: target.id } });
    expect(revoked.body).toEqual({ data: { revokeSession: true } });
    const started = performance.now();
    await eventually(async () => expect(await status(b, doomed)).toBe(401), { timeoutMs: 5000, intervalMs: 5 });
    const idpMs = performance.now() - started;
    await eventually(async () => expect(await status(b, platformToken)).toBe(401), { timeoutMs: 5000, intervalMs: 5 });
    const platformMs = performance.now() - started;
    console.log(`revokeSession on replica A seen by replica B (${databaseKind}): IdP token refused after ${idpMs.toFixed(1)} ms, platform token after ${platformMs.toFixed(1)} ms (goal <= 1000 ms)`);
    expect(await status(b, kept)).toBe(200);
    expect(await status(a, kept)).toBe(200);
    expect((await sessionsOf(b, kept)).find((s) => s.id === target.id)!.revokedAt).not.toBeNull();
  });
});
