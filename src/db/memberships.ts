// SQL of the memberships table: who belongs to which organization, with which role.
import type { Membership, MembershipRole } from '../domain/types.js';
import type { Queryable } from './queryable.js';

interface MembershipRow {
  id: string;
  organization_id: string;
  user_id: string;
  role: MembershipRole;
  created_at: Date;
}

const COLUMNS = 'id, organization_id, user_id, role, created_at';

export function toMembership(row: MembershipRow): Membership {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    createdAt: new Date(row.created_at),
  };
}

export async function findMembershipsByIds(db: Queryable, ids: readonly string[]): Promise<Membership[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<MembershipRow>(`select ${COLUMNS} from memberships where id = any($1::uuid[])`, [ids]);
  return rows.map(toMembership);
}

export async function findMembershipsByUserIds(db: Queryable, userIds: readonly string[]): Promise<Membership[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<MembershipRow>(
    `select ${COLUMNS} from memberships where user_id = any($1::uuid[]) order by created_at, id`,
    [userIds],
  );
  return rows.map(toMembership);
}

export async function findMembershipsByOrganizationIds(db: Queryable, organizationIds: readonly string[]): Promise<Membership[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db.query<MembershipRow>(
    `select ${COLUMNS} from memberships where organization_id = any($1::uuid[]) order by created_at, id`,
    [organizationIds],
  );
  return rows.map(toMembership);
}

/** Of `userIds`, those who share at least one organization with `viewerId`. */
export async function findUsersSharingOrganization(db: Queryable, viewerId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db.query<{ user_id: string }>(
    `select distinct other.user_id
       from memberships mine join memberships other on other.organization_id = mine.organization_id
      where mine.user_id = $1 and other.user_id = any($2::uuid[])`,
    [viewerId, userIds],
  );
  return new Set(rows.map((r) => r.user_id));
}

/**
 * Ensures a membership exists; an existing one keeps its role (the database, not a token, is
 * the source of roles). Returns the membership and whether this call created it.
 */
export async function ensureMembership(
  db: Queryable,
  membership: { id: string; organizationId: string; userId: string; role: MembershipRole },
): Promise<{ membership: Membership; created: boolean }> {
  const inserted = await db.query<MembershipRow>(
    `insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, $4)
     on conflict (organization_id, user_id) do nothing
     returning ${COLUMNS}`,
    [membership.id, membership.organizationId, membership.userId, membership.role],
  );
  if (inserted[0]) return { membership: toMembership(inserted[0]), created: true };
  const existing = await db.query<MembershipRow>(
    `select ${COLUMNS} from memberships where organization_id = $1 and user_id = $2`,
    [membership.organizationId, membership.userId],
  );
  return { membership: toMembership(existing[0]!), created: false };
}

/** Inserts a membership; null when the user is already a member (the unique key decides). */
export async function insertMembership(
  db: Queryable,
  membership: { id: string; organizationId: string; userId: string; role: MembershipRole },
): Promise<Membership | null> {
  const rows = await db.query<MembershipRow>(
    `insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, $4)
     on conflict (organization_id, user_id) do nothing
     returning ${COLUMNS}`,
    [membership.id, membership.organizationId, membership.userId, membership.role],
  );
  return rows[0] ? toMembership(rows[0]) : null;
}

export async function findMembership(db: Queryable, organizationId: string, userId: string): Promise<Membership | null> {
  const rows = await db.query<MembershipRow>(
    `select ${COLUMNS} from memberships where organization_id = $1 and user_id = $2`,
    [organizationId, userId],
  );
  return rows[0] ? toMembership(rows[0]) : null;
}

/** How many OWNERs an organization has. Read under the organization lock to be current. */
export async function countOwners(db: Queryable, organizationId: string): Promise<number> {
  const rows = await db.query<{ owners: number }>(
    "select count(*)::int as owners from memberships where organization_id = $1 and role = 'OWNER'",
    [organizationId],
  );
  return rows[0]?.owners ?? 0;
}

export async function updateMembershipRole(db: Queryable, id: string, role: MembershipRole): Promise<Membership | null> {
  const rows = await db.query<MembershipRow>(
    `update memberships set role = $2, updated_at = now() where id = $1 returning ${COLUMNS}`,
    [id, role],
  );
  return rows[0] ? toMembership(rows[0]) : null;
}

/** Deletes a membership; false when it was already gone. */
export async function deleteMembership(db: Queryable, id: string): Promise<boolean> {
  const rows = await db.query('delete from memberships where id = $1 returning id', [id]);
  return rows.length === 1;
}
