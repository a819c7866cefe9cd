// Invitations: how users join an organization, by consent. An invitation names an email
// address, creates no user and reads nothing about the address, so an address with an account
// and one without are answered alike; only the invitee (that email, verified) can accept it.
import { randomUUID } from 'node:crypto';
import { requireEmail } from '../domain/email.js';
import { isUuid } from '../domain/ids.js';
import { inviteRefusal, isInvitee, responseRefusal, revokeRefusal } from '../domain/policy.js';
import type { Invitation, Membership, MembershipRole, Principal, User } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { closeInvitation, findInvitation, upsertPendingInvitation } from '../db/invitations.js';
import { findMembership, insertMembership } from '../db/memberships.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { UserStore, UsersInTransaction } from '../db/userStore.js';
import { actorOf, currentRole, lockForChange, organizationNotFound, refuse, requireMemberActor, requireSelfUser } from './guards.js';

export interface InvitationService {
  /**
   * OWNER or ADMIN; only an OWNER invites an OWNER. A pending invitation to the same address is
   * renewed (same id, new role and expiry). @throws BAD_USER_INPUT (invalid_email), NOT_FOUND
   * (organization), FORBIDDEN (role_required, owner_required, user_required), UNAUTHENTICATED
   */
  invite(principal: Principal, input: { organizationId: string; email: string; role: MembershipRole }): Promise<Invitation>;
  /**
   * The invitee joins with the invitation's role; one already a member keeps membership and
   * role. Accepting an accepted invitation again answers the membership while it exists.
   * @throws FORBIDDEN (not_invitee for anyone else and unknown ids, invitation_expired, invitation_not_pending)
   */
  accept(principal: Principal, id: string): Promise<Membership>;
  /** The invitee. @throws FORBIDDEN (as accept) */
  decline(principal: Principal, id: string): Promise<boolean>;
  /** OWNER or ADMIN of its organization. @throws FORBIDDEN (role_required also for unknown ids, invitation_not_pending) */
  revoke(principal: Principal, id: string): Promise<boolean>;
}

export interface InvitationServiceOptions {
  db: Database;
  /** The user store: the invitee's row (their verified email) is read through it. */
  users: UserStore;
  /** How long an invitation can be accepted (INVITATION_TTL_HOURS). */
  ttlHours: number;
  /** The clock expiry is measured with; default Date.now. */
  now?: () => number;
}

