// SQL of `npm run import`, a few statements per batch whatever its size: what the database holds
// about the batch's keys, and its rows written as multi-row statements over arrays (unnest).
// Races with sign-ins: a unique violation fails the batch's transaction; it is planned again.
// Races with a deletion: the update's guard, or the refusal of rows naming a tombstone
// (migration 006, foreign_key_violation), fails it too, and the plan then skips the line.
import type { BatchWrites, ExistingUser, Snapshot } from '../import/plan.js';
import { identityKey, membershipKey } from '../import/plan.js';
import type { ImportRecord } from '../import/record.js';
import type { Queryable } from './queryable.js';
import type { UserRow } from './users.js';

/** A user row as an import reads it: tombstones included. */
type ImportedUserRow = Omit<UserRow, 'created_at' | 'status' | 'is_operator'> & { status: UserRow['status'] | 'deleted' };

const toExisting = (row: ImportedUserRow): ExistingUser => ({
  id: row.id,
  email: row.email,
  emailVerified: row.email_verified,
  name: row.name,
  givenName: row.given_name,
  familyName: row.family_name,
  deleted: row.status === 'deleted',
});

/** Reads what the database holds about these lines' ids, emails, identities and organizations. */
export async function loadSnapshot(db: Queryable, records: readonly ImportRecord[]): Promise<Snapshot> {
  const issuers: string[] = [];
  const subjects: string[] = [];
  const emails = new Set<string>();
  const organizationIds = new Set<string>();
  const userIds = new Set<string>();
  for (const record of records) {
    userIds.add(record.id);
    // Unverified lines too: one meeting a verified holder is skipped (email_not_verified).
    if (record.email !== null) emails.add(record.email);
    for (const identity of record.identities) {
      issuers.push(identity.issuer);
      subjects.push(identity.subject);
    }
    for (const membership of record.memberships) organizationIds.add(membership.organizationId);
  }

  const identityHolders = new Map<string, string>();
  if (issuers.length > 0) {
    const rows = await db.query<{ issuer: string; subject: string; user_id: string }>(
      `select i.issuer, i.subject, i.user_id from identities i
         join unnest($1::text[], $2::text[]) as k(issuer, subject) on i.issuer = k.issuer and i.subject = k.subject`,
      [issuers, subjects],
    );
    for (const row of rows) {
      identityHolders.set(identityKey(row.issuer, row.subject), row.user_id);
      userIds.add(row.user_id);
    }
  }
  const verifiedEmailHolders = new Map<string, string>();
  if (emails.size > 0) {
    const rows = await db.query<{ id: string; email: string }>(
      "select id, email from users where email = any($1::text[]) and email_verified and status <> 'deleted'",
      [[...emails]],
    );
    for (const row of rows) {
      verifiedEmailHolders.set(row.email, row.id);
      userIds.add(row.id);
    }
  }
  const users = new Map<string, ExistingUser>();
  // Tombstones included: a line naming one is skipped (reason `deleted`), never completed.
  const rows = await db.query<ImportedUserRow>('select id, email, email_verified, name, given_name, family_name, status from users where id = any($1::uuid[])', [[...userIds]]);
  for (const row of rows) users.set(row.id, toExisting(row));

  const memberships = new Set<string>();
  const organizations = new Set<string>();
  if (organizationIds.size > 0) {
    const found = await db.query<{ id: string }>('select id from organizations where id = any($1::uuid[])', [[...organizationIds]]);
    for (const row of found) organizations.add(row.id);
    if (users.size > 0) {
      const held = await db.query<{ organization_id: string; user_id: string }>(
        // Every pair that ever had a membership: one removed or left since is not re-created
        // (after the move the database is the only source of membership, as for JIT).
        'select organization_id, user_id from membership_history where user_id = any($1::uuid[]) and organization_id = any($2::uuid[])',
        [[...users.keys()], [...organizations]],
      );
      for (const row of held) memberships.add(membershipKey(row.organization_id, row.user_id));
    }
  }
  return { users, identityHolders, verifiedEmailHolders, memberships, organizations };
}

/** Thrown when a completed user changed between the snapshot and the write: plan again. */
export class ChangedMeanwhile extends Error {}

