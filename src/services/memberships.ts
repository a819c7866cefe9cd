// Members of an organization: services add them (users join by invitation), roles change and
// members leave or are removed under the organization's row lock, each change with its audit row.
import { randomUUID } from 'node:crypto';
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { requireEmail } from '../domain/email.js';
import { isOrganizationAdmin, removalRefusal, roleChangeRefusal } from '../domain/policy.js';
import type { Membership, MembershipRole, Principal } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { isUniqueViolation } from '../db/errors.js';
import { countOwners, deleteMembership, findMembershipsByIds, insertMembership, updateMembershipRole } from '../db/memberships.js';
import { lockOrganization } from '../db/organizations.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { UserStore } from '../db/userStore.js';
import { actorOf, lockForChange, organizationNotFound, refuse, requireMemberActor } from './guards.js';
import type { IdentityService } from './identity.js';

const MAX_ATTEMPTS = 3;

export interface MembershipService {
  /**
   * Services holding organizations:admin (provisioning); users join by invitation, never this
   * way, OWNERs included. Exactly one of userId / email; email ensures the user.
   * @throws BAD_USER_INPUT, NOT_FOUND (organization or user), FORBIDDEN (missing_scope), CONFLICT (already_member)
   */
  addMember(
    principal: Principal,
    input: { organizationId: string; userId?: string | null; email?: string | null; role: MembershipRole },
  ): Promise<Membership>;
  /** @throws NOT_FOUND, FORBIDDEN (role_required, owner_required, LAST_OWNER) */
  updateMemberRole(principal: Principal, input: { membershipId: string; role: MembershipRole }): Promise<Membership>;
  /** The member leaving, or OWNER/ADMIN. @throws NOT_FOUND, FORBIDDEN (…, LAST_OWNER) */
  removeMember(principal: Principal, membershipId: string): Promise<boolean>;
}

export function createMembershipService(deps: { db: Database; users: UserStore; identity: IdentityService }): MembershipService {
  const { db } = deps;

  /** Retries a transaction that lost a race on a unique key it may legitimately meet again. */
  async function withRetries<T>(attempt: () => Promise<T>, retryable: (error: unknown) => boolean): Promise<T> {
    for (let i = 1; ; i += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!retryable(error) || i >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** The membership (outside any lock) to learn its organization; NOT_FOUND when unknown. */
  async function membershipOrNotFound(q: Queryable, membershipId: string): Promise<Membership> {
    const found = isUuid(membershipId) ? (await findMembershipsByIds(q, [membershipId]))[0] : undefined;
    if (found === undefined) throw new AppError('NOT_FOUND', { message: 'No such membership.', reason: 'membership_not_found' });
    return found;
  }

  return {
    async addMember(principal, input) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      // Users invite instead (policy.ts says why).
      if (!isOrganizationAdmin(principal)) {
        throw new AppError('FORBIDDEN', { message: 'Only a service holding organizations:admin adds members; users invite them.', reason: 'missing_scope' });
      }
      const hasUserId = input.userId !== null && input.userId !== undefined;
      const hasEmail = input.email !== null && input.email !== undefined;
      if (hasUserId === hasEmail) throw badInput('Give exactly one of userId and email.', 'user_id_xor_email');
      if (hasEmail) requireEmail(input.email);
      if (!isUuid(input.organizationId)) throw organizationNotFound();
      const actor = actorOf(principal);
      // By email the transaction may write a user: the store's transaction, as every one that may.
      const attempt = () =>
        deps.users.transaction(async (tx, users) => {
          if ((await lockOrganization(tx, input.organizationId)) === null) throw organizationNotFound();
          let userId: string;
          if (hasUserId) {
            const user = isUuid(input.userId!) ? await users.find(input.userId!) : null;
            if (user === null) throw new AppError('NOT_FOUND', { message: 'No such user.', reason: 'user_not_found' });
            userId = user.id;
          } else {
            // Same transaction: the user exists only if the membership does.
            userId = (await deps.identity.ensureUserByEmail({ tx, users }, { email: input.email! }, actor)).user.id;
          }
          const membership = await insertMembership(tx, { id: randomUUID(), organizationId: input.organizationId, userId, role: input.role });
          if (membership === null) throw new AppError('CONFLICT', { message: 'This user is already a member of the organization.', reason: 'already_member' });
          await appendAudit(tx, actor, {
            action: 'membership.added',
            targetType: 'Membership',
            targetId: membership.id,
            organizationId: input.organizationId,
            details: { userId, role: input.role, via: hasEmail ? 'email' : 'user_id' },
          });
          return membership;
        });
      // A concurrent first sign-in or addMember may create the user by email first: retry finds it.
      return withRetries(attempt, (error) => isUniqueViolation(error, 'users_verified_email_key'));
    },

    async updateMemberRole(principal, input) {
      requireMemberActor(principal);
      const known = await membershipOrNotFound(db, input.membershipId);
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const actorRole = await lockForChange(tx, known.organizationId, principal);
        // Re-read under the lock: a concurrent change may have moved or removed it.
        const target = await membershipOrNotFound(tx, input.membershipId);
        const owners = target.role === 'OWNER' ? await countOwners(tx, target.organizationId) : 0;
        refuse(roleChangeRefusal(actorRole, target.role, input.role, owners));
        if (target.role === input.role) return target;
        const updated = await updateMembershipRole(tx, target.id, input.role);
        await appendAudit(tx, actor, {
          action: 'membership.role_changed',
          targetType: 'Membership',
          targetId: target.id,
          organizationId: target.organizationId,
          details: { userId: target.userId, from: target.role, to: input.role },
        });
        return updated!;
      });
    },

    async removeMember(principal, membershipId) {
      const caller = requireMemberActor(principal);
      const known = await membershipOrNotFound(db, membershipId);
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const actorRole = await lockForChange(tx, known.organizationId, principal);
        const target = await membershipOrNotFound(tx, membershipId);
        // Leaving is the user's own act: an organization key never makes its creator leave, nor a
        // personal key that reaches neither the user's account (`user`) nor this organization.
        const ownAct = principal.kind === 'user' && (principal.apiKey === undefined || principal.apiKey.user || actorRole !== null);
        const leaving = caller.self && ownAct && target.userId === caller.holderId;
        const owners = target.role === 'OWNER' ? await countOwners(tx, target.organizationId) : 0;
        refuse(removalRefusal(actorRole, target.role, leaving, owners));
        await deleteMembership(tx, target.id);
        await appendAudit(tx, actor, {
          action: 'membership.removed',
          targetType: 'Membership',
          targetId: target.id,
          organizationId: target.organizationId,
          details: { userId: target.userId, role: target.role, leaving },
        });
        return true;
      });
    },
  };
}
