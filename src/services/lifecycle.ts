// Suspension, reactivation, session revocation, deletion and back-channel logout: the rules of
// lifecycle.md, each change in one transaction with its audit row. Once committed, a change is
// published to this process's lifecycle feed at once; other replicas hear it from the database.
import { AppError, authenticationRequired } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { isUserAdmin } from '../domain/policy.js';
import type { Actor, LogoutRequest, Principal, User } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { findUserIdByIdentity } from '../db/lifecycle.js';
import type { LifecycleFeed } from '../db/lifecycleFeed.js';
import type { Database } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { recordLogoutJti, upsertRevocation, type Revocation } from '../db/revocations.js';
import { eraseCounted, isLastOwner, lockMembershipsOf } from './erasure.js';
import { actorOf, requireSelfUser, requireUser } from './guards.js';

export interface LifecycleService {
  /** users:admin. @throws FORBIDDEN, NOT_FOUND */
  suspendUser(principal: Principal, userId: string, reason: string | null): Promise<User>;
  /** users:admin. @throws FORBIDDEN, NOT_FOUND */
  reactivateUser(principal: Principal, userId: string): Promise<User>;
  /** users:admin: every token of the user issued up to now stops. @throws FORBIDDEN, NOT_FOUND */
  revokeSessions(principal: Principal, userId: string): Promise<boolean>;
  /** users:admin. @throws FORBIDDEN, NOT_FOUND, FORBIDDEN reason LAST_OWNER */
  deleteUser(principal: Principal, userId: string): Promise<boolean>;
  /** The viewer's own tokens issued up to now stop. @throws UNAUTHENTICATED, FORBIDDEN (services) */
  signOutEverywhere(principal: Principal): Promise<boolean>;
  /** @throws UNAUTHENTICATED, FORBIDDEN (services; reason LAST_OWNER) */
  deleteViewer(principal: Principal): Promise<boolean>;
  /** Applies a verified logout token. @throws AppError BAD_USER_INPUT reason `replayed_jti` for a jti seen before. */
  backchannelLogout(logout: LogoutRequest): Promise<void>;
}

function requireAdmin(principal: Principal): void {
  if (principal.kind === 'anonymous') throw authenticationRequired();
  if (!isUserAdmin(principal)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
}

const notFound = () => new AppError('NOT_FOUND', { message: 'No such user.' });

export function createLifecycleService(deps: { db: Database; users: UserStore; feed: LifecycleFeed; maxTokenAgeSeconds: number }): LifecycleService {
  const { db, users, feed, maxTokenAgeSeconds } = deps;

  const published = (revocation: Revocation) => feed.publish({ type: 'revocation', ...revocation });

  async function changeStatus(principal: Principal, userId: string, status: 'active' | 'suspended', details: Record<string, unknown>): Promise<User> {
    requireAdmin(principal);
    if (!isUuid(userId)) throw notFound();
    const user = await users.transaction(async (tx, rows) => {
      const current = await rows.lock(userId);
      if (current === null) throw notFound();
      if (current.status === status) return current;
      const updated = (await rows.setStatus(userId, status))!;
      await appendAudit(tx, actorOf(principal), {
        action: status === 'suspended' ? 'user.suspended' : 'user.reactivated',
        targetType: 'User',
        targetId: userId,
        details,
      });
      return updated;
    });
    feed.publish({ type: 'status', userId, status, deletedAt: null });
    return user;
  }

  async function revokeUser(actor: Actor, userId: string, mustExist: boolean): Promise<boolean> {
    const revocation = await users.transaction(async (tx, rows) => {
      if (mustExist && (await rows.lock(userId)) === null) throw notFound();
      const stored = await upsertRevocation(tx, { kind: 'user', issuer: '', subject: userId }, maxTokenAgeSeconds);
      await appendAudit(tx, actor, { action: 'sessions.revoked', targetType: 'User', targetId: userId, details: { scope: 'all' } });
      return stored;
    });
    published(revocation);
    return true;
  }

  /** Erases a user in one transaction (lifecycle.md, Deleted). */
  async function erase(actor: Actor, userId: string): Promise<boolean> {
    const outcome = await users.transaction(async (tx, rows) => {
      const user = await rows.lock(userId);
      if (user === null) throw notFound();
      const counted = await lockMembershipsOf(tx, userId);
      if (isLastOwner(counted)) {
        throw new AppError('FORBIDDEN', {
          message: 'The user is the last OWNER of an organization that has other members.',
          reason: 'LAST_OWNER',
        });
      }
      return eraseCounted(tx, rows, actor, user, counted, maxTokenAgeSeconds);
    });
    for (const revocation of outcome.revocations) published(revocation);
    feed.publish({ type: 'status', userId, status: 'deleted', deletedAt: outcome.deletedAt });
    return true;
  }

  return {
    suspendUser: (principal, userId, reason) => changeStatus(principal, userId, 'suspended', reason ? { reason: reason.slice(0, 500) } : {}),
    reactivateUser: (principal, userId) => changeStatus(principal, userId, 'active', {}),

    async revokeSessions(principal, userId) {
      requireAdmin(principal);
      if (!isUuid(userId)) throw notFound();
      return revokeUser(actorOf(principal), userId, true);
    },

    async deleteUser(principal, userId) {
      requireAdmin(principal);
      if (!isUuid(userId)) throw notFound();
      return erase(actorOf(principal), userId);
    },

    async signOutEverywhere(principal) {
      const viewer = requireSelfUser(principal);
      return revokeUser(actorOf(viewer), viewer.userId, false);
    },

    async deleteViewer(principal) {
      const viewer = requireSelfUser(principal);
      return erase(actorOf(viewer), viewer.userId);
    },

    async backchannelLogout(logout) {
      const actor: Actor = { type: 'system', id: logout.issuerName, impersonator: null };
      const revocations = await db.transaction(async (tx) => {
        if (!(await recordLogoutJti(tx, logout.issuer, logout.jti, new Date(logout.expiresAt * 1000)))) {
          throw new AppError('BAD_USER_INPUT', { reason: 'replayed_jti' });
        }
        const userId = logout.subject === null ? null : await findUserIdByIdentity(tx, logout.issuer, logout.subject);
        // A session ends whatever its tokens' iat; without one, the identity's tokens up to the
        // logout's iat, and the platform tokens its user was given for sign-ins there (they name
        // the user, not the IdP sub).
        const at = new Date(logout.issuedAt * 1000);
        const stored =
          logout.sessionId !== null
            ? [await upsertRevocation(tx, { kind: 'session', issuer: logout.issuer, subject: logout.sessionId }, maxTokenAgeSeconds)]
            : [
                await upsertRevocation(tx, { kind: 'identity', issuer: logout.issuer, subject: logout.subject!, at }, maxTokenAgeSeconds),
                ...(userId !== null ? [await upsertRevocation(tx, { kind: 'user', issuer: logout.issuer, subject: userId, at }, maxTokenAgeSeconds)] : []),
              ];
        await appendAudit(tx, actor, {
          action: 'sessions.revoked',
          targetType: userId !== null ? 'User' : 'Session',
          targetId: userId ?? logout.sessionId ?? logout.subject!,
          details: { via: 'backchannel_logout', provider: logout.issuerName, ...(logout.sessionId !== null ? { sid: logout.sessionId } : {}) },
        });
        return stored;
      });
      for (const revocation of revocations) published(revocation);
    },
  };
}
