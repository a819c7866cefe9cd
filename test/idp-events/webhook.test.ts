// POST /webhooks/workos/{name} (idp-events.md, Receiving): deliveries signed by WorkOS's own SDK;
// the answers in the contract's order (name 404, size 413, signature and body 400), 200 with an
// empty body for every authentic event, each applied once; 503 with Retry-After while the
// database cannot be reached, then applied once on WorkOS's retry.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { signatureHeader, startFakeWorkos, WEBHOOK_SECRET, workosIssuerConfig, workosToken, type FakeWorkos } from '../helpers/workos.js';

let issuer: TestIssuer;
let database: TestDatabase;
let workos: FakeWorkos;
let api: TestApp;
let down = false;

/** The file's database, unreachable while `down` (as the driver reports it: IDENTITY_STORE_UNAVAILABLE). */
function faulty(db: Database): Database {
  const fail = () => {
    if (down) throw new AppError('IDENTITY_STORE_UNAVAILABLE', { retryAfterSeconds: 2 });
  };
  return new Proxy(db, {
    get(target, key, receiver) {
      if (key === 'query') return async (text: string, params?: unknown[]) => (fail(), target.query(text, params));
      if (key === 'transaction') return async (work: Parameters<Database['transaction']>[0]) => (fail(), target.transaction(work));
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  workos = await startFakeWorkos();
  const entries = [
    workosIssuerConfig(issuer, null),
    // A workos entry without a webhook secret, and an oidc entry: no endpoint.
    { ...workosIssuerConfig(issuer, null, { name: 'quiet', webhookSecret: null }), issuer: 'https://quiet.workos.test/' },
    { ...issuerConfig(issuer, { name: 'oidc' }), issuer: 'https://oidc.test/' },
  ];
  api = await startTestApp({ issuers: entries, database: faulty(database.db), config: { subgraphSecret: 'router-only-secret' } });
});
afterAll(async () => {
  await api?.close();
  await workos?.close();
  await database?.close();
  await issuer?.close();
});

const viewer = async (token: string) => {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-subgraph-secret': 'router-only-secret' },
    body: JSON.stringify({ query: '{ viewer { id } }' }),
  });
  const body = (await response.json()) as any;
  return { status: response.status, reason: body.errors?.[0]?.extensions?.reason, id: body.data?.viewer?.id as string | undefined };
};

const auditRows = (eventId: string) => database.db.query<{ action: string; actor_type: string; target_type: string; target_id: string; details: any }>(
  'select action, actor_type, target_type, target_id, details from audit_events where actor_id = $1 order by id',
  [`workos:${eventId}`],
);

describe('answers', () => {
  it('404 for a name that is no workos entry with a webhook secret, before anything else', async () => {
    const event = workos.emit('session.revoked', { id: 'session_x' });
    for (const name of ['nope', 'quiet', 'oidc']) {
      expect((await workos.deliver(api.url, name, event)).status).toBe(404);
    }
  });

  it('413 for a body over 1 MiB (2 MiB), even unsigned; a body of exactly 1 MiB is read (and refused 400 unsigned)', async () => {
    const big = JSON.stringify({ id: 'event_big', event: 'user.updated', created_at: new Date().toISOString(), data: { pad: 'x'.repeat(2 * 1_048_576) } });
    const answer = await workos.deliver(api.url, 'workos', null, { body: big, header: await signatureHeader(JSON.parse(big), Date.now()) });
    expect(answer.status).toBe(413);
    const unsigned = await workos.deliver(api.url, 'workos', null, { body: big, header: null });
    expect(unsigned.status).toBe(413);
    const limit = 'x'.repeat(1_048_576);
    expect((await workos.deliver(api.url, 'workos', null, { body: limit, header: null })).status).toBe(400);
    // Unknown name first, whatever the size.
    expect((await workos.deliver(api.url, 'nope', null, { body: big, header: null })).status).toBe(404);
  });

  it('400 invalid_request for a missing, malformed or wrong signature, a wrong secret, a stale or future timestamp, a tampered body, a body that is no event', async () => {
    const event = workos.emit('session.revoked', { id: `session_${randomUUID()}` });
    const now = Date.now();
    const cases: Record<string, Parameters<FakeWorkos['deliver']>[3]> = {
      missing: { header: null },
      empty: { header: '' },
      garbage: { header: 'nonsense' },
      noV1: { header: `t=${now}` },
      noT: { header: `v1=${'0'.repeat(64)}` },
      wrongSecret: { secret: 'whsec_other' },
      replayedOld: { t: now - 181_000 },
      future: { t: now + 181_000 },
      seconds: { t: Math.floor(now / 1000) },
      tampered: { body: JSON.stringify({ ...event, data: { id: 'session_other' } }) },
    };
    for (const [name, options] of Object.entries(cases)) {
      const answer = await workos.deliver(api.url, 'workos', event, options);
      expect({ name, status: answer.status, text: answer.text }).toEqual({ name, status: 400, text: '{"error":"invalid_request"}' });
    }
    const notEvents = [{}, { id: 'e', event: 'user.updated' }, { id: 'e', event: 'x', data: {}, created_at: 'yesterday' }, [1, 2], 'text'];
    for (const body of notEvents) {
      const answer = await workos.deliver(api.url, 'workos', body);
      expect({ body, status: answer.status }).toEqual({ body, status: 400 });
    }
    const notJson = 'not json';
    const answer = await workos.deliver(api.url, 'workos', null, { body: notJson, header: `t=${now}, v1=${'0'.repeat(64)}` });
    expect(answer.status).toBe(400);
    // Nothing of these was applied.
    expect(await auditRows(event.id)).toHaveLength(0);
    // Within 180 s either way is fine.
    expect((await workos.deliver(api.url, 'workos', event, { t: now - 170_000 })).status).toBe(200);
  });

  it('200 with an empty body for an authentic event of a type it ignores, outside SUBGRAPH_SECRET', async () => {
    const answer = await workos.deliver(api.url, 'workos', workos.emit('connection.activated', { id: 'conn_1' }));
    expect(answer).toMatchObject({ status: 200, text: '' });
  });
});

