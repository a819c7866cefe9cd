// A user's sessions (idp-events.md, Sessions): the list, and ending one of them alone. Ending a
// session is the revocation of its sid that a back-channel logout makes (kind 'session'), so every
// replica hears it at commit (LISTEN/NOTIFY) and stops that session's IdP and platform tokens.
import { AppError, authenticationRequired } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { canRevokeSession, canSeeSessions } from '../domain/policy.js';
import type { Principal, Session } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import type { LifecycleFeed } from '../db/lifecycleFeed.js';
import type { Database } from '../db/queryable.js';
import { upsertRevocation } from '../db/revocations.js';
import { listSessionsOfUser, lockSession, purgeSessions, type SessionRow } from '../db/sessions.js';
import { actorOf } from './guards.js';
import { decodeCursor, pageSize, toPage, type Page, type PagedList } from './pagination.js';
import { createSessionRecorder, type SessionRecorder } from './sessionRecorder.js';
import { sessionIssuerOf } from './sessions.js';

/** A listed session: its place in the list keys the cursor. */
export type ListedSession = Session & { seq: number };

const SESSIONS: PagedList<ListedSession> = { name: 'session', keyOf: (session) => String(session.seq), isKey: (key) => /^[1-9][0-9]{0,17}$/.test(key) };

export interface SessionService {
  /** The sessions this service admitted; admitted requests report to it. */
  readonly recorder: SessionRecorder;
  /**
   * The user, or users:admin: their sessions, newest first; revoked ones stay listed
   * MAX_TOKEN_AGE_SECONDS. @throws FORBIDDEN (missing_scope), BAD_USER_INPUT (first, after)
   */
  sessions(principal: Principal, userId: string, args: { first?: number | null; after?: string | null }): Promise<Page<ListedSession>>;
  /**
   * The session's user, or users:admin: that session's tokens stop, and no other's. True when
   * revoked, now or before. @throws UNAUTHENTICATED, NOT_FOUND (unknown, or someone else's)
   */
  revokeSession(principal: Principal, id: string): Promise<boolean>;
  /** Writes the sightings waiting and stops purging. */
  close(): Promise<void>;
}

export interface SessionServiceOptions {
  db: Database;
  /** Where committed revocations are published (this process's session view; replicas hear the database). */
  feed: LifecycleFeed;
  /** How long revoked sessions stay listed, and idle ones are kept (MAX_TOKEN_AGE_SECONDS). */
  maxTokenAgeSeconds: number;
  /** The clock sessions are stamped by (tests move it). */
  now?: () => number;
  /** How often a session's last seen is stamped, at most; default 60 s. */
  stampIntervalMs?: number;
  /** How often rows past retention are purged; default 60 s. */
  purgeIntervalMs?: number;
}

const notFound = () => new AppError('NOT_FOUND', { message: 'No such session.' });

/** Whether a row is the session of the request asking. */
function isCurrent(principal: Principal, row: SessionRow): boolean {
  if (principal.kind !== 'user' || principal.userId !== row.userId) return false;
  return principal.claims.sessionId === row.sid && sessionIssuerOf(principal.claims) === row.iss;
}

export function createSessionService(options: SessionServiceOptions): SessionService {
  const { db, feed, maxTokenAgeSeconds } = options;
  const recorder = createSessionRecorder({ db, now: options.now, stampIntervalMs: options.stampIntervalMs });
  const purge = setInterval(() => purgeSessions(db, maxTokenAgeSeconds).catch(() => undefined), options.purgeIntervalMs ?? 60_000);
  purge.unref();

  return {
    recorder,

    async sessions(principal, userId, args) {
      if (!canSeeSessions(principal, userId)) throw new AppError('FORBIDDEN', { reason: 'missing_scope' });
      const limit = pageSize(args.first, 20);
      const after = decodeCursor(SESSIONS, args.after);
      // This replica's sightings still waiting are listed too (the asking session's first of all).
      await recorder.flush();
      const rows = await listSessionsOfUser(db, userId, { beforeSeq: after === null ? null : Number(after), limit: limit + 1, retentionSeconds: maxTokenAgeSeconds });
      const listed = rows.map((row): ListedSession => ({
        id: row.id,
        seq: row.seq,
        userId: row.userId,
        issuer: row.issuerName,
        firstSeenAt: row.firstSeenAt,
        lastSeenAt: row.lastSeenAt,
        revokedAt: row.revokedAt,
        current: isCurrent(principal, row),
      }));
      return toPage(SESSIONS, listed, limit);
    },

    async revokeSession(principal, id) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      if (!isUuid(id)) throw notFound();
      const revocation = await db.transaction(async (tx) => {
        const session = await lockSession(tx, id);
        if (session === null || !canRevokeSession(principal, session.userId)) throw notFound();
        // Revoked already (here, by a logout or an IdP event): nothing changes.
        if (session.revokedAt !== null) return null;
        // The sid's revocation row marks the session revoked too (migration 009's trigger).
        const stored = await upsertRevocation(tx, { kind: 'session', issuer: session.iss, subject: session.sid }, maxTokenAgeSeconds);
        await appendAudit(tx, actorOf(principal), {
          action: 'sessions.revoked',
          targetType: 'Session',
          targetId: session.id,
          details: { via: 'revokeSession', userId: session.userId, issuer: session.issuerName },
        });
        return stored;
      });
      if (revocation !== null) feed.publish({ type: 'revocation', ...revocation });
      return true;
    },

    async close() {
      clearInterval(purge);
      await recorder.flush();
    },
  };
}
