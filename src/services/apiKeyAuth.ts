// API keys presented as bearers (api-keys.md, Use): the checksum first (a mistyped key never
// reaches the database), then the key's row from memory or one statement, the constant-time HMAC
// check, the pure admission decision (domain/apiKeys.ts) and the principal. Memory is trusted
// only while the database is heard: revocations, removals and creators' status changes arrive on
// the lifecycle feed (this process's commits at once, other replicas' through the database).
import type { ApiKeyPepper } from '../config/apiKeys.js';
import { AppError } from '../errors.js';
import { parseApiKey } from '../domain/apiKeyFormat.js';
import { keyAdmission, parseKeyScopes, type KeyAdmission, type KeyScopes } from '../domain/apiKeys.js';
import type { ApiKeyGrant, Principal, UserClaims } from '../domain/types.js';
import { fingerprintMatches, hmacSecret, secretFingerprint, secretMatches } from '../auth/apiKeyCrypto.js';
import { findApiKeyCredential, findIsOperator, rehashApiKey, stampApiKeysUsed, type ApiKeyCredential } from '../db/apiKeys.js';
import type { LifecycleFeed } from '../db/lifecycleFeed.js';
import type { Database } from '../db/queryable.js';
import { createBatchedWriter } from '../lib/batchedWriter.js';

/** `UserClaims.provider` and `issuer` of a personal key's principal (logs, metrics, platform tokens). */
export const API_KEY_PROVIDER = 'api_key';
/** A key without expiry states none: its claims say "assumed" with this horizon (year 9999). */
const NO_EXPIRY_SECONDS = 253_402_300_799;
const MAX_ENTRIES = 10_000;

export interface ApiKeyAuthenticatorOptions {
  db: Database;
  feed: LifecycleFeed;
  /** Newest first; null: API keys are off (production without API_KEY_PEPPERS): every key answers 401. */
  peppers: readonly ApiKeyPepper[] | null;
  warn?: (fields: Record<string, unknown>, message: string) => void;
  now?: () => number;
  /** lastUsedAt is written at most this often per key; default 60 s. */
  stampIntervalMs?: number;
  /** Stamps due wait this long to share one statement; default 1 s. */
  stampDelayMs?: number;
}

export interface ApiKeyAuthenticator {
  /** The principal of a presented `idk_` bearer; a value when the key is held in memory. @throws AppError UNAUTHENTICATED, USER_SUSPENDED, IDENTITY_STORE_UNAVAILABLE */
  authenticate(token: string): Principal | Promise<Principal>;
  /** Writes the lastUsedAt stamps still waiting. */
  flush(): Promise<void>;
  readonly size: number;
  close(): void;
}

interface Entry {
  credential: ApiKeyCredential;
  scopes: KeyScopes;
  /** When lastUsedAt was last written (or read), ms. */
  stampedAt: number;
  /** The principal, built once (keys without admin scopes). */
  principal?: Principal;
  /** The SHA-256 of the secret whose HMAC matched (auth/apiKeyCrypto.ts secretFingerprint). */
  fingerprint?: Buffer;
}

const unknownKey = () => new AppError('UNAUTHENTICATED', { message: 'This API key is invalid, expired or revoked.', reason: 'invalid_api_key' });

const REFUSALS: Record<Exclude<KeyAdmission, 'admitted'>, () => AppError> = {
  revoked: () => new AppError('UNAUTHENTICATED', { message: 'This API key has been revoked.', reason: 'revoked' }),
  expired: () => new AppError('UNAUTHENTICATED', { message: 'This API key has expired.', reason: 'token_expired' }),
  suspended: () => new AppError('USER_SUSPENDED'),
};

