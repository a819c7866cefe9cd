// SQL of a user's lifecycle: status changes, and erasure (the user row stays as a tombstone
// with no email or name; identities, memberships, sessions and invitations to the email go).
import type { User } from '../domain/types.js';
import type { Queryable } from './queryable.js';
import { deleteSessionsOfUser } from './sessions.js';
import { toUser, USER_COLUMNS, type UserRow } from './users.js';

const COLUMNS = USER_COLUMNS;

export async function findSuspendedUserIds(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ id: string }>("select id from users where status = 'suspended'");
  return rows.map((row) => row.id);
}

/** Users deleted within the last `seconds` (their tokens' identity cache entries may be stale). */
export async function findDeletedSince(db: Queryable, seconds: number): Promise<{ userId: string; deletedAt: number }[]> {
  const rows = await db.query<{ id: string; deleted_at: Date }>(
    "select id, deleted_at from users where status = 'deleted' and deleted_at > now() - make_interval(secs => $1)",
    [seconds],
  );
  return rows.map((row) => ({ userId: row.id, deletedAt: new Date(row.deleted_at).getTime() }));
}

/** The user (not a tombstone), locked for the rest of the transaction; null when none. */
export async function lockUser(db: Queryable, id: string): Promise<User | null> {
  const rows = await db.query<UserRow>(`select ${COLUMNS} from users where id = $1 and status <> 'deleted' for update`, [id]);
  return rows[0] ? toUser(rows[0]) : null;
}

export async function setUserStatus(db: Queryable, id: string, status: 'active' | 'suspended'): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `update users set status = $2, updated_at = now() where id = $1 and status <> 'deleted' returning ${COLUMNS}`,
    [id, status],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** The organizations a user belongs to, with how many other members and other OWNERs each has. */
export async function findMembershipsWithCounts(
  db: Queryable,
  userId: string,
): Promise<{ organizationId: string; role: string; otherMembers: number; otherOwners: number }[]> {
  const rows = await db.query<{ organization_id: string; role: string; other_members: number; other_owners: number }>(
    `select m.organization_id, m.role,
            (select count(*) from memberships o where o.organization_id = m.organization_id and o.user_id <> $1)::int as other_members,
            (select count(*) from memberships o where o.organization_id = m.organization_id and o.user_id <> $1 and o.role = 'OWNER')::int as other_owners
       from memberships m where m.user_id = $1 order by m.organization_id`,
    [userId],
  );
  return rows.map((row) => ({ organizationId: row.organization_id, role: row.role, otherMembers: row.other_members, otherOwners: row.other_owners }));
}

export async function deleteOrganizations(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.query('delete from organizations where id = any($1::uuid[])', [ids]);
}

/**
 * Erases the user's personal data and leaves the tombstone: identities, memberships and sessions deleted,
 * email and name cleared, status `deleted`. Returns the deletion time (ms).
 */
export async function eraseUser(db: Queryable, id: string): Promise<number> {
  await db.query('delete from identities where user_id = $1', [id]);
  await db.query('delete from memberships where user_id = $1', [id]);
  await deleteSessionsOfUser(db, id);
  const rows = await db.query<{ deleted_at: Date }>(
    `update users set email = null, email_verified = false, name = null, given_name = null,
            family_name = null, is_operator = false, status = 'deleted', deleted_at = now(), updated_at = now(),
            last_seen_at = null
      where id = $1 returning deleted_at`,
    [id],
  );
  return new Date(rows[0]!.deleted_at).getTime();
}

/** Invitations to an erased email go with it. */
export async function deleteInvitationsTo(db: Queryable, email: string): Promise<void> {
  await db.query('delete from invitations where email = $1', [email]);
}

/**
 * Strips the erased user's email and name from audit rows: keys `email` and `name`, and any
 * top-level value equal to either, on rows about them, by them, or naming the email.
 */
export async function scrubAuditRows(db: Queryable, user: { id: string; email: string | null; name: string | null }): Promise<void> {
  await db.query("select set_config('identity.audit_scrub', 'on', true)");
  await db.query(
    `update audit_events a
        set details = coalesce((select jsonb_object_agg(key, value) from jsonb_each(a.details)
                                 where key not in ('email', 'name')
                                   and value not in (to_jsonb(coalesce($2::text, '')), to_jsonb(coalesce($3::text, '')))), '{}'::jsonb)
      where a.target_id = $1 or a.actor_id = $1 or ($2::text is not null and strpos(a.details::text, $2::text) > 0)`,
    [user.id, user.email, user.name],
  );
  await db.query("select set_config('identity.audit_scrub', 'off', true)");
}

/** The user an external identity is bound to, if any. */
export async function findUserIdByIdentity(db: Queryable, issuer: string, subject: string): Promise<string | null> {
  const rows = await db.query<{ user_id: string }>('select user_id from identities where issuer = $1 and subject = $2', [issuer, subject]);
  return rows[0]?.user_id ?? null;
}
