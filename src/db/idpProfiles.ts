// SQL of what an IdP event writes about a user beside the lifecycle (idp-events.md): the
// profile a `user.updated` event carries, decided beforehand by the identity rules (the user store
// calls it, so its cache moves on), and the removal of one identity the IdP deleted.
import type { User } from '../domain/types.js';
import type { Queryable } from './queryable.js';
import { toUser, type UserRow } from './users.js';

export interface IdpProfile {
  email: string | null;
  emailVerified: boolean;
  /** Null: the names stay as they are. */
  names: { name: string | null; givenName: string | null; familyName: string | null } | null;
}

/** Writes the profile; the row it leaves and whether any of its names changed; null when no such user. */
export async function writeIdpProfile(db: Queryable, id: string, profile: IdpProfile): Promise<{ user: User; namesChanged: boolean } | null> {
  const names = profile.names;
  const rows = await db.query<UserRow & { names_changed: boolean }>(
    `with old as (select name, given_name, family_name from users where id = $1)
     update users u set
       email = $2, email_verified = $3,
       name = case when $4 then $5 else u.name end,
       given_name = case when $4 then $6 else u.given_name end,
       family_name = case when $4 then $7 else u.family_name end,
       updated_at = now()
     from old
     where u.id = $1 and u.status <> 'deleted'
     returning u.id, u.email, u.email_verified, u.name, u.created_at, u.status,
       (old.name is distinct from u.name or old.given_name is distinct from u.given_name
        or old.family_name is distinct from u.family_name) as names_changed`,
    [id, profile.email, profile.emailVerified, names !== null, names?.name ?? null, names?.givenName ?? null, names?.familyName ?? null],
  );
  const row = rows[0];
  return row === undefined ? null : { user: toUser(row), namesChanged: row.names_changed };
}

/** How many identities the user holds. */
export async function countIdentities(db: Queryable, userId: string): Promise<number> {
  const rows = await db.query<{ n: number }>('select count(*)::int as n from identities where user_id = $1', [userId]);
  return rows[0]?.n ?? 0;
}

/** Deletes one identity (the IdP deleted that person); false when it was gone already. */
export async function deleteIdentity(db: Queryable, issuer: string, subject: string): Promise<boolean> {
  return (await db.query('delete from identities where issuer = $1 and subject = $2 returning id', [issuer, subject])).length === 1;
}

/** A removed (organization, user) pair that JIT must never create (membership_history, migration 003b). */
export async function blockJitMembership(db: Queryable, organizationId: string, userId: string): Promise<void> {
  await db.query('insert into membership_history (organization_id, user_id) values ($1, $2) on conflict do nothing', [organizationId, userId]);
}
