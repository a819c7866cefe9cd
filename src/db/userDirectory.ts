// SQL of read-only user lookups for services: by email, a prefix search with keyset pagination,
// and last-seen times. Tombstones (deleted users) are never returned.
import { asciiLowerCase } from '../domain/email.js';
import type { User } from '../domain/types.js';
import type { Queryable } from './queryable.js';
import { toUser, type UserRow } from './users.js';

const COLUMNS = 'id, email, email_verified, name, created_at, status, is_operator';

/** The user holding this (normalised) email, a verified holder first; null when none. */
export async function findUserByEmail(db: Queryable, email: string): Promise<User | null> {
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from users where email = $1 and status <> 'deleted' order by email_verified desc, created_at, id limit 1`,
    [email],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** `%` and `_` are LIKE wildcards; a search for them means the characters. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// Lower-cases `A`-`Z` only, as emails are stored: lower() depends on the database's locale (and
// may fold the Kelvin sign into `k`). The expression of the index users_name_ascii_prefix_idx.
const ASCII_LOWER_NAME = "translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";

/**
 * Users ordered by id after `afterId`, whose email or name starts with `query` (`A`-`Z` matched
 * case-insensitively; null: everyone). Returns up to `limit` rows.
 */
export async function searchUsers(db: Queryable, options: { query: string | null; afterId: string | null; limit: number }): Promise<User[]> {
  const prefix = options.query === null ? null : likePrefix(asciiLowerCase(options.query));
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from users
      where status <> 'deleted'
        and ($1::text is null or email like $1 or ${ASCII_LOWER_NAME} like $1)
        and ($2::uuid is null or id > $2::uuid)
      order by id limit $3`,
    [prefix, options.afterId, options.limit],
  );
  return rows.map(toUser);
}

/** When each user was last seen: the latest of the user's and its identities' stamps. */
export async function findLastSeen(db: Queryable, userIds: readonly string[]): Promise<Map<string, Date | null>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.query<{ id: string; last_seen_at: Date | null }>(
    `select u.id, greatest(u.last_seen_at, (select max(i.last_seen_at) from identities i where i.user_id = u.id)) as last_seen_at
       from users u where u.id = any($1::uuid[])`,
    [userIds],
  );
  return new Map(rows.map((row) => [row.id, row.last_seen_at === null ? null : new Date(row.last_seen_at)]));
}
