// SQL of opaque_session_acceptances (migration 006): when this service first accepted an opaque
// session whose introspection answer carries no `iat`, by the token's digest (never the token).
// One row per session for every replica, so all of them compare revocations with the same time.
import type { Queryable } from './queryable.js';

/**
 * Records that the session with this digest is accepted now, and returns when it was first
 * accepted (ms; the database's clock, as revocations'). The first acceptance is written once and
 * never moves: concurrent first acceptances on several replicas converge on the one row the
 * primary key lets in (`on conflict` waits for it). Each later acceptance keeps the row for
 * `retentionSeconds` more.
 */
export async function recordSessionAcceptance(db: Queryable, digest: string, retentionSeconds: number): Promise<number> {
  const rows = await db.query<{ accepted_at: Date }>(
    `insert into opaque_session_acceptances (digest, accepted_at, expires_at)
     values ($1, now(), now() + make_interval(secs => $2))
     on conflict (digest) do update set expires_at = greatest(opaque_session_acceptances.expires_at, excluded.expires_at)
     returning accepted_at`,
    [digest, retentionSeconds],
  );
  return new Date(rows[0]!.accepted_at).getTime();
}

/** Deletes the rows of sessions not accepted for `retentionSeconds`. */
export async function purgeExpiredAcceptances(db: Queryable): Promise<void> {
  await db.query('delete from opaque_session_acceptances where expires_at < now()');
}
