// SQL of session revocations and of logout-token jtis (migration 004). A revocation row is
// announced to every replica at commit (trigger), which keeps the live ones in memory.
import type { Queryable } from './queryable.js';
import { purgeExpiredAcceptances } from './sessionAcceptances.js';

export type RevocationKind = 'user' | 'identity' | 'session' | 'organization';

/**
 * One revocation: tokens of `(issuer, subject)` issued up to `revokedAt` stop. `user`: a user id,
 * with issuer '' every token of theirs, with an IdP's issuer those of their sign-ins there
 * (platform tokens included); `identity`: an IdP sub; `session`: an IdP sid; `organization`: the
 * user's tokens of that `iss` carrying one `org_id` (organizationSubject), after the IdP removed
 * the membership (idp-events.md).
 */
export interface Revocation {
  kind: RevocationKind;
  issuer: string;
  subject: string;
  /** Milliseconds since the epoch. */
  revokedAt: number;
  expiresAt: number;
}

/** The subject of an `organization` revocation: the user id, a space, the token's `org_id`. */
export function organizationSubject(userId: string, externalOrganizationId: string): string {
  return `${userId} ${externalOrganizationId}`;
}

interface RevocationRow {
  kind: RevocationKind;
  issuer: string;
  subject: string;
  revoked_at: Date;
  expires_at: Date;
}

function toRevocation(row: RevocationRow): Revocation {
  return {
    kind: row.kind,
    issuer: row.issuer,
    subject: row.subject,
    revokedAt: new Date(row.revoked_at).getTime(),
    expiresAt: new Date(row.expires_at).getTime(),
  };
}

/**
 * Records a revocation at `at` (default: the transaction's time), keeping the later one when a
 * row exists. Returns the row as stored.
 */
export async function upsertRevocation(
  db: Queryable,
  revocation: { kind: RevocationKind; issuer: string; subject: string; at?: Date | null },
  retentionSeconds: number,
): Promise<Revocation> {
  const rows = await db.query<RevocationRow>(
    `insert into session_revocations (kind, issuer, subject, revoked_at, expires_at)
     select $1, $2, $3, at, at + make_interval(secs => $5) from (select coalesce($4::timestamptz, now()) as at) t
     on conflict (kind, issuer, subject) do update
       set revoked_at = greatest(session_revocations.revoked_at, excluded.revoked_at),
           expires_at = greatest(session_revocations.expires_at, excluded.expires_at)
     returning kind, issuer, subject, revoked_at, expires_at`,
    [revocation.kind, revocation.issuer, revocation.subject, revocation.at ?? null, retentionSeconds],
  );
  return toRevocation(rows[0]!);
}

/** Every revocation that may still cover an accepted token (revoked within `retentionSeconds`). */
export async function findLiveRevocations(db: Queryable, retentionSeconds: number): Promise<Revocation[]> {
  const rows = await db.query<RevocationRow>(
    `select kind, issuer, subject, revoked_at, expires_at from session_revocations
      where expires_at > now() and revoked_at > now() - make_interval(secs => $1)`,
    [retentionSeconds],
  );
  return rows.map(toRevocation);
}

/** The state one user token depends on, read in one statement (a replica that cannot trust its memory). */
export interface SessionFacts {
  /** Null: no such user row at all. */
  status: 'active' | 'suspended' | 'deleted' | null;
  deletedAt: number | null;
  userRevokedAt: number | null;
  identityRevokedAt: number | null;
  /** The user's revocation at the token's session issuer (a logout naming only the identity). */
  userAtIssuerRevokedAt: number | null;
  /** The user's revocation for the token's `org_id` (a membership the IdP removed); null without one. */
  organizationRevokedAt: number | null;
  sessionRevoked: boolean;
}

export async function findSessionFacts(
  db: Queryable,
  key: { userId: string; issuer: string; subject: string; sessionId: string | null; sessionIssuer: string; externalOrganizationId: string | null },
): Promise<SessionFacts> {
  const rows = await db.query<{
    status: SessionFacts['status'];
    deleted_at: Date | null;
    user_revoked_at: Date | null;
    identity_revoked_at: Date | null;
    user_at_issuer_revoked_at: Date | null;
    organization_revoked_at: Date | null;
    session_revoked: boolean;
  }>(
    `select u.status, u.deleted_at,
            (select revoked_at from session_revocations where kind = 'user' and issuer = '' and subject = $1::text) as user_revoked_at,
            (select revoked_at from session_revocations where kind = 'identity' and issuer = $2 and subject = $3) as identity_revoked_at,
            (select revoked_at from session_revocations where kind = 'user' and issuer = $5 and subject = $1::text) as user_at_issuer_revoked_at,
            (select revoked_at from session_revocations where kind = 'organization' and issuer = $2 and subject = $6::text) as organization_revoked_at,
            exists (select 1 from session_revocations where kind = 'session' and issuer = $5 and subject = $4) as session_revoked
       from (select 1) one left join users u on u.id = $1::uuid`,
    [key.userId, key.issuer, key.subject, key.sessionId, key.sessionIssuer, key.externalOrganizationId === null ? null : organizationSubject(key.userId, key.externalOrganizationId)],
  );
  const row = rows[0]!;
  const ms = (value: Date | null) => (value === null ? null : new Date(value).getTime());
  return {
    status: row.status,
    deletedAt: ms(row.deleted_at),
    userRevokedAt: ms(row.user_revoked_at),
    identityRevokedAt: ms(row.identity_revoked_at),
    userAtIssuerRevokedAt: ms(row.user_at_issuer_revoked_at),
    organizationRevokedAt: ms(row.organization_revoked_at),
    sessionRevoked: row.session_revoked,
  };
}

/** Records a logout token's jti; false when this issuer's jti was seen before (a replay). */
export async function recordLogoutJti(db: Queryable, issuer: string, jti: string, expiresAt: Date): Promise<boolean> {
  const rows = await db.query(
    `insert into logout_token_jtis (issuer, jti, expires_at) values ($1, $2, $3)
     on conflict (issuer, jti) do nothing returning jti`,
    [issuer, jti, expiresAt],
  );
  return rows.length === 1;
}

/** Deletes expired revocations, jtis and opaque sessions' first acceptances (any replica may; all of them do, now and then). */
export async function purgeExpired(db: Queryable): Promise<void> {
  await db.query('delete from session_revocations where expires_at < now()');
  await db.query('delete from logout_token_jtis where expires_at < now()');
  await purgeExpiredAcceptances(db);
}
