// The effects of IdP events (idp-events.md, "Events and their effects"), each run inside the one
// transaction that records the event: the target's watermark first (an older event changes
// nothing), then the change and its audit row. Lifecycle changes to publish after the commit are
// collected in `changes`.
import type { IdpEffect, IdpEvent } from '../domain/idpEvents.js';
import type { Actor } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { advanceWatermark, type EventTargetKind } from '../db/idpEvents.js';
import { blockJitMembership, countIdentities, deleteIdentity } from '../db/idpProfiles.js';
import { findUserIdByIdentity } from '../db/lifecycle.js';
import type { LifecycleChange } from '../db/lifecycleFeed.js';
import { countOwners, deleteMembership, findMembership } from '../db/memberships.js';
import { lockOrganization } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { organizationSubject, upsertRevocation, type RevocationKind } from '../db/revocations.js';
import { findSsoByExternalOrganization } from '../db/sso.js';
import type { UsersInTransaction } from '../db/userStore.js';
import { eraseCounted, isLastOwner, lockMembershipsOf } from './erasure.js';

export interface EffectContext {
  tx: Queryable;
  rows: UsersInTransaction;
  /** The `workos` entry: its `iss` (identities, revocations) and name (SSO bindings). */
  issuer: { issuer: string; name: string };
  event: IdpEvent;
  actor: Actor;
  maxTokenAgeSeconds: number;
  changes: LifecycleChange[];
}

/** What an event did, recorded with it (idp_events.outcome) and logged. */
export type Outcome =
  | 'ignored'
  | 'unusable'
  | 'stale'
  | 'unknown_user'
  | 'unknown_organization'
  | 'session_revoked'
  | 'identity_erased'
  | 'user_deleted'
  | 'user_suspended_last_owner'
  | 'user_updated'
  | 'unchanged'
  | 'email_taken'
  | 'membership_removed'
  | 'not_member'
  | 'removal_refused_last_owner';

const newer = (c: EffectContext, kind: EventTargetKind, key: string) =>
  advanceWatermark(c.tx, { issuer: c.issuer.issuer, kind, key }, { id: c.event.id, createdAt: c.event.createdAt });

async function revoke(c: EffectContext, kind: RevocationKind, issuer: string, subject: string, at?: Date): Promise<void> {
  const stored = await upsertRevocation(c.tx, { kind, issuer, subject, at: at ?? null }, c.maxTokenAgeSeconds);
  c.changes.push({ type: 'revocation', ...stored });
}

async function sessionRevoked(c: EffectContext, sessionId: string): Promise<Outcome> {
  if (!(await newer(c, 'session', sessionId))) return 'stale';
  await revoke(c, 'session', c.issuer.issuer, sessionId);
  const subject = typeof c.event.data['user_id'] === 'string' ? c.event.data['user_id'] : null;
  const userId = subject === null ? null : await findUserIdByIdentity(c.tx, c.issuer.issuer, subject);
  await appendAudit(c.tx, c.actor, {
    action: 'sessions.revoked',
    targetType: userId !== null ? 'User' : 'Session',
    targetId: userId ?? sessionId,
    details: { via: 'workos', provider: c.issuer.name, sid: sessionId },
  });
  return 'session_revoked';
}

/** The identity's tokens stop: those naming it, and the platform tokens of its sign-ins. */
async function eraseIdentity(c: EffectContext, userId: string, subject: string): Promise<void> {
  await deleteIdentity(c.tx, c.issuer.issuer, subject);
  await revoke(c, 'identity', c.issuer.issuer, subject);
  await revoke(c, 'user', c.issuer.issuer, userId);
}

async function userDeleted(c: EffectContext, subject: string): Promise<Outcome> {
  if (!(await newer(c, 'user', subject))) return 'stale';
  const userId = await findUserIdByIdentity(c.tx, c.issuer.issuer, subject);
  const user = userId === null ? null : await c.rows.lock(userId);
  if (user === null) return 'unknown_user';
  if ((await countIdentities(c.tx, user.id)) > 1) {
    await eraseIdentity(c, user.id, subject);
    await appendAudit(c.tx, c.actor, { action: 'identity.unlinked', targetType: 'User', targetId: user.id, details: { via: 'workos', provider: c.issuer.name } });
    return 'identity_erased';
  }
  const counted = await lockMembershipsOf(c.tx, user.id);
  if (isLastOwner(counted)) {
    // lifecycle.md: a last OWNER is not deleted; the IdP's person is gone, so the account stops.
    await eraseIdentity(c, user.id, subject);
    if (user.status !== 'suspended') await c.rows.setStatus(user.id, 'suspended');
    await appendAudit(c.tx, c.actor, { action: 'user.suspended', targetType: 'User', targetId: user.id, details: { reason: 'LAST_OWNER', via: 'workos', provider: c.issuer.name } });
    c.changes.push({ type: 'status', userId: user.id, status: 'suspended', deletedAt: null });
    return 'user_suspended_last_owner';
  }
  const erased = await eraseCounted(c.tx, c.rows, c.actor, user, counted, c.maxTokenAgeSeconds);
  for (const revocation of erased.revocations) c.changes.push({ type: 'revocation', ...revocation });
  c.changes.push({ type: 'status', userId: user.id, status: 'deleted', deletedAt: erased.deletedAt });
  return 'user_deleted';
}

