// Migration 003b: membership_history is filled from the memberships and the audit log of
// before it (so nobody removed earlier comes back at their next sign-in), then kept by a
// trigger on every membership insert, whatever code path creates it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

const ALL = readMigrations();
let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase({ migrations: ALL.filter((m) => m.name < '003b') });
});
afterAll(async () => {
  await database?.close();
});

async function history(organizationId: string): Promise<string[]> {
  const rows = await database.db.query<{ user_id: string }>('select user_id from membership_history where organization_id = $1', [organizationId]);
  return rows.map((r) => r.user_id).sort();
}

describe('membership_history', () => {
  it('is backfilled from current members and members the audit log shows added, then kept by every insert', async () => {
    const [member, departed, later] = [randomUUID(), randomUUID(), randomUUID()];
    const org = randomUUID();
    const db = database.db;
    for (const id of [member, departed, later]) await db.query('insert into users (id, email) values ($1, $2)', [id, `${id}@example.com`]);
    await db.query("insert into organizations (id, name) values ($1, 'Before')", [org]);
    await db.query("insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, 'OWNER')", [randomUUID(), org, member]);
    const added = (userId: string) =>
      db.query(
        "insert into audit_events (actor_type, action, target_type, target_id, organization_id, details) values ('system', 'membership.added', 'Membership', $1, $2, $3::jsonb)",
        [randomUUID(), org, JSON.stringify({ userId })],
      );
    await added(departed);
    await added('not-a-uuid');
    await added(randomUUID());

    expect(await migrate(db, ALL)).toEqual(ALL.filter((m) => m.name >= '003b').map((m) => m.name));
    expect(await history(org)).toEqual([member, departed].sort());

    await db.query("insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, 'MEMBER')", [randomUUID(), org, later]);
    await db.query('delete from memberships where organization_id = $1', [org]);
    expect(await history(org)).toEqual([member, departed, later].sort());
  });
});
