// Decides what each line of a batch does against what the database holds: create the user,
// complete it (add what is missing, never overwrite what sign-ins may have changed), leave it
// unchanged, or skip it. Pure. A line sharing a key with an earlier one waits for the next batch.
// A deleted user is never touched: its id stays retired, whoever the line would find.
import { randomUUID } from 'node:crypto';
import type { AuditEvent, ExternalIdentity, Membership, User } from '../domain/types.js';
import type { ImportRecord, LineProblem } from './record.js';

/** What an import line may say of a person: a user's, and each new identity's, recorded fields. */
type Profile = Pick<User, 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName'>;

export interface ExistingUser extends Pick<User, 'id'>, Profile {
  /** A deleted user's tombstone. */
  deleted: boolean;
}

/** What the database holds about a batch's keys. */
export interface Snapshot {
  /** Users by id: the lines' ids and every holder below. */
  users: ReadonlyMap<string, ExistingUser>;
  /** `issuer\0subject` → user id. */
  identityHolders: ReadonlyMap<string, string>;
  /** Verified email → user id (tombstones hold none), for every email of the batch. */
  verifiedEmailHolders: ReadonlyMap<string, string>;
  /** `organizationId\0userId` of every pair that ever had a membership (membership_history). */
  memberships: ReadonlySet<string>;
  organizations: ReadonlySet<string>;
}

export type Outcome = 'created' | 'updated' | 'unchanged';

export interface BatchWrites {
  /** `createdAt` null: the line gave none (the database's now). */
  newUsers: (Pick<User, 'id'> & Profile & { createdAt: Date | null })[];
  /** Completed users; `before` guards against a change made meanwhile. */
  userUpdates: { id: string; before: ExistingUser; after: ExistingUser }[];
  identities: (ExternalIdentity & Profile)[];
  memberships: Omit<Membership, 'createdAt'>[];
  /** Entries of the audit log (the batch's transaction adds who and when). */
  audit: Pick<AuditEvent, 'action' | 'targetType' | 'targetId' | 'organizationId' | 'details'>[];
}

export interface BatchPlan {
  outcomes: { line: number; outcome: Outcome }[];
  problems: LineProblem[];
  /** Lines to plan again in the next batch, in order. */
  deferred: ImportRecord[];
  writes: BatchWrites;
}

export const identityKey = (issuer: string, subject: string): string => `${issuer}\u0000${subject}`;
export const membershipKey = (organizationId: string, userId: string): string => `${organizationId}\u0000${userId}`;

function keysOf(record: ImportRecord): string[] {
  const keys = [`u:${record.id}`];
  if (record.email !== null) keys.push(`e:${record.email}`);
  for (const identity of record.identities) keys.push(`i:${identityKey(identity.issuer, identity.subject)}`);
  return keys;
}

/** The existing user a line refers to, null for a new one, or why it cannot be told. */
function findTarget(record: ImportRecord, snapshot: Snapshot): ExistingUser | null | LineProblem {
  const fail = (reason: LineProblem['reason'], detail: string): LineProblem => ({ line: record.line, reason, detail });
  const holders = new Set<string>();
  for (const identity of record.identities) {
    const holder = snapshot.identityHolders.get(identityKey(identity.issuer, identity.subject));
    if (holder !== undefined) holders.add(holder);
  }
  // Given or derived, an id that names a tombstone stays retired: the line changes nothing.
  const retired = (id: string) => snapshot.users.get(id)?.deleted === true;
  if (retired(record.id) || [...holders].some(retired)) return fail('deleted', 'the id names a deleted user; it stays retired');
  const verifiedHolder = record.email === null ? undefined : snapshot.verifiedEmailHolders.get(record.email);
  // Another user holding the email verified: a verified line joins or conflicts with them, as a
  // sign-in would; an unverified one never joins (nor takes) anybody's verified email.
  const emailMeets = (ownId: string | undefined): LineProblem | null => {
    if (verifiedHolder === undefined || verifiedHolder === ownId) return null;
    return record.emailVerified
      ? fail('conflict_email', 'the verified email belongs to another user')
      : fail('email_not_verified', 'the email is not verified and another user holds it verified');
  };
  let targetId: string | undefined;
  if (record.idGiven) {
    if ([...holders].some((holder) => holder !== record.id)) return fail('conflict_identity', 'an identity belongs to another user');
    const meets = emailMeets(record.id);
    if (meets !== null) return meets;
    targetId = record.id;
  } else {
    if (holders.size > 1) return fail('conflict_identity', 'the identities belong to different users');
    const [holder] = holders;
    // Without an identity holder, a verified line joins the email's holder; else the id derived
    // from this very line on an earlier run.
    const ownId = holder ?? (record.emailVerified ? (verifiedHolder ?? record.id) : record.id);
    const meets = emailMeets(ownId);
    if (meets !== null) return meets;
    targetId = ownId;
  }
  const target = snapshot.users.get(targetId) ?? null;
  if (target !== null && target.email !== null && record.email !== null && target.email !== record.email) {
    return record.idGiven ? fail('conflict_id', 'the id belongs to a user with another email') : fail('conflict_identity', 'an identity belongs to a user with another email');
  }
  return target;
}

