// Finds the user of a verified identity, or provisions user + identity (+ JIT membership). Races
// between replicas are settled by the database's unique keys, never by in-process locks: a losing
// transaction rolls back and the attempt is retried, which then finds the winner's row.
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { decideNewIdentity, profileChanged, recordedProfile } from '../domain/linking.js';
import { requireEmail } from '../domain/email.js';
import { fitName, MAX_DISPLAY_NAME_LENGTH, personalWorkspaceName } from '../domain/names.js';
import { isUuid } from '../domain/ids.js';
import type { Actor, User, UserClaims } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { isUniqueViolation } from '../db/errors.js';
import { updateIdentitySeen, type BoundIdentity } from '../db/identities.js';
import { grantJitMembership, linkIdentityToHolder } from '../db/provisioning.js';
import type { Database, Queryable } from '../db/queryable.js';
import type { UserStore, UsersInTransaction } from '../db/userStore.js';

export interface ResolvedUser {
  userId: string;
  /** True when this call created the user. */
  created: boolean;
  /**
   * The user's row as this resolution wrote or read it, when it did (not from the identity cache,
   * and not when it changed the profile): the request's view of users starts with it.
   */
  row?: User;
}

export interface UserResolutionOptions {
  db: Database;
  /** Users are read and written through it. */
  users: UserStore;
  now: () => number;
  /** How often a known identity's last-seen time is written. */
  seenIntervalMs: number;
  /** Issuer names whose UUID subjects become the id of the user their first sign-in creates. */
  adoptSubjectAsUserId: ReadonlySet<string>;
  /** PERSONAL_ORGANIZATIONS: a new user's first sign-in also creates their personal workspace. */
  personalOrganizations?: boolean;
  onProvisioned?: (what: 'user' | 'identity') => void;
}

export interface UserResolution {
  /** The user of these claims from the database, provisioning on first sight. */
  resolve(claims: UserClaims): Promise<ResolvedUser>;
  /**
   * Get-or-create a user by email alone (a service's `ensureUser(input)`, `addMember` by email).
   * The email counts as verified. `within`: a caller's transaction of the user store (addMember),
   * else one of its own. @throws AppError BAD_USER_INPUT for a malformed email.
   */
  ensureUserByEmail(
    within: { tx: Queryable; users: UsersInTransaction } | null,
    input: { email: string; name?: string | null },
    actor: Actor,
  ): Promise<{ user: User; created: boolean }>;
}

const MAX_ATTEMPTS = 5;

/** Thrown inside a transaction that lost a race; the attempt is retried. */
class LostRace extends Error {}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await attempt();
    } catch (error) {
      const retryable = error instanceof LostRace || isUniqueViolation(error);
      if (!retryable || i >= MAX_ATTEMPTS) throw retryable ? new AppError('INTERNAL_SERVER_ERROR', { cause: error }) : error;
    }
  }
}

