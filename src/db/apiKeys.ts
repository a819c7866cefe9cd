// SQL of the api_keys table (migration 010). Secrets are never here: only their HMAC and the
// kid of the pepper it was made under.
import type { ApiKey } from '../domain/types.js';
import type { Queryable } from './queryable.js';

export type ApiKeyRecord = ApiKey;

/** A key as authentication needs it: the record, its HMAC, and its creator now. */
export interface ApiKeyCredential extends ApiKeyRecord {
  secretHmac: Uint8Array;
  pepperKid: string;
  /** `deleted` also when the creator's row is gone. */
  creatorStatus: 'active' | 'suspended' | 'deleted';
}

interface Row {
  id: string;
  public_id: string;
  name: string;
  organization_id: string | null;
  created_by: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'k.id, k.public_id, k.name, k.organization_id, k.created_by, k.scopes, k.created_at, k.expires_at, k.revoked_at, k.last_used_at';

const date = (value: Date | null) => (value === null ? null : new Date(value));

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    publicId: row.public_id,
    name: row.name,
    organizationId: row.organization_id,
    createdBy: row.created_by,
    scopes: row.scopes,
    createdAt: new Date(row.created_at),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    lastUsedAt: date(row.last_used_at),
  };
}

export async function insertApiKey(
  db: Queryable,
  key: { id: string; publicId: string; name: string; organizationId: string | null; createdBy: string; scopes: string[]; secretHmac: Buffer; pepperKid: string; expiresAt: Date | null },
): Promise<ApiKeyRecord> {
  const [row] = await db.query<Row>(
    `insert into api_keys as k (id, public_id, name, organization_id, created_by, scopes, secret_hmac, pepper_kid, expires_at)
     values ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9)
     returning ${COLUMNS}`,
    [key.id, key.publicId, key.name, key.organizationId, key.createdBy, key.scopes, key.secretHmac, key.pepperKid, key.expiresAt],
  );
  return toRecord(row!);
}

/** One statement per presented key not held in memory. */
export async function findApiKeyCredential(db: Queryable, publicId: string): Promise<ApiKeyCredential | null> {
  const [row] = await db.query<Row & { secret_hmac: Uint8Array; pepper_kid: string; creator_status: 'active' | 'suspended' | 'deleted' | null }>(
    `select ${COLUMNS}, k.secret_hmac, k.pepper_kid, u.status as creator_status
       from api_keys k left join users u on u.id = k.created_by
      where k.public_id = $1`,
    [publicId],
  );
  if (row === undefined) return null;
  return { ...toRecord(row), secretHmac: row.secret_hmac, pepperKid: row.pepper_kid, creatorStatus: row.creator_status ?? 'deleted' };
}

export async function findApiKeyById(db: Queryable, id: string, options: { lock?: boolean } = {}): Promise<ApiKeyRecord | null> {
  const [row] = await db.query<Row>(`select ${COLUMNS} from api_keys k where k.id = $1${options.lock === true ? ' for update' : ''}`, [id]);
  return row === undefined ? null : toRecord(row);
}

/** Personal keys of users, revoked ones included, newest first. */
export async function findPersonalApiKeys(db: Queryable, userIds: readonly string[]): Promise<ApiKeyRecord[]> {
  if (userIds.length === 0) return [];
  const rows = await db.query<Row>(
    `select ${COLUMNS} from api_keys k where k.created_by = any($1::uuid[]) and k.organization_id is null order by k.created_at desc, k.id`,
    [userIds],
  );
  return rows.map(toRecord);
}

/** Organizations' keys, revoked ones included, newest first. */
export async function findOrganizationApiKeys(db: Queryable, organizationIds: readonly string[]): Promise<ApiKeyRecord[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db.query<Row>(
    `select ${COLUMNS} from api_keys k where k.organization_id = any($1::uuid[]) order by k.created_at desc, k.id`,
    [organizationIds],
  );
  return rows.map(toRecord);
}

/** Keys not revoked: a user's personal ones, or an organization's. */
export async function countActiveApiKeys(db: Queryable, owner: { organizationId: string } | { userId: string }): Promise<number> {
  const [row] =
    'organizationId' in owner
      ? await db.query<{ n: number }>('select count(*)::int as n from api_keys where organization_id = $1 and revoked_at is null', [owner.organizationId])
      : await db.query<{ n: number }>('select count(*)::int as n from api_keys where created_by = $1 and organization_id is null and revoked_at is null', [owner.userId]);
  return row?.n ?? 0;
}

/** Revokes a key not yet revoked; the record after, null when it was revoked already. */
export async function revokeApiKeyRow(db: Queryable, id: string): Promise<ApiKeyRecord | null> {
  const [row] = await db.query<Row>(`update api_keys k set revoked_at = now() where k.id = $1 and k.revoked_at is null returning ${COLUMNS}`, [id]);
  return row === undefined ? null : toRecord(row);
}

/** lastUsedAt, at most once a minute per key whatever the replicas: one statement for a batch. */
export async function stampApiKeysUsed(db: Queryable, stamps: ReadonlyMap<string, Date>): Promise<void> {
  if (stamps.size === 0) return;
  const ids = [...stamps.keys()];
  const times = ids.map((id) => stamps.get(id)!.toISOString());
  await db.query(
    `update api_keys k set last_used_at = s.at
       from unnest($1::uuid[], $2::timestamptz[]) as s(id, at)
      where k.id = s.id and (k.last_used_at is null or k.last_used_at < s.at - interval '60 seconds')`,
    [ids, times],
  );
}

/** Re-hashes a key under the newest pepper, once (only while it is still under `fromKid`). */
export async function rehashApiKey(db: Queryable, id: string, fromKid: string, to: { kid: string; hmac: Buffer }): Promise<boolean> {
  const rows = await db.query('update api_keys set secret_hmac = $3, pepper_kid = $4 where id = $1 and pepper_kid = $2 returning id', [id, fromKid, to.hmac, to.kid]);
  return rows.length > 0;
}

/** How many keys (revoked ones included) each pepper kid hashes. */
export async function countApiKeysByPepper(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query<{ kid: string; n: number }>('select pepper_kid as kid, count(*)::int as n from api_keys group by pepper_kid order by pepper_kid');
  return new Map(rows.map((r) => [r.kid, r.n]));
}

/** A user's operator status now (migration 007b); false for an unknown or deleted user. */
export async function findIsOperator(db: Queryable, userId: string): Promise<boolean> {
  const [row] = await db.query<{ is_operator: boolean }>("select is_operator from users where id = $1 and status <> 'deleted'", [userId]);
  return row?.is_operator === true;
}
