// The Events API catch-up (idp-events.md): a loopback WorkOS Events API, the pollers on a fake
// clock. A lost webhook is applied at the next poll; the first poll of a database starts from now
// and the cursor outlives a restart; one replica polls at a time; a 10-minute webhook outage
// loses no event and applies each once, however WorkOS retries afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { fakeTimers, startFakeWorkos, workosIssuerConfig, workosToken, type FakeWorkos } from '../helpers/workos.js';

let issuer: TestIssuer;
let database: TestDatabase;
let workos: FakeWorkos;
let clock: ReturnType<typeof fakeTimers>;
const feed = createLifecycleFeed();
const apps: TestApp[] = [];

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  clock = fakeTimers();
  workos = await startFakeWorkos({ now: clock.now });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await workos?.close();
  await database?.close();
  await issuer?.close();
});

async function start(): Promise<TestApp> {
  const app = await startTestApp({
    issuers: [workosIssuerConfig(issuer, workos, { eventsPollSeconds: 30 })],
    database: database.db,
    appOptions: { eventTimers: clock.timers, lifecycleFeed: feed },
  });
  apps.push(app);
  return app;
}

const poller = (app: TestApp) => app.app.idpEvents.pollers.get('workos')!;
/** Moves the fake clock, waiting for every poll it starts on `app`. */
const advance = (app: TestApp, ms: number) => clock.advance(ms, () => poller(app).idle());
const applied = async (ids: string[]) =>
  database.db.query<{ event_id: string; outcome: string }>('select event_id, outcome from idp_events where event_id = any($1::text[])', [ids]);
const auditCount = async (ids: string[]) =>
  Number((await database.db.query<{ n: string }>('select count(*) as n from audit_events where actor_id = any($1::text[])', [ids.map((id) => `workos:${id}`)]))[0]!.n);

async function viewerStatus(app: TestApp, token: string) {
  return (await app.gql('{ viewer { id } }', { token })).status;
}

let api: TestApp;

describe('the Events API poll', () => {
  it('the first poll of a database starts from now: an event created before it is not caught up', async () => {
    const before = workos.emit('session.revoked', { id: 'session_before_start' }, clock.now() - 60_000);
    // Even from an API that would serve the events before `range_start`.
    workos.ignoreRangeStart = true;
    api = await start();
    await advance(api, 0);
    workos.ignoreRangeStart = false;
    expect(workos.requests).toHaveLength(1);
    const first = workos.requests[0]!;
    expect(first.get('limit')).toBe('100');
    expect(first.get('after')).toBeNull();
    expect(first.get('range_start')).toBe(new Date(clock.now()).toISOString());
    expect(first.get('events')!.split(',').sort()).toEqual(
      ['dsync.user.deleted', 'dsync.user.updated', 'organization_membership.deleted', 'session.revoked', 'user.deleted', 'user.updated'],
    );
    expect(await applied([before.id])).toEqual([]);
  });

  it('an event whose webhook was lost is applied at the next poll', async () => {
    const subject = `user_${randomUUID()}`;
    const token = await workosToken(issuer, subject);
    expect(await viewerStatus(api, token)).toBe(200);
    const lost = workos.emit('session.revoked', { id: `session_${subject}`, user_id: subject });
    await advance(api, 29_000);
    expect(await viewerStatus(api, token)).toBe(200);
    await advance(api, 1_000);
    expect(await viewerStatus(api, token)).toBe(401);
    expect(await applied([lost.id])).toEqual([{ event_id: lost.id, outcome: 'session_revoked' }]);
    // Its webhook arriving late changes nothing.
    expect((await workos.deliver(api.url, 'workos', lost)).status).toBe(200);
    expect(await auditCount([lost.id])).toBe(1);
  });

  it('an Events API outage: the poll fails, and catches up once the API answers', async () => {
    workos.mode = 'down';
    const missed = workos.emit('session.revoked', { id: `session_${randomUUID()}` });
    await advance(api, 30_000);
    expect(await applied([missed.id])).toEqual([]);
    workos.mode = 'up';
    await advance(api, 30_000);
    expect(await applied([missed.id])).toHaveLength(1);
  });

  it('one replica at a time: a lease held elsewhere is waited out; an expired one (a replica gone) is taken over', async () => {
    const second = await start();
    workos.emit('session.revoked', { id: `session_${randomUUID()}` });
    workos.delayMs = 200;
    try {
      const results = await Promise.all([poller(api).pollOnce(), poller(second).pollOnce()]);
      expect(results.map((r) => r.kind).sort()).toEqual(['busy', 'polled']);
    } finally {
      workos.delayMs = 0;
    }
    await database.db.query("update idp_event_cursors set lease_holder = 'gone-replica', lease_until = now() + interval '1 minute'");
    expect((await poller(second).pollOnce()).kind).toBe('busy');
    await database.db.query("update idp_event_cursors set lease_until = now() - interval '1 second'");
    expect((await poller(second).pollOnce()).kind).toBe('polled');
    await second.close();
    apps.splice(apps.indexOf(second), 1);
  });

  it('a 10-minute webhook outage on the fake clock: after catch-up, 0 events lost, each applied once, whatever WorkOS retries', async () => {
    const emitted: string[] = [];
    const subjects: string[] = [];
    // Ten minutes, 10 s at a time: three events each step, and one burst of 250 (pages of 100).
    for (let step = 0; step < 60; step += 1) {
      for (let i = 0; i < 3; i += 1) {
        const subject = `user_${randomUUID()}`;
        subjects.push(subject);
        emitted.push(workos.emit('session.revoked', { id: `session_${subject}`, user_id: subject }).id);
      }
      if (step === 20) {
        for (let i = 0; i < 250; i += 1) emitted.push(workos.emit('session.revoked', { id: `session_burst_${randomUUID()}` }).id);
      }
      await advance(api, 10_000);
    }
    await advance(api, 30_000);
    const rows = await applied(emitted);
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.event_id, (counts.get(row.event_id) ?? 0) + 1);
    const lost = emitted.filter((id) => !counts.has(id));
    const twice = [...counts.values()].filter((n) => n > 1);
    console.log(`10-minute outage: ${emitted.length} events emitted, ${rows.length} applied, ${lost.length} lost, ${twice.length} applied twice`);
    expect({ lost: lost.length, twice: twice.length, applied: rows.length }).toEqual({ lost: 0, twice: 0, applied: emitted.length });
    // WorkOS delivers the webhooks it kept retrying once the endpoint is back: nothing more.
    for (const id of emitted.slice(0, 20)) {
      const event = workos.events.find((e) => e.id === id)!;
      expect((await workos.deliver(api.url, 'workos', event)).status).toBe(200);
    }
    expect(await auditCount(emitted)).toBe(emitted.length);
  }, 120_000);

  it('the cursor lives in the database: after a restart, the events of the downtime are caught up', async () => {
    // Shut down mid-poll: the round ends and the lease is released.
    workos.delayMs = 300;
    const inFlight = poller(api).pollOnce();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await api.close();
    workos.delayMs = 0;
    expect((await inFlight).kind).toBe('polled');
    expect(await database.db.query('select lease_holder from idp_event_cursors')).toEqual([{ lease_holder: null }]);
    apps.splice(apps.indexOf(api), 1);
    const during = workos.emit('session.revoked', { id: `session_${randomUUID()}` });
    await clock.advance(120_000, async () => undefined);
    api = await start();
    await advance(api, 0);
    expect(await applied([during.id])).toHaveLength(1);
    const [cursor] = await database.db.query<{ after_event: string }>('select after_event from idp_event_cursors');
    expect(cursor!.after_event).toBe(during.id);
  });
});