describe('session.revoked', () => {
  it('stops every token carrying that sid (401 revoked), once: a duplicate changes nothing and answers 200', async () => {
    const subject = `user_${randomUUID()}`;
    const ended = await workosToken(issuer, subject, { sid: `session_a_${subject}` });
    const other = await workosToken(issuer, subject, { sid: `session_b_${subject}` });
    const before = await viewer(ended);
    expect(before.status).toBe(200);
    const event = workos.emit('session.revoked', { object: 'session', id: `session_a_${subject}`, user_id: subject, status: 'revoked' });
    expect(await workos.deliver(api.url, 'workos', event)).toMatchObject({ status: 200, text: '' });
    expect(await viewer(ended)).toMatchObject({ status: 401, reason: 'revoked' });
    expect((await viewer(other)).status).toBe(200);
    // WorkOS retries, the poll brings it again: 200, nothing more.
    expect((await workos.deliver(api.url, 'workos', event)).status).toBe(200);
    expect((await workos.deliver(api.url, 'workos', event, { t: Date.now() + 1000 })).status).toBe(200);
    const rows = await auditRows(event.id);
    expect(rows).toEqual([
      { action: 'sessions.revoked', actor_type: 'system', target_type: 'User', target_id: before.id, details: { via: 'workos', provider: 'workos', sid: `session_a_${subject}` } },
    ]);
  });
});

describe('the database unreachable', () => {
  it('503 with Retry-After, nothing applied; WorkOS\'s retry is applied once', async () => {
    const subject = `user_${randomUUID()}`;
    const token = await workosToken(issuer, subject);
    expect((await viewer(token)).status).toBe(200);
    const event = workos.emit('session.revoked', { id: `session_${subject}`, user_id: subject });
    down = true;
    let answer;
    try {
      answer = await workos.deliver(api.url, 'workos', event);
    } finally {
      down = false;
    }
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answer.text).not.toContain('session_');
    expect(await auditRows(event.id)).toHaveLength(0);
    expect((await viewer(token)).status).toBe(200);
    expect((await workos.deliver(api.url, 'workos', event)).status).toBe(200);
    expect((await workos.deliver(api.url, 'workos', event)).status).toBe(200);
    expect(await auditRows(event.id)).toHaveLength(1);
    expect(await viewer(token)).toMatchObject({ status: 401, reason: 'revoked' });
  });
});

describe('the secret', () => {
  it('never appears in an answer', async () => {
    const answer = await workos.deliver(api.url, 'workos', workos.emit('session.revoked', { id: 's' }), { secret: 'whsec_wrong' });
    expect(answer.text).not.toContain(WEBHOOK_SECRET);
  });
});