async function userUpdated(c: EffectContext, effect: Extract<IdpEffect, { type: 'user.updated' }>): Promise<Outcome> {
  if (!(await newer(c, 'user', effect.subject))) return 'stale';
  const userId = await findUserIdByIdentity(c.tx, c.issuer.issuer, effect.subject);
  const user = userId === null ? null : await c.rows.lock(userId);
  if (user === null) return 'unknown_user';
  let email = user.email;
  let emailVerified = user.emailVerified;
  // interface.md's identity rules; a user with other identities keeps the email they hold.
  if (effect.email !== null && (await countIdentities(c.tx, user.id)) === 1) {
    if (effect.email === user.email) {
      emailVerified = user.emailVerified || effect.emailVerified;
    } else {
      const holder = await c.rows.lockByVerifiedEmail(effect.email);
      // Another user's verified email is never taken, nor merged: the event is skipped.
      if (holder !== null && holder.id !== user.id) return 'email_taken';
      // An unverified address never replaces a verified one.
      if (!(user.emailVerified && !effect.emailVerified)) {
        email = effect.email;
        emailVerified = effect.emailVerified;
      }
    }
  }
  const written = await c.rows.writeIdpProfile(user.id, { email, emailVerified, names: effect.names });
  if (written === null) return 'unknown_user';
  const emailChanged = written.user.email !== user.email || written.user.emailVerified !== user.emailVerified;
  if (!emailChanged && !written.namesChanged) return 'unchanged';
  await appendAudit(c.tx, c.actor, {
    action: 'user.updated',
    targetType: 'User',
    targetId: user.id,
    details: { via: 'workos', provider: c.issuer.name, emailChanged, nameChanged: written.namesChanged },
  });
  return 'user_updated';
}

async function membershipRemoved(c: EffectContext, effect: Extract<IdpEffect, { type: 'membership.removed' }>): Promise<Outcome> {
  const binding = await findSsoByExternalOrganization(c.tx, c.issuer.name, effect.externalOrganizationId);
  if (binding === null) return 'unknown_organization';
  const userId =
    'subject' in effect.member
      ? await findUserIdByIdentity(c.tx, c.issuer.issuer, effect.member.subject)
      : ((await c.rows.lockByVerifiedEmail(effect.member.email))?.id ?? null);
  if (userId === null) return 'unknown_user';
  const organizationId = binding.organizationId;
  if (!(await newer(c, 'membership', `${organizationId} ${userId}`))) return 'stale';
  if ((await lockOrganization(c.tx, organizationId)) === null) return 'unknown_organization';
  const membership = await findMembership(c.tx, organizationId, userId);
  if (membership === null) {
    // Never created by a later sign-in either (interface.md, JIT membership): an admin adds them back.
    await blockJitMembership(c.tx, organizationId, userId);
    return 'not_member';
  }
  const base = { targetType: 'Membership', targetId: membership.id, organizationId };
  if (membership.role === 'OWNER' && (await countOwners(c.tx, organizationId)) <= 1) {
    await appendAudit(c.tx, c.actor, { action: 'membership.removal_refused', ...base, details: { reason: 'LAST_OWNER', userId, via: 'workos', event: c.event.type } });
    return 'removal_refused_last_owner';
  }
  await deleteMembership(c.tx, membership.id);
  await revoke(c, 'organization', c.issuer.issuer, organizationSubject(userId, effect.externalOrganizationId));
  await appendAudit(c.tx, c.actor, { action: 'membership.removed', ...base, details: { userId, role: membership.role, via: 'workos', event: c.event.type } });
  return 'membership_removed';
}

export function applyEffect(c: EffectContext, effect: IdpEffect): Promise<Outcome> {
  switch (effect.type) {
    case 'session.revoked':
      return sessionRevoked(c, effect.sessionId);
    case 'user.deleted':
      return userDeleted(c, effect.subject);
    case 'user.updated':
      return userUpdated(c, effect);
    case 'membership.removed':
      return membershipRemoved(c, effect);
    case 'ignored':
      return Promise.resolve(effect.why === 'unusable' ? 'unusable' : 'ignored');
  }
}
