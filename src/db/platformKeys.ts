// SQL of the platform signing keys (platform_keys) and of the marker that this database ever
// held one (platform_key_marker). Rows are immutable but for the recorded longest token lifetime.
import type { JWK } from 'jose';
import type { Queryable } from './queryable.js';

export interface PlatformKeyRecord {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateKeyEncrypted: Buffer;
  createdAt: number;
  activatesAt: number;
  maxTokenTtlSeconds: number;
}

interface Row {
  kid: string;
  alg: string;
  public_jwk: JWK | string;
  private_key_encrypted: Uint8Array;
  created_at: Date | string;
  activates_at: Date | string;
  max_token_ttl_seconds: number;
}

// Arbitrary constant naming the lock that serialises key creation across replicas and commands.
const KEYS_LOCK = 4_710_137_116;

function toRecord(row: Row): PlatformKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: typeof row.public_jwk === 'string' ? (JSON.parse(row.public_jwk) as JWK) : row.public_jwk,
    privateKeyEncrypted: Buffer.from(row.private_key_encrypted),
    createdAt: new Date(row.created_at).getTime(),
    activatesAt: new Date(row.activates_at).getTime(),
    maxTokenTtlSeconds: Number(row.max_token_ttl_seconds),
  };
}

export async function findPlatformKeys(db: Queryable): Promise<PlatformKeyRecord[]> {
  const rows = await db.query<Row>(
    'select kid, alg, public_jwk, private_key_encrypted, created_at, activates_at, max_token_ttl_seconds from platform_keys order by activates_at, kid',
  );
  return rows.map(toRecord);
}

/** Holds the key lock until the transaction ends: one key change at a time, across replicas. */
export async function lockPlatformKeys(tx: Queryable): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [KEYS_LOCK]);
}

export async function insertPlatformKey(tx: Queryable, key: Omit<PlatformKeyRecord, 'createdAt'> & { createdAt: number }): Promise<void> {
  await tx.query(
    `insert into platform_keys (kid, alg, public_jwk, private_key_encrypted, created_at, activates_at, max_token_ttl_seconds)
     values ($1, $2, $3::jsonb, $4, $5, $6, $7)`,
    [key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEncrypted, new Date(key.createdAt), new Date(key.activatesAt), key.maxTokenTtlSeconds],
  );
}

export async function deletePlatformKeys(tx: Queryable, kids: readonly string[]): Promise<void> {
  if (kids.length > 0) await tx.query('delete from platform_keys where kid = any($1::text[])', [kids]);
}

/** Records that tokens of up to `ttlSeconds` are signed with these keys (never lowers it). */
export async function raiseTokenTtl(db: Queryable, kids: readonly string[], ttlSeconds: number): Promise<void> {
  await db.query('update platform_keys set max_token_ttl_seconds = $2 where kid = any($1::text[]) and max_token_ttl_seconds < $2', [kids, ttlSeconds]);
}

export async function keyMarkerExists(db: Queryable): Promise<boolean> {
  return (await db.query('select 1 from platform_key_marker')).length > 0;
}

export async function insertKeyMarker(tx: Queryable): Promise<void> {
  await tx.query('insert into platform_key_marker (singleton) values (true) on conflict do nothing');
}