function emptyWrites(): BatchWrites {
  return { newUsers: [], userUpdates: [], identities: [], memberships: [], audit: [] };
}

/** Plans a batch, in file order. */
export function planBatch(records: readonly ImportRecord[], snapshot: Snapshot): BatchPlan {
  const plan: BatchPlan = { outcomes: [], problems: [], deferred: [], writes: emptyWrites() };
  const { writes } = plan;
  const claimed = new Set<string>();

  for (const record of records) {
    const unknownOrg = record.memberships.find((m) => !snapshot.organizations.has(m.organizationId));
    if (unknownOrg !== undefined) {
      plan.problems.push({ line: record.line, reason: 'unknown_organization', detail: `memberships: no organization ${unknownOrg.organizationId}` });
      continue;
    }
    const target = findTarget(record, snapshot);
    if (target !== null && 'reason' in target) {
      plan.problems.push(target);
      continue;
    }
    const keys = keysOf(record);
    if (target !== null) keys.push(`u:${target.id}`);
    const waits = keys.some((key) => claimed.has(key));
    for (const key of keys) claimed.add(key);
    if (waits) {
      plan.deferred.push(record);
      continue;
    }

    const userId = target?.id ?? record.id;
    const identities = record.identities.filter((i) => !snapshot.identityHolders.has(identityKey(i.issuer, i.subject)));
    const memberships = record.memberships.filter((m) => target === null || !snapshot.memberships.has(membershipKey(m.organizationId, userId)));
    let after: ExistingUser | null = null;
    if (target === null) {
      writes.newUsers.push({
        id: userId,
        email: record.email,
        emailVerified: record.emailVerified,
        name: record.name,
        givenName: record.givenName,
        familyName: record.familyName,
        createdAt: record.createdAt,
      });
    } else {
      after = {
        id: target.id,
        email: target.email ?? record.email,
        emailVerified: target.email === null ? record.emailVerified : target.emailVerified || (target.email === record.email && record.emailVerified),
        name: target.name ?? record.name,
        givenName: target.givenName ?? record.givenName,
        familyName: target.familyName ?? record.familyName,
        deleted: false,
      };
      const same =
        after.email === target.email &&
        after.emailVerified === target.emailVerified &&
        after.name === target.name &&
        after.givenName === target.givenName &&
        after.familyName === target.familyName;
      if (same) after = null;
      else writes.userUpdates.push({ id: target.id, before: target, after });
    }
    for (const identity of identities) {
      const { email, emailVerified, name, givenName, familyName } = record;
      writes.identities.push({ id: randomUUID(), userId, ...identity, email, emailVerified, name, givenName, familyName });
    }
    for (const membership of memberships) {
      writes.memberships.push({ id: randomUUID(), organizationId: membership.organizationId, userId, role: membership.role });
    }
    const outcome: Outcome = target === null ? 'created' : after !== null || identities.length > 0 || memberships.length > 0 ? 'updated' : 'unchanged';
    if (outcome !== 'unchanged') {
      writes.audit.push({
        action: 'user.imported',
        targetType: 'User',
        targetId: userId,
        organizationId: null,
        details: { created: outcome === 'created', line: record.line, identities: identities.length, memberships: memberships.length },
      });
    }
    plan.outcomes.push({ line: record.line, outcome });
  }
  return plan;
}
