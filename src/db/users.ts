// SQL of the users table. Every function takes the Queryable first (pool or transaction).
import type { User } from '../domain/types.js';
import type { Queryable } from './queryable.js';

export interface UserRow {
  id: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  /** Read by the queries that select them (COLUMNS); absent elsewhere. */
  given_name?: string | null;
  family_name?: string | null;
  created_at: Date;
  status: 'active' | 'suspended';
}

// Deleted users are tombstones: no lookup returns them (`and status <> 'deleted'`).
const COLUMNS = 'id, email, email_verified, name, given_name, family_name, created_at, status';

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    givenName: row.given_name ?? null,
    familyName: row.family_name ?? null,
    createdAt: new Date(row.created_at),
    status: row.status,
  };
}

export async function findUsersByIds(db: Queryable, ids: readonly string[]): Promise<User[]> {
  if (ids.length === 0) return [];
  // One id (the viewer, every request) skips the array parameter: measurably cheaper on PGlite.
  const rows =
    ids.length === 1
      ? await db.query<UserRow>(`select ${COLUMNS} from users where id = $1 and status <> 'deleted'`, [ids[0]])
      : await db.query<UserRow>(`select ${COLUMNS} from users where id = any($1::uuid[]) and status <> 'deleted'`, [ids]);
  return rows.map(toUser);
}

/** Whether a row (a user, or a deleted user's tombstone) holds this id. */
export async function userIdTaken(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('select 1 from users where id = $1', [id])).length > 0;
}

/** The user (never a tombstone) holding this verified email, locked for the rest of the transaction. */
export async function findUserByVerifiedEmailForUpdate(db: Queryable, email: string): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from users where email = $1 and email_verified and status <> 'deleted' for update`,
    [email],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

export async function insertUser(
  db: Queryable,
  user: { id: string; email: string | null; emailVerified: boolean; name: string | null },
): Promise<User> {
  const rows = await db.query<UserRow>(
    `insert into users (id, email, email_verified, name, last_seen_at) values ($1, $2, $3, $4, now())
     returning ${COLUMNS}`,
    [user.id, user.email, user.emailVerified, user.name],
  );
  return toUser(rows[0]!);
}

/**
 * Updates a user's profile from a later sign-in. The email is taken only when no other user
 * holds it verified (the partial unique index is the last word on a race); returns the row.
 */
export async function updateUserProfile(
  db: Queryable,
  id: string,
  profile: { email: string | null; emailVerified: boolean; name: string | null },
): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `update users u set
       name = coalesce($4, u.name),
       email = case when taken.exists then u.email else coalesce($2, u.email) end,
       email_verified = case
         when taken.exists or $2::text is null then u.email_verified
         when $2 = u.email then u.email_verified or $3
         else $3 end,
       updated_at = now()
     from (select exists (select 1 from users o where o.email = $2 and o.email_verified and o.id <> $1 and o.status <> 'deleted')) as taken(exists)
     where u.id = $1 and u.status <> 'deleted'
     returning u.id, u.email, u.email_verified, u.name, u.created_at, u.status`,
    [id, profile.email, profile.emailVerified, profile.name],
  );
  return rows[0] ? toUser(rows[0]) : null;
}
