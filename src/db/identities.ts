// SQL of the identities table: (issuer, subject) → user, bound once and for good.
// A deleted user's tombstone holds no identity (erased with it; migration 006 refuses new ones),
// so a lookup by identity never meets a tombstone.
import type { ExternalIdentity } from '../domain/types.js';
import type { Queryable } from './queryable.js';
import { toUser, type UserRow } from './users.js';
import type { User } from '../domain/types.js';

interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  issuer: string;
  subject: string;
}

export function toIdentity(row: IdentityRow): ExternalIdentity {
  return { id: row.id, userId: row.user_id, provider: row.provider, issuer: row.issuer, subject: row.subject };
}

export interface BoundIdentity {
  identityId: string;
  /** The claims last seen on this identity, to notice a change. */
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  lastSeenAt: Date;
  user: User;
}

/** The identity (issuer, subject) with its user, or null when it has never signed in. */
export async function findIdentityWithUser(db: Queryable, issuer: string, subject: string): Promise<BoundIdentity | null> {
  const rows = await db.query<UserRow & { identity_id: string; i_email: string | null; i_email_verified: boolean; i_name: string | null; i_last_seen_at: Date }>(
    `select i.id as identity_id, i.email as i_email, i.email_verified as i_email_verified, i.name as i_name,
            i.last_seen_at as i_last_seen_at,
            u.id, u.email, u.email_verified, u.name, u.created_at, u.status, u.is_operator
       from identities i join users u on u.id = i.user_id
      where i.issuer = $1 and i.subject = $2`,
    [issuer, subject],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    identityId: row.identity_id,
    email: row.i_email,
    emailVerified: row.i_email_verified,
    name: row.i_name,
    lastSeenAt: new Date(row.i_last_seen_at),
    user: toUser(row),
  };
}

/**
 * Stamps later sign-ins whose claims are those recorded last time (nothing else to write), in
 * one statement; returns the identities found.
 */
export async function stampIdentitiesSeen(
  db: Queryable,
  identities: readonly { issuer: string; subject: string }[],
): Promise<{ issuer: string; subject: string }[]> {
  const rows = await db.query<{ issuer: string; subject: string }>(
    `update identities i set last_seen_at = now()
       from unnest($1::text[], $2::text[]) as seen(issuer, subject)
      where i.issuer = seen.issuer and i.subject = seen.subject
      returning i.issuer, i.subject`,
    [identities.map((identity) => identity.issuer), identities.map((identity) => identity.subject)],
  );
  return rows;
}

/** Records the claims of a later sign-in on the identity. */
export async function updateIdentitySeen(
  db: Queryable,
  identityId: string,
  claims: { email: string | null; emailVerified: boolean; name: string | null },
): Promise<void> {
  await db.query(
    'update identities set email = $2, email_verified = $3, name = $4, last_seen_at = now() where id = $1',
    [identityId, claims.email, claims.emailVerified, claims.name],
  );
}

export async function findIdentitiesByUserIds(db: Queryable, userIds: readonly string[]): Promise<ExternalIdentity[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<IdentityRow>(
    'select id, user_id, provider, issuer, subject from identities where user_id = any($1::uuid[]) order by created_at, id',
    [userIds],
  );
  return rows.map(toIdentity);
}