export function createUserResolution(options: UserResolutionOptions): UserResolution {
  const { db, users, now, seenIntervalMs } = options;

  /**
   * Binds a never-seen identity: one atomic statement creates the user with it, unless a user
   * holds the email verified; then the linking rule decides on that holder (a second statement
   * links, re-checking the holder under a lock). A lost race throws for the caller to retry.
   */
  async function provision(claims: UserClaims): Promise<ResolvedUser> {
    const identity = {
      identityId: randomUUID(),
      provider: claims.provider,
      issuer: claims.issuer,
      subject: claims.subject,
      ...recordedProfile(claims),
      externalOrganizationId: claims.externalOrganizationId,
      membershipId: randomUUID(),
    };
    const fresh = decideNewIdentity(claims, null);
    if (fresh.action !== 'create') throw new Error('a new identity without a holder must create a user');
    const userId = await newUserId(claims);
    const user = { id: userId, email: fresh.email, emailVerified: fresh.emailVerified, name: claims.name, givenName: claims.givenName, familyName: claims.familyName };
    // Created by the statement that creates the user: once, whichever racing request wins.
    const workspace = options.personalOrganizations
      ? { organizationId: randomUUID(), membershipId: randomUUID(), name: personalWorkspaceName(user.name, user.email) }
      : null;
    // The store keeps the new row: the user's next requests answer from memory too, not only this one.
    const outcome = await users.provision(user, identity, workspace);
    if (outcome.created) return { userId, created: true, row: outcome.user };
    // A suspended user gains no identity (nothing is provisioned for them).
    if (outcome.holder.status !== 'active') throw new AppError('USER_SUSPENDED');
    const decision = decideNewIdentity(claims, outcome.holder);
    if (decision.action !== 'link' || outcome.holder.email === null) throw new LostRace();
    // Linking writes the identity, not the holder's row.
    if (!(await linkIdentityToHolder(db, { id: decision.userId, email: outcome.holder.email }, identity))) throw new LostRace();
    return { userId: decision.userId, created: false };
  }

  /**
   * A legacy id is kept only while no user holds it (an imported user without this identity, a
   * deleted user's tombstone): an identity is bound by the identity rules, never by its id.
   * A concurrent sign-in taking it meanwhile fails the insert, and the retry decides again.
   */
  async function newUserId(claims: UserClaims): Promise<string> {
    if (options.adoptSubjectAsUserId.has(claims.provider) && isUuid(claims.subject)) {
      const id = claims.subject.toLowerCase();
      if (!(await users.idTaken(id))) return id;
    }
    return randomUUID();
  }

  /** Records a later sign-in; true when it may have changed the user's row. */
  async function syncKnownIdentity(claims: UserClaims, bound: BoundIdentity): Promise<boolean> {
    const changed = profileChanged(bound, claims);
    const needsJit = claims.externalOrganizationId !== null;
    if (!changed && !needsJit) {
      if (now() - bound.lastSeenAt.getTime() > seenIntervalMs) await updateIdentitySeen(db, bound.identityId, claims);
      return false;
    }
    const userId = bound.user.id;
    const actor: Actor = { type: 'user', id: userId, impersonator: null };
    await users.transaction(async (tx, rows) => {
      await updateIdentitySeen(tx, bound.identityId, claims);
      if (changed) {
        const updated = await rows.updateProfile(userId, claims);
        const namesChanged = updated !== null && (updated.name !== bound.user.name || updated.givenName !== bound.user.givenName || updated.familyName !== bound.user.familyName);
        if (updated && (updated.email !== bound.user.email || namesChanged || updated.emailVerified !== bound.user.emailVerified)) {
          await appendAudit(tx, actor, {
            action: 'user.updated',
            targetType: 'User',
            targetId: userId,
            details: { provider: claims.provider, emailChanged: updated.email !== bound.user.email, nameChanged: namesChanged },
          });
        }
      }
      if (claims.externalOrganizationId !== null) {
        // The same statement as a first sign-in's: a member once, never re-created after removal.
        await grantJitMembership(tx, { userId, provider: claims.provider, externalOrganizationId: claims.externalOrganizationId, membershipId: randomUUID() });
      }
    });
    return changed;
  }

  return {
    resolve: (claims) =>
      withRetries(async () => {
        const bound = await users.findIdentity(claims.issuer, claims.subject);
        if (bound !== null) {
          let rowChanged = false;
          // Impersonation never writes: the actor is not the user; nor is a suspended user stamped.
          if (claims.impersonator === null && bound.user.status === 'active') {
            try {
              rowChanged = await syncKnownIdentity(claims, bound);
            } catch (error) {
              // A profile email another user holds verified is simply not taken (the partial
              // unique index settles a race); the identity still resolves to its own user.
              if (!isUniqueViolation(error)) throw error;
              rowChanged = true;
            }
          }
          if (rowChanged) return { userId: bound.user.id, created: false };
          return { userId: bound.user.id, created: false, row: bound.user };
        }
        if (claims.impersonator !== null) throw new AppError('IMPERSONATION_TARGET_UNKNOWN');
        const provisioned = await provision(claims);
        options.onProvisioned?.('identity');
        if (provisioned.created) options.onProvisioned?.('user');
        return provisioned;
      }),

    async ensureUserByEmail(within, input, actor) {
      const email = requireEmail(input.email);
      const name = fitName(input.name ?? '', MAX_DISPLAY_NAME_LENGTH).name;
      const work = async (tx: Queryable, rows: UsersInTransaction) => {
        const existing = await rows.lockByVerifiedEmail(email);
        if (existing !== null) return { user: existing, created: false };
        const user = await rows.insert({ id: randomUUID(), email, emailVerified: true, name });
        await appendAudit(tx, actor, { action: 'user.provisioned', targetType: 'User', targetId: user.id, details: { via: 'email' } });
        options.onProvisioned?.('user');
        return { user, created: true };
      };
      // Inside a caller's transaction (addMember) a lost race aborts that transaction, so the
      // caller retries; on its own it retries here.
      return within !== null ? work(within.tx, within.users) : withRetries(() => users.transaction(work));
    },
  };
}
