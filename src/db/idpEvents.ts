// SQL of IdP events (migration 008): events applied once by id, per-target watermarks, and the
// Events API cursor with its lease (one replica polls at a time).
import type { Queryable } from './queryable.js';

export type EventTargetKind = 'user' | 'session' | 'membership';

/**
 * Claims the event for this transaction: true when it was never recorded. A concurrent delivery
 * of the same event (another replica, the poll) waits on the key and then finds it recorded.
 */
export async function recordEvent(
  db: Queryable,
  event: { issuer: string; id: string; type: string; createdAt: Date; outcome: string },
): Promise<boolean> {
  const rows = await db.query(
    `insert into idp_events (issuer, event_id, event_type, created_at, outcome) values ($1, $2, $3, $4, $5)
     on conflict (issuer, event_id) do nothing returning event_id`,
    [event.issuer, event.id, event.type, event.createdAt, event.outcome],
  );
  return rows.length === 1;
}

/** The outcome written when the event was recorded, once its effect is known. */
export async function setEventOutcome(db: Queryable, issuer: string, id: string, outcome: string): Promise<void> {
  await db.query('update idp_events set outcome = $3 where issuer = $1 and event_id = $2', [issuer, id, outcome]);
}

/**
 * Moves the target's watermark to this event when it is newer (by created_at, then id) than the
 * one held, locking the row for the rest of the transaction; false: an older event, nothing to do.
 */
export async function advanceWatermark(
  db: Queryable,
  target: { issuer: string; kind: EventTargetKind; key: string },
  event: { id: string; createdAt: Date },
): Promise<boolean> {
  const rows = await db.query(
    `insert into idp_event_watermarks as w (issuer, target_kind, target_key, created_at, event_id) values ($1, $2, $3, $4, $5)
     on conflict (issuer, target_kind, target_key) do update set created_at = excluded.created_at, event_id = excluded.event_id
       where (w.created_at, w.event_id) < (excluded.created_at, excluded.event_id)
     returning event_id`,
    [target.issuer, target.kind, target.key, event.createdAt, event.id],
  );
  return rows.length === 1;
}

export interface EventCursor {
  afterEvent: string | null;
  startedAt: Date;
}

/**
 * Takes the issuer's poll lease for `leaseSeconds` when it is free, expired or already this
 * holder's; creates the cursor (started at `startedAt`) on the first poll. Null: another replica
 * holds it.
 */
export async function takePollLease(db: Queryable, issuer: string, holder: string, leaseSeconds: number, startedAt: Date): Promise<EventCursor | null> {
  await db.query('insert into idp_event_cursors (issuer, started_at) values ($1, $2) on conflict (issuer) do nothing', [issuer, startedAt]);
  const rows = await db.query<{ after_event: string | null; started_at: Date }>(
    `update idp_event_cursors set lease_holder = $2, lease_until = now() + make_interval(secs => $3)
      where issuer = $1 and (lease_holder is null or lease_holder = $2 or lease_until is null or lease_until < now())
      returning after_event, started_at`,
    [issuer, holder, leaseSeconds],
  );
  const row = rows[0];
  return row === undefined ? null : { afterEvent: row.after_event, startedAt: new Date(row.started_at) };
}

/** Moves the cursor on (only while this holder has the lease); false when the lease was lost. */
export async function advanceCursor(db: Queryable, issuer: string, holder: string, afterEvent: string, leaseSeconds: number): Promise<boolean> {
  const rows = await db.query(
    `update idp_event_cursors set after_event = $3, polled_at = now(), lease_until = now() + make_interval(secs => $4)
      where issuer = $1 and lease_holder = $2 returning issuer`,
    [issuer, holder, afterEvent, leaseSeconds],
  );
  return rows.length === 1;
}

export async function releasePollLease(db: Queryable, issuer: string, holder: string): Promise<void> {
  await db.query(
    'update idp_event_cursors set lease_holder = null, lease_until = null, polled_at = now() where issuer = $1 and lease_holder = $2',
    [issuer, holder],
  );
}

/** Forgets events applied more than `days` ago (their webhooks' retries and the API's retention are over). */
export async function purgeOldEvents(db: Queryable, days: number): Promise<void> {
  await db.query('delete from idp_events where applied_at < now() - make_interval(days => $1)', [days]);
}