export function createInvitationService(options: InvitationServiceOptions): InvitationService {
  const { db, users } = options;
  const clock = () => new Date((options.now ?? Date.now)());

  async function userRow(userId: string): Promise<User | null> {
    return (await users.findByIds([userId]))[0] ?? null;
  }

  /** Refuses anyone but the invitee (unknown ids alike) before any lock is taken. */
  async function requireInvitee(principal: Principal, id: string) {
    const caller = requireSelfUser(principal);
    const known = isUuid(id) ? await findInvitation(db, id, clock()) : null;
    if (known === null || !isInvitee(known, await userRow(caller.userId))) refuse('not_invitee');
    return { caller, known: known! };
  }

  /** The invitation re-read and locked in `tx`, as its invitee may answer it now. */
  async function lockForResponse(tx: Queryable, rows: UsersInTransaction, id: string, userId: string, response: 'accept' | 'decline'): Promise<Invitation> {
    const invitation = await findInvitation(tx, id, clock(), { forUpdate: true });
    refuse(responseRefusal(invitation, await rows.find(userId), response));
    return invitation!;
  }

  return {
    async invite(principal, input) {
      requireMemberActor(principal);
      const email = requireEmail(input.email);
      if (!isUuid(input.organizationId)) throw organizationNotFound();
      const actor = actorOf(principal);
      // Never a read of users: the answer and the statements run are the same for every address.
      return db.transaction(async (tx) => {
        refuse(inviteRefusal(await lockForChange(tx, input.organizationId, principal), input.role));
        const createdAt = clock();
        const expiresAt = new Date(createdAt.getTime() + options.ttlHours * 3_600_000);
        const { invitation, renewed } = await upsertPendingInvitation(tx, {
          id: randomUUID(),
          organizationId: input.organizationId,
          email,
          role: input.role,
          createdAt,
          expiresAt,
        });
        // No email in the append-only log: erasing a person must be able to erase their address.
        await appendAudit(tx, actor, {
          action: renewed ? 'invitation.renewed' : 'invitation.created',
          targetType: 'Invitation',
          targetId: invitation.id,
          organizationId: invitation.organizationId,
          details: { role: invitation.role, expiresAt: invitation.expiresAt.toISOString() },
        });
        return invitation;
      });
    },

    async accept(principal, id) {
      const { caller, known } = await requireInvitee(principal, id);
      const actor = actorOf(principal);
      return users.transaction(async (tx, rows) => {
        // The organization lock first, as every membership change takes it: concurrent
        // acceptances run one after another and the second finds the first's membership.
        await lockForChange(tx, known.organizationId, principal);
        const invitation = await lockForResponse(tx, rows, id, caller.userId, 'accept');
        const existing = await findMembership(tx, invitation.organizationId, caller.userId);
        if (invitation.status === 'ACCEPTED') {
          if (existing === null) refuse('invitation_not_pending');
          return existing!;
        }
        // A member already keeps their role: an invitation never demotes (or promotes) anyone.
        const membership =
          existing ?? (await insertMembership(tx, { id: randomUUID(), organizationId: invitation.organizationId, userId: caller.userId, role: invitation.role }))!;
        await closeInvitation(tx, invitation.id, 'ACCEPTED');
        await appendAudit(tx, actor, {
          action: 'invitation.accepted',
          targetType: 'Invitation',
          targetId: invitation.id,
          organizationId: invitation.organizationId,
          details: { membershipId: membership.id, role: membership.role },
        });
        if (existing === null) {
          await appendAudit(tx, actor, {
            action: 'membership.added',
            targetType: 'Membership',
            targetId: membership.id,
            organizationId: invitation.organizationId,
            details: { userId: caller.userId, role: membership.role, via: 'invitation', invitationId: invitation.id },
          });
        }
        return membership;
      });
    },

    async decline(principal, id) {
      const { caller } = await requireInvitee(principal, id);
      const { impersonator } = actorOf(principal);
      return users.transaction(async (tx, rows) => {
        const invitation = await lockForResponse(tx, rows, id, caller.userId, 'decline');
        if (invitation.status === 'DECLINED') return true;
        await closeInvitation(tx, invitation.id, 'DECLINED');
        // The organization reads this log: a decline must not hand it the decliner's user id.
        await appendAudit(tx, { type: 'user', id: null, impersonator }, {
          action: 'invitation.declined',
          targetType: 'Invitation',
          targetId: invitation.id,
          organizationId: invitation.organizationId,
        });
        return true;
      });
    },

    async revoke(principal, id) {
      requireMemberActor(principal);
      const known = isUuid(id) ? await findInvitation(db, id, clock()) : null;
      // Checked before any lock, so a stranger holding an id cannot stall the organization.
      const role = known === null ? null : await currentRole(db, known.organizationId, principal);
      refuse(revokeRefusal(role, known));
      const actor = actorOf(principal);
      return db.transaction(async (tx) => {
        const actorRole = await lockForChange(tx, known!.organizationId, principal);
        const invitation = await findInvitation(tx, id, clock(), { forUpdate: true });
        refuse(revokeRefusal(actorRole, invitation));
        if (invitation!.status === 'REVOKED') return true;
        await closeInvitation(tx, invitation!.id, 'REVOKED');
        await appendAudit(tx, actor, {
          action: 'invitation.revoked',
          targetType: 'Invitation',
          targetId: invitation!.id,
          organizationId: invitation!.organizationId,
          details: { role: invitation!.role },
        });
        return true;
      });
    },
  };
}
