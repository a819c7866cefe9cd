// SQL of the organizations table.
import type { Organization } from '../domain/types.js';
import type { Queryable } from './queryable.js';

interface OrganizationRow {
  id: string;
  name: string;
  created_at: Date;
}

export function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) };
}

export async function findOrganizationsByIds(db: Queryable, ids: readonly string[]): Promise<Organization[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<OrganizationRow>(
    'select id, name, created_at from organizations where id = any($1::uuid[])',
    [ids],
  );
  return rows.map(toOrganization);
}

export async function insertOrganization(db: Queryable, organization: { id: string; name: string }): Promise<Organization> {
  const rows = await db.query<OrganizationRow>(
    'insert into organizations (id, name) values ($1, $2) returning id, name, created_at',
    [organization.id, organization.name],
  );
  return toOrganization(rows[0]!);
}

/**
 * Locks an organization's row for the rest of the transaction and returns it (null when
 * unknown). Every membership change takes this lock first, so changes to one organization
 * run one after another across replicas and the owner count read afterwards is current.
 * `for no key update` leaves foreign-key inserts (a JIT membership) unblocked.
 */
export async function lockOrganization(db: Queryable, id: string): Promise<Organization | null> {
  const rows = await db.query<OrganizationRow>(
    'select id, name, created_at from organizations where id = $1 for no key update',
    [id],
  );
  return rows[0] ? toOrganization(rows[0]) : null;
}
