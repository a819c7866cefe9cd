// SQL of the append-only audit log. Written in the same transaction as the change it records.
import type { Actor, AuditEvent } from '../domain/types.js';
import type { Queryable } from './queryable.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  organizationId?: string | null;
  details?: Record<string, unknown>;
}


interface AuditRow {
  id: string;
  occurred_at: Date;
  actor_type: Actor['type'];
  actor_id: string | null;
  impersonator: string | null;
  action: string;
  target_type: string;
  target_id: string;
  organization_id: string | null;
  details: Record<string, unknown>;
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: String(row.id),
    occurredAt: new Date(row.occurred_at),
    actor: { type: row.actor_type, id: row.actor_id, impersonator: row.impersonator },
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    organizationId: row.organization_id,
    details: row.details,
  };
}

export async function appendAudit(db: Queryable, actor: Actor, entry: AuditEntry): Promise<void> {
  await db.query(
    `insert into audit_events (actor_type, actor_id, impersonator, action, target_type, target_id, organization_id, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
    [
      actor.type,
      actor.id,
      actor.impersonator,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.organizationId ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

/** Newest first; `before` is an exclusive cursor (an event id). */
export async function listAuditEvents(
  db: Queryable,
  organizationId: string,
  options: { limit: number; before: string | null },
): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(
    `select id, occurred_at, actor_type, actor_id, impersonator, action, target_type, target_id, organization_id, details
       from audit_events
      where organization_id = $1 and ($2::bigint is null or id < $2::bigint)
      order by id desc
      limit $3`,
    [organizationId, options.before, options.limit],
  );
  return rows.map(toAuditEvent);
}

/**
 * The events whose target is one user, and those of the user's personal API keys (api-keys.md),
 * newest first; `before` is an exclusive cursor (an event id).
 */
export async function listAuditEventsForUser(db: Queryable, userId: string, options: { limit: number; before: string | null }): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(
    `select id, occurred_at, actor_type, actor_id, impersonator, action, target_type, target_id, organization_id, details
       from audit_events
      where ((target_type = 'User' and target_id = $1)
             or (target_type = 'api_key' and organization_id is null and details ->> 'userId' = $1))
        and ($2::bigint is null or id < $2::bigint)
      order by id desc
      limit $3`,
    [userId, options.before, options.limit],
  );
  return rows.map(toAuditEvent);
}
