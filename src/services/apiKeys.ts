// API keys' management (api-keys.md): creation (limits, scopes never beyond the creator's now),
// revocation (creator, the organization's OWNER/ADMIN, users:admin; anyone else NOT_FOUND) and
// the lists, each change in one transaction with its audit row, published to this process's
// lifecycle feed once committed (other replicas hear the database's announcement).
import { randomUUID } from 'node:crypto';
import type { ApiKeyPepper } from '../config/apiKeys.js';
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { apiKeyPrefix } from '../domain/apiKeyFormat.js';
import { formatKeyScopes, MAX_ACTIVE_KEYS, MAX_KEY_NAME_LENGTH, parseKeyScopes, scopeRefusal, type KeyScopes } from '../domain/apiKeys.js';
import { isUuid } from '../domain/ids.js';
import { fitName } from '../domain/names.js';
import { isSelf, isUserAdmin } from '../domain/policy.js';
import type { Principal } from '../domain/types.js';
import { generateApiKey, hmacSecret } from '../auth/apiKeyCrypto.js';
import { countActiveApiKeys, findApiKeyById, findIsOperator, findOrganizationApiKeys, findPersonalApiKeys, insertApiKey, revokeApiKeyRow, type ApiKeyRecord } from '../db/apiKeys.js';
import { appendAudit } from '../db/audit.js';
import type { LifecycleFeed } from '../db/lifecycleFeed.js';
import { findMembershipsByUserIds } from '../db/memberships.js';
import { lockOrganization } from '../db/organizations.js';
import type { Database } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { actorOf, currentRole, requireSelfUser } from './guards.js';

export interface CreateApiKeyInput {
  name: string;
  organizationId?: string | null;
  scopes: readonly string[];
  expiresAt?: string | null;
}

export interface ApiKeyService {
  /** @throws UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT (invalid_name, invalid_expires_at, invalid_scope, too_many_api_keys, API_KEYS_DISABLED) */
  create(principal: Principal, input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyRecord; secret: string }>;
  /** True once revoked (already revoked: true). @throws UNAUTHENTICATED, NOT_FOUND */
  revoke(principal: Principal, id: string): Promise<boolean>;
  /** The user's personal keys, revoked ones included, to the user (scope `user`); empty to anyone else. */
  personalKeys(principal: Principal, userId: string): Promise<ApiKeyRecord[]>;
  /** The organization's keys, revoked ones included, to its OWNERs and ADMINs; empty to anyone else. */
  organizationKeys(principal: Principal, organizationId: string): Promise<ApiKeyRecord[]>;
}

const MAX_SCOPES = 200;

const forbidden = (message: string) => new AppError('FORBIDDEN', { message, reason: 'scope_not_held' });
const notFound = () => new AppError('NOT_FOUND', { message: 'No such API key.', reason: 'api_key_not_found' });


function readName(raw: string): string {
  const { name, cut } = fitName(raw, MAX_KEY_NAME_LENGTH);
  if (name === null || cut) throw badInput(`name must be 1-${MAX_KEY_NAME_LENGTH} characters.`, 'invalid_name');
  return name;
}

function readExpiry(raw: string | null | undefined, nowMs: number): Date | null {
  if (raw === null || raw === undefined) return null;
  const at = /^\d{4}-\d{2}-\d{2}T/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(at)) throw badInput('expiresAt must be an ISO 8601 date-time.', 'invalid_expires_at');
  if (at <= nowMs) throw badInput('expiresAt must be in the future.', 'invalid_expires_at');
  return new Date(at);
}

function readScopes(raw: readonly string[]): KeyScopes {
  const scopes = raw.length > MAX_SCOPES ? null : parseKeyScopes(raw);
  if (scopes === null) throw badInput('scopes may hold only user, org:<organization id>:read, org:<organization id>:write, users:admin and organizations:admin.', 'invalid_scope');
  return scopes;
}

