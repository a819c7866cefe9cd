// callers.md: "The warm path is the same as /graphql's: a warm token costs no database
// statement", and "a token that verifies but whose user cannot be resolved or admitted because
// the identity store … is unreachable: 503 with Retry-After, never active: false".
// Statements are counted by the driver's onQuery observer (as test/federation/batching.test.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import { ensureMembership } from '../../src/db/memberships.js';
import { insertOrganization } from '../../src/db/organizations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectNoLeak } from '../helpers/battery.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { eventually } from '../helpers/eventually.js';
import { introspect, postIntrospect, serviceToken } from './client.js';

let issuer: TestIssuer;
let database: TestDatabase;
let statements: string[] = [];
let api: TestApp;
let caller: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => statements.push(text) });
  api = await startTestApp({ issuers: [issuerConfig(issuer)], database: database.db });
  caller = await serviceToken(issuer, 'tokens:introspect');
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

const userToken = (claims: Record<string, unknown> = {}) =>
  issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, name: 'Warm', ...claims });

/** Statements sent while `work` runs (this file's app is the only user of its database). */
async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  statements = [];
  const result = await work();
  // The change listener's own round trips (PostgreSQL) are not the request's.
  const sent = statements.filter((text) => !/pg_notify/i.test(text));
  statements = [];
  return { result, statements: sent };
}

describe('a warm token', () => {
  it('costs no database statement, as a warm /graphql viewer does', async () => {
    const token = await userToken();
    const cold = await counted(() => introspect(api.url, caller, token));
    expect(cold.result['active']).toBe(true);
    // The first request provisioned the user and read its scopes.
    expect(cold.statements.length).toBeGreaterThan(0);
    const userId = cold.result['sub'] as string;
    const org = await insertOrganization(database.db, { id: randomUUID(), name: 'Warm Org' });
    await ensureMembership(database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'ADMIN' });
    // Scopes changed: read again once, then warm.
    const reread = await counted(() => introspect(api.url, caller, token));
    expect(reread.result['scope']).toBe(`user org:${org.id}:ADMIN`);
    // PostgreSQL: the change's own announcement arrives a moment later and drops what was just read.
    await eventually(async () => (await counted(() => introspect(api.url, caller, token))).statements.length === 0);
    for (let i = 0; i < 3; i += 1) {
      const warm = await counted(() => introspect(api.url, caller, token));
      expect(warm.result).toMatchObject({ active: true, sub: userId, scope: `user org:${org.id}:ADMIN`, name: 'Warm' });
      expect(warm.statements).toEqual([]);
    }
    const graphql = await counted(() => api.gql('{ viewer { id } }', { token }));
    expect(graphql.result.body.data.viewer.id).toBe(userId);
    expect(graphql.statements).toEqual([]);
  });

  it('a warm service token costs none either', async () => {
    const token = await serviceToken(issuer, 'users:read');
    await introspect(api.url, caller, token);
    const warm = await counted(() => introspect(api.url, caller, token));
    expect(warm.result).toMatchObject({ active: true, principal: 'service' });
    expect(warm.statements).toEqual([]);
  });
});

describe('two replicas (PostgreSQL: two pools; PGlite: one database object)', () => {
  it('a role changed through one is in the other\'s answer within a second, its warm scope dropped', async () => {
    const second = database.connection === null ? database.db : createPostgresDatabase({ ...database.connection, max: 2, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
    const replica = await startTestApp({ issuers: [issuerConfig(issuer)], database: second });
    try {
      const token = await userToken();
      const userId = (await introspect(api.url, caller, token))['sub'] as string;
      const org = await insertOrganization(database.db, { id: randomUUID(), name: 'Replicated' });
      const { membership } = await ensureMembership(database.db, { id: randomUUID(), organizationId: org.id, userId, role: 'MEMBER' });
      // Warm on the replica.
      await eventually(async () => (await introspect(replica.url, caller, token))['scope'] === `user org:${org.id}:MEMBER`);
      await introspect(replica.url, caller, token);
      // Changed through the first app's database: the replica hears it.
      await database.db.query(`update memberships set role = 'OWNER' where id = $1`, [membership.id]);
      const started = performance.now();
      await eventually(async () => (await introspect(replica.url, caller, token))['scope'] === `user org:${org.id}:OWNER`, { timeoutMs: 1000 });
      console.log(`replica saw the role change after ${(performance.now() - started).toFixed(0)} ms`);
    } finally {
      await replica.close();
      if (second !== database.db) await second.close();
    }
  });
});

describe('the identity store unreachable', () => {
  let down: TestApp;
  beforeAll(async () => {
    // A closed port: every statement fails to connect, quickly.
    const unreachable = createPostgresDatabase({ url: 'postgresql://identity:secret-password@127.0.0.1:1/identity', max: 2, connectTimeoutMs: 500, queryTimeoutMs: 600 });
    down = await startTestApp({ production: true, database: unreachable, issuers: [issuerConfig(issuer)] });
    return async () => {
      await down.close();
      await unreachable.close();
    };
  });

  it('a user token that verifies: 503 with Retry-After, never active: false', async () => {
    const token = await userToken();
    const response = await postIntrospect(down.url, [['token', token]], `Bearer ${caller}`);
    expect(response.status).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(response.text).not.toContain('active');
    expectNoLeak(response.text, [token, 'secret-password', '127.0.0.1:1']);
  });

  it('a token that fails verification is inactive whatever the database\'s state', async () => {
    const forged = await issuer.sign({ sub: 'auth0|forged', aud: AUDIENCE, email: 'f@example.com' }, { key: 'other' });
    expect(await introspect(down.url, caller, forged)).toEqual({ active: false });
    expect(await introspect(down.url, caller, 'garbage')).toEqual({ active: false });
  });

  it('a service token needs no store: answered', async () => {
    expect(await introspect(down.url, caller, await serviceToken(issuer, 'users:read'))).toMatchObject({ active: true, principal: 'service' });
  });
});
