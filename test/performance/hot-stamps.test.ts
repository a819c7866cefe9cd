// Last-seen stamps (identities and sessions, once a minute each while they are active) are
// heap-only (HOT) updates: room on the page (fillfactor), no index on the stamped column
// (migration 013). An index on last_seen_at, or full pages, would make every stamp write index
// entries again, which the rotating-users bench pays for (bench/RESULTS.md, 2026-12-07 20:10).
// Counted by PostgreSQL itself, within the transaction that stamps (pg_stat_get_xact_*: no wait
// for the statistics to be flushed), on PGlite and PostgreSQL alike.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/queryable.js';
import { stampIdentitiesSeen } from '../../src/db/identities.js';
import { recordSessionsSeen, stampSessionsSeen, type SessionSighting } from '../../src/db/sessions.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const COUNT = 400;

async function updates(tx: Queryable, table: string): Promise<{ all: number; hot: number }> {
  const [row] = await tx.query<{ all: string; hot: string }>(
    `select pg_stat_get_xact_tuples_updated($1::regclass) as all, pg_stat_get_xact_tuples_hot_updated($1::regclass) as hot`,
    [table],
  );
  return { all: Number(row!.all), hot: Number(row!.hot) };
}

describe('last-seen stamps', () => {
  it('are heap-only updates: stamping identities and sessions again writes no index entry', async () => {
    const issuer = `https://idp-${randomUUID()}.test/`;
    const users = Array.from({ length: COUNT }, () => randomUUID());
    const sighting = (i: number, seenAt: Date): SessionSighting => ({ id: randomUUID(), userId: users[i]!, iss: issuer, sid: `sid-${i}`, issuerName: 'test', seenAt });
    // Rows as sign-ins leave them: committed, packed as the tables' fillfactor allows.
    await database.db.query(`insert into users (id, email, email_verified, name) select id, null, false, null from unnest($1::uuid[]) as u(id)`, [users]);
    await database.db.query(
      `insert into identities (id, user_id, provider, issuer, subject)
       select gen_random_uuid(), u.id, 'test', $2, 'sub-' || (u.ord - 1) from unnest($1::uuid[]) with ordinality as u(id, ord)`,
      [users, issuer],
    );
    const recorded = await recordSessionsSeen(database.db, users.map((_, i) => sighting(i, new Date(Date.now() - 120_000))));
    expect(recorded).toHaveLength(COUNT);
    const rowOf = new Map(recorded.map((row) => [row.sid, row.id]));
    // A minute on, a tenth of them back (every page holds some), each stamped, and another tenth
    // stamped by row id (a replica that recorded them), in one transaction that counts its own updates.
    const back = users.map((_, i) => i).filter((i) => i % 10 === 0);
    const backById = users.map((_, i) => i).filter((i) => i % 10 === 5);
    const counted = await database.db.transaction(async (tx) => {
      expect(await recordSessionsSeen(tx, back.map((i) => sighting(i, new Date())))).toHaveLength(back.length);
      expect(await stampSessionsSeen(tx, backById.map((i) => ({ id: rowOf.get(`sid-${i}`)!, seenAt: new Date() })))).toHaveProperty('size', backById.length);
      expect(await stampIdentitiesSeen(tx, back.map((i) => ({ issuer, subject: `sub-${i}` })))).toHaveLength(back.length);
      return { identities: await updates(tx, 'identities'), sessions: await updates(tx, 'sessions') };
    });
    for (const [table, { all, hot }] of Object.entries(counted)) {
      expect(all, table).toBe(table === 'sessions' ? back.length + backById.length : back.length);
      // Full pages would leave only the last page's rows HOT; an index on the column, none.
      expect(hot, table).toBe(all);
    }
  });
});
