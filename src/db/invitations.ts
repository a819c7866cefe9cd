// SQL of the invitations table. Rows name an email address, never a user. EXPIRED is derived
// when a row is read, from the caller's clock (`now`): stored statuses are the other four.
import type { Invitation, InvitationStatus, MembershipRole } from '../domain/types.js';
import type { Queryable } from './queryable.js';

interface InvitationRow {
  id: string;
  organization_id: string;
  email: string;
  role: MembershipRole;
  status: Exclude<InvitationStatus, 'EXPIRED'>;
  created_at: Date;
  expires_at: Date;
}

const COLUMNS = 'id, organization_id, email, role, status, created_at, expires_at';

export function toInvitation(row: InvitationRow, now: Date): Invitation {
  const expiresAt = new Date(row.expires_at);
  return {
    id: row.id,
    organizationId: row.organization_id,
    email: row.email,
    role: row.role,
    status: row.status === 'PENDING' && expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : row.status,
    expiresAt,
    createdAt: new Date(row.created_at),
  };
}

/**
 * Creates the pending invitation of (organization, email), or renews the one already pending
 * (same id; new role and expiry, also when it had expired). The partial unique key settles two
 * concurrent invites. `renewed` tells which.
 */
export async function upsertPendingInvitation(
  db: Queryable,
  invitation: { id: string; organizationId: string; email: string; role: MembershipRole; createdAt: Date; expiresAt: Date },
): Promise<{ invitation: Invitation; renewed: boolean }> {
  const rows = await db.query<InvitationRow & { renewed: boolean }>(
    `insert into invitations (id, organization_id, email, role, status, created_at, expires_at)
     values ($1, $2, $3, $4, 'PENDING', $5, $6)
     on conflict (organization_id, email) where status = 'PENDING'
     do update set role = excluded.role, created_at = excluded.created_at, expires_at = excluded.expires_at, updated_at = now()
     returning ${COLUMNS}, (id <> $1) as renewed`,
    [invitation.id, invitation.organizationId, invitation.email, invitation.role, invitation.createdAt, invitation.expiresAt],
  );
  const row = rows[0]!;
  return { invitation: toInvitation(row, invitation.createdAt), renewed: row.renewed };
}

/** The invitation, locked for the rest of the transaction when `forUpdate`; null when unknown. */
export async function findInvitation(db: Queryable, id: string, now: Date, options: { forUpdate?: boolean } = {}): Promise<Invitation | null> {
  const rows = await db.query<InvitationRow>(
    `select ${COLUMNS} from invitations where id = $1${options.forUpdate ? ' for update' : ''}`,
    [id],
  );
  return rows[0] ? toInvitation(rows[0], now) : null;
}

/** Pending, unexpired invitations of these organizations, oldest first. */
export async function findPendingByOrganizationIds(db: Queryable, organizationIds: readonly string[], now: Date): Promise<Invitation[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db.query<InvitationRow>(
    `select ${COLUMNS} from invitations
      where organization_id = any($1::uuid[]) and status = 'PENDING' and expires_at > $2
      order by created_at, id`,
    [organizationIds, now],
  );
  return rows.map((row) => toInvitation(row, now));
}

/** Pending, unexpired invitations to these (normalised) emails, oldest first. */
export async function findPendingByEmails(db: Queryable, emails: readonly string[], now: Date): Promise<Invitation[]> {
  if (emails.length === 0) return [];
  const rows = await db.query<InvitationRow>(
    `select ${COLUMNS} from invitations
      where email = any($1::text[]) and status = 'PENDING' and expires_at > $2
      order by created_at, id`,
    [emails, now],
  );
  return rows.map((row) => toInvitation(row, now));
}

/** Moves a PENDING invitation to a final status; false when it was no longer pending. */
export async function closeInvitation(db: Queryable, id: string, status: 'ACCEPTED' | 'DECLINED' | 'REVOKED'): Promise<boolean> {
  const rows = await db.query(
    `update invitations set status = $2, updated_at = now() where id = $1 and status = 'PENDING' returning id`,
    [id, status],
  );
  return rows.length === 1;
}

/** Erases every invitation to an email (account deletion erases invitations to its address). */
export async function deleteInvitationsByEmail(db: Queryable, email: string): Promise<number> {
  const rows = await db.query('delete from invitations where email = $1 returning id', [email]);
  return rows.length;
}
