// SQL of sessions (migration 009): the IdP sessions this service admitted, by (iss, sid, user),
// for User.sessions and revokeSession. Rows are written in batches by the session recorder
// (services/sessionRecorder.ts), never on a request's path.
import type { Queryable } from './queryable.js';

/** One sighting of a session, as the recorder batches it. */
export interface SessionSighting {
  /** The opaque id a new row takes (an existing row keeps its own). */
  id: string;
  userId: string;
  iss: string;
  sid: string;
  issuerName: string;
  seenAt: Date;
}

export interface SessionRow {
  id: string;
  seq: number;
  userId: string;
  iss: string;
  sid: string;
  issuerName: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
}

interface Row {
  id: string;
  seq: string | number;
  user_id: string;
  iss: string;
  sid: string;
  issuer_name: string;
  first_seen_at: Date;
  last_seen_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, seq, user_id, iss, sid, issuer_name, first_seen_at, last_seen_at, revoked_at';

function toSession(row: Row): SessionRow {
  return {
    id: row.id,
    seq: Number(row.seq),
    userId: row.user_id,
    iss: row.iss,
    sid: row.sid,
    issuerName: row.issuer_name,
    firstSeenAt: new Date(row.first_seen_at),
    lastSeenAt: new Date(row.last_seen_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

/** A session row a sighting was recorded in: its id, for the next stamp (stampSessionsSeen). */
export interface RecordedSession {
  id: string;
  iss: string;
  sid: string;
  userId: string;
}

/**
 * Records sightings in one statement, new sessions numbered in the order given (first seen first)
 * (one per (iss, sid, user) in a batch): a new session gets its first and last seen, a known one
 * moves its last seen on (never back). A session revoked already is recorded revoked; nothing is
 * recorded for a deleted user. Returns the rows written.
 */
export async function recordSessionsSeen(db: Queryable, sightings: readonly SessionSighting[]): Promise<RecordedSession[]> {
  if (sightings.length === 0) return [];
  const rows = await db.query<{ id: string; iss: string; sid: string; user_id: string }>(
    `insert into sessions (id, user_id, iss, sid, issuer_name, first_seen_at, last_seen_at, revoked_at)
     select s.id, s.user_id, s.iss, s.sid, s.issuer_name, s.seen_at, s.seen_at,
            (select r.revoked_at from session_revocations r where r.kind = 'session' and r.issuer = s.iss and r.subject = s.sid)
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) with ordinality
              as s(id, user_id, iss, sid, issuer_name, seen_at, ord)
      where exists (select 1 from users u where u.id = s.user_id and u.status <> 'deleted')
      order by s.ord
     on conflict (iss, sid, user_id) do update
       set first_seen_at = least(sessions.first_seen_at, excluded.first_seen_at),
           last_seen_at = greatest(sessions.last_seen_at, excluded.last_seen_at)
     returning id, iss, sid, user_id`,
    [
      sightings.map((s) => s.id),
      sightings.map((s) => s.userId),
      sightings.map((s) => s.iss),
      sightings.map((s) => s.sid),
      sightings.map((s) => s.issuerName),
      sightings.map((s) => s.seenAt.toISOString()),
    ],
  );
  return rows.map((row) => ({ id: row.id, iss: row.iss, sid: row.sid, userId: row.user_id }));
}

/**
 * Moves on (never back) the last seen of sessions recorded before, by row id: half the work of
 * recordSessionsSeen for each (one index lookup, no conflict check, no revocation or user
 * lookup), which the once-a-minute stamps of every active session add up to. Returns the ids
 * found; a row gone since (purged, its user deleted) is not.
 */
export async function stampSessionsSeen(db: Queryable, stamps: readonly { id: string; seenAt: Date }[]): Promise<Set<string>> {
  if (stamps.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    `update sessions set last_seen_at = greatest(sessions.last_seen_at, s.seen_at)
       from unnest($1::uuid[], $2::timestamptz[]) as s(id, seen_at)
      where sessions.id = s.id
      returning sessions.id`,
    [stamps.map((stamp) => stamp.id), stamps.map((stamp) => stamp.seenAt.toISOString())],
  );
  return new Set(rows.map((row) => row.id));
}

/**
 * A page of the user's sessions, newest first (by `seq`, after `beforeSeq` when given): those
 * seen, and those revoked, within `retentionSeconds`.
 */
export async function listSessionsOfUser(
  db: Queryable,
  userId: string,
  page: { beforeSeq: number | null; limit: number; retentionSeconds: number },
): Promise<SessionRow[]> {
  const rows = await db.query<Row>(
    `select ${COLUMNS} from sessions
      where user_id = $1 and ($2::bigint is null or seq < $2::bigint)
        and last_seen_at > now() - make_interval(secs => $3)
        and (revoked_at is null or revoked_at > now() - make_interval(secs => $3))
      order by seq desc limit $4`,
    [userId, page.beforeSeq, page.retentionSeconds, page.limit],
  );
  return rows.map(toSession);
}

/** The session with this opaque id, locked for the rest of the transaction; null when none. */
export async function lockSession(db: Queryable, id: string): Promise<SessionRow | null> {
  const rows = await db.query<Row>(`select ${COLUMNS} from sessions where id = $1 for update`, [id]);
  return rows[0] ? toSession(rows[0]) : null;
}

/** A deleted user's sessions go with them (lifecycle.ts eraseUser). */
export async function deleteSessionsOfUser(db: Queryable, userId: string): Promise<void> {
  await db.query('delete from sessions where user_id = $1', [userId]);
}

/**
 * Deletes what no list shows any more: sessions revoked, or last seen, more than
 * `retentionSeconds` ago, and any row of a deleted user (a sighting that raced the deletion).
 */
export async function purgeSessions(db: Queryable, retentionSeconds: number): Promise<void> {
  await db.query('delete from sessions where revoked_at < now() - make_interval(secs => $1)', [retentionSeconds]);
  await db.query('delete from sessions where last_seen_at < now() - make_interval(secs => $1)', [retentionSeconds]);
  await db.query(
    `delete from sessions where user_id in
       (select id from users where status = 'deleted' and deleted_at > now() - make_interval(secs => $1))`,
    [retentionSeconds],
  );
}