export function createApiKeyService(deps: { db: Database; users: UserStore; feed: LifecycleFeed; peppers: readonly ApiKeyPepper[] | null; now?: () => number }): ApiKeyService {
  const { db, feed, peppers } = deps;
  const now = deps.now ?? Date.now;

  return {
    async create(principal, input) {
      const caller = requireSelfUser(principal);
      if (peppers === null) throw badInput('API keys are disabled: API_KEY_PEPPERS is not configured.', 'API_KEYS_DISABLED');
      const name = readName(input.name);
      const expiresAt = readExpiry(input.expiresAt, now());
      const scopes = readScopes(input.scopes);
      const organizationId = input.organizationId ?? null;
      if (organizationId !== null && !isUuid(organizationId)) throw forbidden('Only an OWNER or ADMIN of the organization creates its keys.');
      const within = caller.apiKey === undefined ? undefined : { user: caller.apiKey.user, organizations: new Map(caller.apiKey.organizations), admin: new Set(caller.apiKey.adminScopes) };
      const generated = generateApiKey();
      const pepper = peppers[0]!;
      const actor = actorOf(principal);
      const apiKey = await deps.users.transaction(async (tx, rows) => {
        // Counted under a lock: the organization's, or the creator's row.
        if (organizationId !== null) {
          if ((await lockOrganization(tx, organizationId)) === null) throw forbidden('Only an OWNER or ADMIN of the organization creates its keys.');
        } else if ((await rows.lock(caller.userId)) === null) throw authenticationRequired();
        const memberships = await findMembershipsByUserIds(tx, [caller.userId]);
        const isOperator = scopes.admin.size > 0 && (await findIsOperator(tx, caller.userId));
        const refusal = scopeRefusal(scopes, organizationId === null ? null : organizationId.toLowerCase(), { roles: new Map(memberships.map((m) => [m.organizationId, m.role])), isOperator }, within);
        if (refusal !== null) throw forbidden(refusal === 'organization_key_scope' ? 'An organization key carries org:<id>:read or org:<id>:write for that organization only.' : 'A key never carries a scope its creator does not hold.');
        const active = await countActiveApiKeys(tx, organizationId === null ? { userId: caller.userId } : { organizationId });
        if (active >= MAX_ACTIVE_KEYS) throw badInput(`At most ${MAX_ACTIVE_KEYS} keys not revoked per user and per organization.`, 'too_many_api_keys');
        const stored = await insertApiKey(tx, {
          id: randomUUID(),
          publicId: generated.publicId,
          name,
          organizationId,
          createdBy: caller.userId,
          scopes: formatKeyScopes(scopes),
          secretHmac: hmacSecret(pepper.key, generated.secret),
          pepperKid: pepper.kid,
          expiresAt,
        });
        await appendAudit(tx, actor, {
          action: 'api_key.created',
          targetType: 'api_key',
          targetId: stored.id,
          organizationId,
          details: { userId: caller.userId, name, prefix: apiKeyPrefix(stored.publicId), scopes: stored.scopes, expiresAt: expiresAt?.toISOString() ?? null },
        });
        return stored;
      });
      return { apiKey, secret: generated.key };
    },

    async revoke(principal, id) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      if (!isUuid(id)) throw notFound();
      const actor = actorOf(principal);
      const revoked = await db.transaction(async (tx) => {
        const key = await findApiKeyById(tx, id, { lock: true });
        if (key === null) throw notFound();
        const allowed =
          isSelf(principal, key.createdBy) ||
          isUserAdmin(principal) ||
          (key.organizationId !== null && ['OWNER', 'ADMIN'].includes((await currentRole(tx, key.organizationId, principal)) ?? ''));
        if (!allowed) throw notFound();
        const updated = await revokeApiKeyRow(tx, id);
        if (updated === null) return null;
        await appendAudit(tx, actor, {
          action: 'api_key.revoked',
          targetType: 'api_key',
          targetId: id,
          organizationId: key.organizationId,
          details: { userId: key.createdBy, name: key.name, prefix: apiKeyPrefix(key.publicId) },
        });
        return updated;
      });
      if (revoked !== null) feed.publish({ type: 'api_key', publicId: revoked.publicId, createdBy: revoked.createdBy });
      return true;
    },

    async personalKeys(principal, userId) {
      return isSelf(principal, userId) ? findPersonalApiKeys(db, [userId]) : [];
    },

    async organizationKeys(principal, organizationId) {
      const role = await currentRole(db, organizationId, principal);
      return role === 'OWNER' || role === 'ADMIN' ? findOrganizationApiKeys(db, [organizationId]) : [];
    },
  };
}
