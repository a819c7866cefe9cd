// emailTrust "ssoDomain" held in memory (services/ssoEmailTrust.ts): a warm token is settled
// without a statement; a binding change drops what is held, in this process at once (the feed)
// and on another replica when the database announces it (migration 012, PostgreSQL).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleFeed } from '../../src/db/lifecycleFeed.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { settleSsoDomainTrust, vouchedBySsoDomain } from '../../src/domain/ssoDomainTrust.js';
import type { UserClaims } from '../../src/domain/types.js';
import { createSsoEmailTrust } from '../../src/services/ssoEmailTrust.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';

let database: TestDatabase;
let statements = 0;
beforeAll(async () => {
  database = await openTestDatabase({ onQuery: () => void (statements += 1) });
});
afterAll(() => database?.close());

function pending(email: string, org: string, overrides: Partial<UserClaims> = {}): UserClaims {
  return Object.freeze({
    provider: 'azure', issuer: 'https://azure.example/', subject: `waad|${randomUUID()}`, email, emailVerified: false,
    name: null, givenName: null, familyName: null, externalOrganizationId: org, impersonator: null,
    expiresAt: Math.floor(Date.now() / 1000) + 600, issuedAt: Math.floor(Date.now() / 1000), sessionId: null,
    emailTrustPending: true as const, ...overrides,
  });
}

async function bind(db: Database, issuerName: string, domains: string[]): Promise<{ organizationId: string; external: string }> {
  const organizationId = randomUUID();
  const external = `org_${randomUUID()}`;
  await db.query('insert into organizations (id, name) values ($1, $2)', [organizationId, 'Corp']);
  await db.query('insert into organization_sso (organization_id, issuer_name, external_organization_id) values ($1, $2, $3)', [organizationId, issuerName, external]);
  for (const domain of domains) await db.query('insert into organization_domains (domain, organization_id) values ($1, $2)', [domain, organizationId]);
  return { organizationId, external };
}

describe('the ssoDomain decision (pure)', () => {
  it('needs the domain among the binding domains, exactly', () => {
    expect(vouchedBySsoDomain('ada@corp.example', new Set(['corp.example']))).toBe(true);
    expect(vouchedBySsoDomain('ada@mail.corp.example', new Set(['corp.example']))).toBe(false);
    expect(vouchedBySsoDomain('ada@corp.example', new Set())).toBe(false);
    expect(vouchedBySsoDomain('ada@corp.example', undefined)).toBe(false);
  });

  it('leaves claims that are not pending as they are (the same object)', () => {
    const claims = { ...pending('a@corp.example', 'org_1') };
    delete claims.emailTrustPending;
    expect(settleSsoDomainTrust(claims, new Set(['corp.example']))).toBe(claims);
    const settled = settleSsoDomainTrust(pending('a@corp.example', 'org_1'), new Set(['corp.example']));
    expect(settled).toMatchObject({ emailVerified: true });
    expect('emailTrustPending' in settled).toBe(false);
  });
});

describe('bindings held in memory', () => {
  it('a warm token is settled from memory: no promise, no statement, the same object each time', async () => {
    const { external } = await bind(database.db, 'azure', ['corp-a.example']);
    const feed = createLifecycleFeed();
    const trust = createSsoEmailTrust({ db: database.db, feed, issuerNames: ['azure'] });
    const claims = pending('ada@corp-a.example', external);
    expect(trust.peek(claims)).toBeUndefined();
    const first = await trust.settle(claims);
    expect(first.emailVerified).toBe(true);
    const before = statements;
    const warm = trust.peek(claims);
    expect(warm).toBe(first);
    for (let i = 0; i < 100; i += 1) trust.peek(claims);
    // Another token of the same organization: memory too.
    expect(trust.peek(pending('bob@elsewhere.example', external))?.emailVerified).toBe(false);
    expect(statements - before).toBe(0);
    trust.close();
  });

  it("a change published on this process's feed drops the bindings; the next settlement reads them again", async () => {
    const { organizationId, external } = await bind(database.db, 'azure', ['corp-b.example']);
    const feed = createLifecycleFeed();
    const trust = createSsoEmailTrust({ db: database.db, feed, issuerNames: ['azure'] });
    const claims = pending('ada@corp-b.example', external);
    expect((await trust.settle(claims)).emailVerified).toBe(true);
    await database.db.query('delete from organization_domains where organization_id = $1', [organizationId]);
    feed.publish({ type: 'sso' });
    expect(trust.peek(claims)).toBeUndefined();
    expect((await trust.settle(claims)).emailVerified).toBe(false);
    trust.close();
  });

  it('only the issuers under ssoDomain are loaded; another issuer with the same org_id is not vouched for', async () => {
    const { external } = await bind(database.db, 'plain', ['corp-c.example']);
    const trust = createSsoEmailTrust({ db: database.db, feed: createLifecycleFeed(), issuerNames: ['azure'] });
    expect((await trust.settle(pending('ada@corp-c.example', external))).emailVerified).toBe(false);
    trust.close();
  });

  it.runIf(databaseKind === 'postgres')('another replica drops its bindings when the database announces a change (within 1 s)', async () => {
    const replicaDb = createPostgresDatabase({ ...database.connection!, max: 4, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
    const replicaFeed = createLifecycleFeed();
    const stop = replicaDb.userChanges!.onLifecycle({ onChange: replicaFeed.publish, onRestart: replicaFeed.restart });
    try {
      await eventually(() => replicaDb.userChanges!.listening);
      const { organizationId, external } = await bind(database.db, 'azure', ['corp-d.example']);
      const replica = createSsoEmailTrust({ db: replicaDb, feed: replicaFeed, issuerNames: ['azure'] });
      const claims = pending('ada@corp-d.example', external);
      expect((await replica.settle(claims)).emailVerified).toBe(true);
      expect(replica.peek(claims)?.emailVerified).toBe(true);
      // Unbound on the first replica, with nothing published to the replica's feed by hand.
      const started = performance.now();
      await database.db.query('delete from organization_domains where organization_id = $1', [organizationId]);
      await eventually(() => replica.peek(claims) === undefined, { timeoutMs: 1000 });
      console.log(`replica dropped its SSO bindings ${(performance.now() - started).toFixed(0)} ms after the commit`);
      expect((await replica.settle(claims)).emailVerified).toBe(false);
      replica.close();
    } finally {
      stop();
      await replicaDb.close();
    }
  });
});