/** Writes a batch's rows; call inside a transaction (the batch is one unit). */
export async function writeBatch(db: Queryable, writes: BatchWrites): Promise<void> {
  const { newUsers, userUpdates, identities, memberships, audit } = writes;
  if (newUsers.length > 0) {
    await db.query(
      `insert into users (id, email, email_verified, name, given_name, family_name, created_at, updated_at)
       select id, email, email_verified, name, given_name, family_name, coalesce(created_at, now()), now()
         from unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
              as t(id, email, email_verified, name, created_at, given_name, family_name)`,
      [
        newUsers.map((u) => u.id),
        newUsers.map((u) => u.email),
        newUsers.map((u) => u.emailVerified),
        newUsers.map((u) => u.name),
        newUsers.map((u) => u.createdAt?.toISOString() ?? null),
        newUsers.map((u) => u.givenName),
        newUsers.map((u) => u.familyName),
      ],
    );
  }
  if (userUpdates.length > 0) {
    const rows = await db.query(
      `update users u set email = t.email, email_verified = t.email_verified, name = t.name,
              given_name = t.given_name, family_name = t.family_name, updated_at = now()
         from unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::boolean[], $7::text[],
                     $8::text[], $9::text[], $10::text[], $11::text[])
              as t(id, email, email_verified, name, old_email, old_email_verified, old_name,
                   given_name, family_name, old_given_name, old_family_name)
        where u.id = t.id and u.status <> 'deleted' and u.email is not distinct from t.old_email
          and u.email_verified = t.old_email_verified and u.name is not distinct from t.old_name
          and u.given_name is not distinct from t.old_given_name and u.family_name is not distinct from t.old_family_name
        returning u.id`,
      [
        userUpdates.map((u) => u.id),
        userUpdates.map((u) => u.after.email),
        userUpdates.map((u) => u.after.emailVerified),
        userUpdates.map((u) => u.after.name),
        userUpdates.map((u) => u.before.email),
        userUpdates.map((u) => u.before.emailVerified),
        userUpdates.map((u) => u.before.name),
        userUpdates.map((u) => u.after.givenName),
        userUpdates.map((u) => u.after.familyName),
        userUpdates.map((u) => u.before.givenName),
        userUpdates.map((u) => u.before.familyName),
      ],
    );
    if (rows.length !== userUpdates.length) throw new ChangedMeanwhile();
  }
  if (identities.length > 0) {
    await db.query(
      `insert into identities (id, user_id, provider, issuer, subject, email, email_verified, name, given_name, family_name)
       select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::text[], $10::text[])`,
      [
        identities.map((i) => i.id),
        identities.map((i) => i.userId),
        identities.map((i) => i.provider),
        identities.map((i) => i.issuer),
        identities.map((i) => i.subject),
        identities.map((i) => i.email),
        identities.map((i) => i.emailVerified),
        identities.map((i) => i.name),
        identities.map((i) => i.givenName),
        identities.map((i) => i.familyName),
      ],
    );
  }
  if (memberships.length > 0) {
    // A sign-in may have added the membership meanwhile (it stays as it is, and no audit row),
    // or it may have been added and removed since the snapshot: not re-created either.
    await db.query(
      `with added as (
         insert into memberships (id, organization_id, user_id, role)
         select m.* from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) as m (id, organization_id, user_id, role)
          where not exists (select 1 from membership_history h where h.organization_id = m.organization_id and h.user_id = m.user_id)
         on conflict (organization_id, user_id) do nothing
         returning id, organization_id, user_id, role
       )
       insert into audit_events (actor_type, action, target_type, target_id, organization_id, details)
       select 'system', 'membership.added', 'Membership', id, organization_id,
              jsonb_build_object('userId', user_id, 'role', role, 'via', 'import')
         from added`,
      [memberships.map((m) => m.id), memberships.map((m) => m.organizationId), memberships.map((m) => m.userId), memberships.map((m) => m.role)],
    );
  }
  if (audit.length > 0) {
    await db.query(
      `insert into audit_events (actor_type, action, target_type, target_id, organization_id, details)
       select 'system', action, target_type, target_id, organization_id, details
         from unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::jsonb[]) as t(action, target_type, target_id, organization_id, details)`,
      [audit.map((a) => a.action), audit.map((a) => a.targetType), audit.map((a) => a.targetId), audit.map((a) => a.organizationId), audit.map((a) => JSON.stringify(a.details))],
    );
  }
}
