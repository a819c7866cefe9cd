// SQL of the users table. Every function takes the Queryable first (pool or transaction).
import type { User } from '../domain/types.js';
import type { Queryable } from './queryable.js';

export interface UserRow {
  id: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  created_at: Date;
  status: 'active' | 'suspended';
  is_operator: boolean;
}

// Deleted users are tombstones: no lookup returns them (`and status <> 'deleted'`).
export const USER_COLUMNS = 'id, email, email_verified, name, given_name, family_name, created_at, status, is_operator';
const COLUMNS = USER_COLUMNS;

/** USER_COLUMNS qualified by a table alias (`u.id, u.email, …`). */
export function userColumnsOf(alias: string): string {
  return USER_COLUMNS.split(', ').map((column) => `${alias}.${column}`).join(', ');
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    emailVerified: row.email_verified,
    name: row.name,
    // Absent from a row selected without them (read as null), never undefined on a User.
    givenName: row.given_name ?? null,
    familyName: row.family_name ?? null,
    createdAt: new Date(row.created_at),
    status: row.status,
    isOperator: row.is_operator === true,
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

/** A user to insert; names absent are null. */
export interface NewUser {
  id: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  givenName?: string | null;
  familyName?: string | null;
}

export async function insertUser(db: Queryable, user: NewUser): Promise<User> {
  const rows = await db.query<UserRow>(
    `insert into users (id, email, email_verified, name, given_name, family_name, last_seen_at) values ($1, $2, $3, $4, $5, $6, now())
     returning ${COLUMNS}`,
    [user.id, user.email, user.emailVerified, user.name, user.givenName ?? null, user.familyName ?? null],
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
  profile: { email: string | null; emailVerified: boolean; name: string | null; givenName?: string | null; familyName?: string | null },
): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `update users u set
       name = coalesce($4, u.name),
       given_name = coalesce($5, u.given_name),
       family_name = coalesce($6, u.family_name),
       email = case when taken.exists then u.email else coalesce($2, u.email) end,
       email_verified = case
         when taken.exists or $2::text is null then u.email_verified
         when $2 = u.email then u.email_verified or $3
         else $3 end,
       updated_at = now()
     from (select exists (select 1 from users o where o.email = $2 and o.email_verified and o.id <> $1 and o.status <> 'deleted')) as taken(exists)
     where u.id = $1 and u.status <> 'deleted'
     returning ${userColumnsOf('u')}`,
    [id, profile.email, profile.emailVerified, profile.name, profile.givenName ?? null, profile.familyName ?? null],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Grants or revokes operator status (never on a tombstone); the row it leaves, null when no such user. */
export async function setUserOperator(db: Queryable, id: string, isOperator: boolean): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `update users set is_operator = $2, updated_at = now() where id = $1 and status <> 'deleted' returning ${COLUMNS}`,
    [id, isOperator],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Every operator, by email then id (`npm run operators -- list`). */
export async function findOperators(db: Queryable): Promise<User[]> {
  const rows = await db.query<UserRow>(`select ${COLUMNS} from users where is_operator and status <> 'deleted' order by email, id`);
  return rows.map(toUser);
}
