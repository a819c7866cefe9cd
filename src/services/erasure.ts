// Erasing a user inside a transaction (lifecycle.md, Deleted): shared by deleteUser/deleteViewer
// and by the IdP's `user.deleted` event (idp-events.md), which decides differently what a last
// OWNER's deletion becomes.
import type { Actor, User } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { findIdentitiesByUserIds } from '../db/identities.js';
import { deleteInvitationsTo, deleteOrganizations, findMembershipsWithCounts, scrubAuditRows } from '../db/lifecycle.js';
import { lockOrganization } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { upsertRevocation, type Revocation } from '../db/revocations.js';
import type { UsersInTransaction } from '../db/userStore.js';

export type CountedMemberships = Awaited<ReturnType<typeof findMembershipsWithCounts>>;

/** Locks the user's organizations (in id order), then counts their other members and OWNERs. */
export async function lockMembershipsOf(tx: Queryable, userId: string): Promise<CountedMemberships> {
  const organizations = await findMembershipsWithCounts(tx, userId);
  for (const { organizationId } of organizations) await lockOrganization(tx, organizationId);
  return findMembershipsWithCounts(tx, userId);
}

/** The user is the last OWNER of an organization that has other members (LAST_OWNER). */
export function isLastOwner(counted: CountedMemberships): boolean {
  return counted.some((m) => m.role === 'OWNER' && m.otherOwners === 0 && m.otherMembers > 0);
}

/**
 * Erases a locked user whose memberships were counted under lock (not a last OWNER): their
 * organizations without other members, invitations to their email, identities, personal data
 * (the tombstone stays), audit rows scrubbed; every token of theirs and of their identities
 * issued up to now stops. Returns the deletion time and the revocations to publish.
 */
export async function eraseCounted(
  tx: Queryable,
  rows: UsersInTransaction,
  actor: Actor,
  user: User,
  counted: CountedMemberships,
  maxTokenAgeSeconds: number,
): Promise<{ deletedAt: number; revocations: Revocation[] }> {
  const userId = user.id;
  const orphaned = counted.filter((m) => m.otherMembers === 0).map((m) => m.organizationId);
  await deleteOrganizations(tx, orphaned);
  for (const organizationId of orphaned) {
    await appendAudit(tx, actor, { action: 'organization.deleted', targetType: 'Organization', targetId: organizationId, organizationId, details: { reason: 'last_member_deleted' } });
  }
  if (user.email !== null) await deleteInvitationsTo(tx, user.email);
  const identities = await findIdentitiesByUserIds(tx, [userId]);
  const deletedAt = await rows.erase(userId);
  await scrubAuditRows(tx, user);
  const at = new Date(deletedAt);
  // The identities' tokens issued up to now stop too, on every replica: one whose cache
  // never bound the identity to this user would otherwise provision a new user for an
  // old token (lifecycle.md: tokens issued before the deletion answer 401 revoked).
  const revocations = [await upsertRevocation(tx, { kind: 'user', issuer: '', subject: userId, at }, maxTokenAgeSeconds)];
  for (const identity of identities) {
    revocations.push(await upsertRevocation(tx, { kind: 'identity', issuer: identity.issuer, subject: identity.subject, at }, maxTokenAgeSeconds));
  }
  await appendAudit(tx, actor, { action: 'user.deleted', targetType: 'User', targetId: userId, details: { organizationsDeleted: orphaned.length } });
  return { deletedAt, revocations };
}