export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): ApiKeyAuthenticator {
  const { db, peppers } = options;
  const now = options.now ?? Date.now;
  const stampIntervalMs = options.stampIntervalMs ?? 60_000;
  const entries = new Map<string, Entry>();
  let version = 0;
  const warned = new Set<string>();
  const rehashing = new Set<string>();
  // key id → its lastUsedAt, waiting to be written; a stamp not written is only a stamp lost.
  const stamps = createBatchedWriter<string, Date>({
    delayMs: options.stampDelayMs ?? 1000,
    write: (batch) => stampApiKeysUsed(db, batch),
  });

  const hearing = (): boolean => db.userChanges?.listening ?? true;
  const forget = (match: (entry: Entry) => boolean) => {
    for (const [publicId, entry] of entries) if (match(entry)) entries.delete(publicId);
  };

  const unsubscribe = options.feed.subscribe({
    onChange(change) {
      if (change.type === 'api_key') {
        version += 1;
        entries.delete(change.publicId);
      } else if (change.type === 'status') {
        version += 1;
        forget((entry) => entry.credential.createdBy === change.userId);
      }
    },
    onRestart() {
      version += 1;
      entries.clear();
    },
  });

  function stamp(entry: Entry, at: number): void {
    if (at - entry.stampedAt < stampIntervalMs) return;
    entry.stampedAt = at;
    stamps.queue(entry.credential.id, new Date(at));
  }

  /** Once per key under an older pepper: its HMAC under the newest, written where it still is under the old. */
  function rehash(entry: Entry, secret: string, newest: ApiKeyPepper): void {
    const { credential } = entry;
    if (rehashing.has(credential.id)) return;
    rehashing.add(credential.id);
    const hmac = hmacSecret(newest.key, secret);
    rehashApiKey(db, credential.id, credential.pepperKid, { kid: newest.kid, hmac })
      .then((done) => {
        if (done && entries.get(credential.publicId) === entry) entry.credential = { ...credential, secretHmac: hmac, pepperKid: newest.kid };
      })
      .catch(() => undefined)
      .finally(() => rehashing.delete(credential.id));
  }

  function claimsOf(credential: ApiKeyCredential): UserClaims {
    const claims: UserClaims = {
      provider: API_KEY_PROVIDER,
      issuer: API_KEY_PROVIDER,
      subject: credential.id,
      email: null,
      emailVerified: false,
      name: null,
      givenName: null,
      familyName: null,
      externalOrganizationId: null,
      impersonator: null,
      expiresAt: credential.expiresAt === null ? NO_EXPIRY_SECONDS : Math.floor(credential.expiresAt.getTime() / 1000),
      issuedAt: Math.floor(credential.createdAt.getTime() / 1000),
      sessionId: null,
      clientId: credential.id,
    };
    if (credential.expiresAt === null) claims.expiresAtAssumed = true;
    return claims;
  }

  function principalOf(entry: Entry, adminScopes: ReadonlySet<string>): Principal {
    const { credential, scopes } = entry;
    const expiresAt = credential.expiresAt === null ? null : Math.floor(credential.expiresAt.getTime() / 1000);
    if (credential.organizationId !== null) {
      const access = scopes.organizations.get(credential.organizationId) ?? 'read';
      return { kind: 'api_key', keyId: credential.id, organizationId: credential.organizationId, creatorId: credential.createdBy, access, expiresAt };
    }
    const apiKey: ApiKeyGrant = { keyId: credential.id, user: scopes.user, organizations: scopes.organizations, adminScopes, expiresAt };
    return { kind: 'user', userId: credential.createdBy, claims: claimsOf(credential), created: false, impersonator: null, apiKey };
  }

  function admit(entry: Entry | null, secret: string): Principal | Promise<Principal> {
    const credential = entry?.credential ?? null;
    // A warm key's secret is recognised by its fingerprint; anything else pays one HMAC and one
    // comparison, so an unknown id costs what a wrong secret costs (both also pay this comparison).
    const presented = secretFingerprint(secret);
    let matches = fingerprintMatches(presented, entry?.fingerprint);
    if (!matches) {
      const pepper = credential === null || peppers === null ? null : (peppers.find((p) => p.kid === credential.pepperKid) ?? null);
      matches = secretMatches(secret, pepper?.key ?? null, pepper === null ? null : credential!.secretHmac);
      if (credential !== null && pepper === null && peppers !== null && !warned.has(credential.pepperKid)) {
        warned.add(credential.pepperKid);
        options.warn?.({ kid: credential.pepperKid }, 'API keys hashed under a pepper that API_KEY_PEPPERS no longer holds are refused (401)');
      }
      if (matches && entry !== null) entry.fingerprint = presented;
    }
    if (!matches || entry === null) throw unknownKey();
    const at = now();
    const verdict = keyAdmission(
      { revokedAt: credential!.revokedAt?.getTime() ?? null, expiresAt: credential!.expiresAt?.getTime() ?? null, creatorStatus: credential!.creatorStatus },
      at,
    );
    if (verdict !== 'admitted') throw REFUSALS[verdict]();
    const newest = peppers![0]!;
    if (credential!.pepperKid !== newest.kid) rehash(entry, secret, newest);
    stamp(entry, at);
    if (entry.scopes.admin.size === 0) return (entry.principal ??= principalOf(entry, entry.scopes.admin));
    // Admin scopes hold only while the creator is an operator now: read each time.
    return findIsOperator(db, credential!.createdBy).then((operator) => principalOf(entry, operator ? entry.scopes.admin : new Set()));
  }

  async function load(publicId: string, secret: string): Promise<Principal> {
    const before = version;
    const credential = await findApiKeyCredential(db, publicId);
    if (credential === null) return admit(null, secret);
    const scopes = parseKeyScopes(credential.scopes) ?? { user: false, organizations: new Map(), admin: new Set<string>() };
    const entry: Entry = { credential, scopes, stampedAt: credential.lastUsedAt?.getTime() ?? -Infinity };
    // Kept only if nothing about keys or users was heard meanwhile, and while the database is heard.
    if (before === version && hearing()) {
      if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      entries.set(publicId, entry);
    }
    return admit(entry, secret);
  }

  return {
    authenticate(token) {
      const parsed = parseApiKey(token);
      // A mistyped key (shape or checksum): refused without a database statement.
      if (parsed === null) throw unknownKey();
      if (peppers === null) {
        secretMatches(parsed.secret, null, null);
        throw unknownKey();
      }
      const entry = hearing() ? entries.get(parsed.publicId) : undefined;
      return entry !== undefined ? admit(entry, parsed.secret) : load(parsed.publicId, parsed.secret);
    },
    flush: () => stamps.flush(),
    get size() {
      return entries.size;
    },
    close() {
      unsubscribe();
      stamps.close();
    },
  };
}
