// Records the sessions this service admits (idp-events.md, Sessions): first and last seen, each
// session stamped at most once a stamp interval (a minute) per replica, and never on a request's
// path: an admitted request looks its session up in memory and, when it is new or due, queues a
// sighting that is written later with the others due (one statement per batch). A session this
// replica recorded is stamped again by its row id, the cheaper statement.
import { randomUUID } from 'node:crypto';
import type { UserClaims } from '../domain/types.js';
import type { Queryable } from '../db/queryable.js';
import { recordSessionsSeen, stampSessionsSeen, type SessionSighting } from '../db/sessions.js';
import { createBatchedWriter } from '../lib/batchedWriter.js';
import { sessionIssuerOf } from './sessions.js';

export interface SessionRecorderOptions {
  db: Queryable;
  /** How often a session's last seen is stamped, at most; default 60 s. */
  stampIntervalMs?: number;
  /** How long sightings wait to be written together; default 1 s (500 waiting are written at once). */
  delayMs?: number;
  /** Sessions remembered as stamped; past it the stale ones are forgotten (default 100,000). */
  maxEntries?: number;
  now?: () => number;
}

export interface SessionRecorder {
  /**
   * An admitted user request: its session (the token's `sid`) is recorded when new, its last seen
   * stamped when due. A map lookup when neither: no statement, no promise.
   */
  seen(userId: string, claims: UserClaims): void;
  /** Writes the sightings waiting (a session list reads after it; shutdown; tests). */
  flush(): Promise<void>;
}


/** The configured name a token's session shows: its issuer's, or a platform token's IdP's. */
const issuerNameOf = (claims: UserClaims): string => claims.idp ?? claims.provider;

interface Stamped {
  iss: string;
  userId: string;
  /** When the session is next stamped (ms). */
  dueAt: number;
  /** Its row, once this replica has recorded it: later stamps update it by id. */
  rowId: string | null;
}

/** A sighting as queued: the row to stamp when known, else recorded as new or known by (iss, sid, user). */
type Queued = SessionSighting & { rowId: string | null };

export function createSessionRecorder(options: SessionRecorderOptions): SessionRecorder {
  const now = options.now ?? Date.now;
  const intervalMs = options.stampIntervalMs ?? 60_000;
  const delayMs = options.delayMs ?? 1000;
  const maxEntries = options.maxEntries ?? 100_000;
  // sid → the session last stamped with it (a sid shared by two issuers or users only costs stamps).
  const stamped = new Map<string, Stamped>();
  /** Writes a batch: the stamps of known rows, then the sightings of the others (and of rows gone since), remembering their rows. */
  async function write(batch: ReadonlyMap<string, Queued>): Promise<void> {
    const queued = [...batch.values()];
    const known = queued.filter((sighting) => sighting.rowId !== null);
    const found = await stampSessionsSeen(options.db, known.map((sighting) => ({ id: sighting.rowId!, seenAt: sighting.seenAt })));
    const rest = queued.filter((sighting) => sighting.rowId === null || !found.has(sighting.rowId));
    for (const row of await recordSessionsSeen(options.db, rest)) {
      const entry = stamped.get(row.sid);
      if (entry !== undefined && entry.iss === row.iss && entry.userId === row.userId) entry.rowId = row.id;
    }
  }
  // (iss, sid, user) → its sighting waiting to be written.
  const sightings = createBatchedWriter<string, Queued>({
    delayMs,
    write,
    onNotWritten(_key, sighting) {
      // Not written (the database is down): the session's next request queues it again.
      const entry = stamped.get(sighting.sid);
      if (entry !== undefined && entry.iss === sighting.iss && entry.userId === sighting.userId) stamped.delete(sighting.sid);
    },
  });

  function bound(at: number): void {
    if (stamped.size < maxEntries) return;
    // Sessions not stamped for an interval are re-stamped on their next request anyway.
    for (const [sid, entry] of stamped) if (entry.dueAt <= at) stamped.delete(sid);
    if (stamped.size >= maxEntries) stamped.clear();
  }

  return {
    seen(userId, claims) {
      const sid = claims.sessionId;
      // No sid: no session to name. Impersonated requests write nothing (identity.ts).
      if (sid === null || claims.impersonator !== null) return;
      const at = now();
      const iss = sessionIssuerOf(claims);
      const entry = stamped.get(sid);
      const same = entry !== undefined && entry.userId === userId && entry.iss === iss;
      if (same && at < entry.dueAt) return;
      bound(at);
      const rowId = same ? entry.rowId : null;
      stamped.set(sid, { iss, userId, dueAt: at + intervalMs, rowId });
      const key = `${iss}\u0000${sid}\u0000${userId}`;
      const waiting = sightings.waiting(key);
      const seenAt = new Date(at);
      // A sighting still waiting keeps its row id: only its time moves on.
      if (waiting !== undefined) waiting.seenAt = seenAt;
      else sightings.queue(key, { id: randomUUID(), userId, iss, sid, issuerName: issuerNameOf(claims), seenAt, rowId });
    },
    flush: () => sightings.flush(),
  };
}
