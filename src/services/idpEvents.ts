// Applying IdP events (idp-events.md), whether a webhook or the Events API brought them: each
// exactly once by id, in one transaction with its effect and audit row (idpEffects.ts); once
// committed, its lifecycle changes go to this process's feed at once, and to the other replicas
// through the database's announcements.
import type { IdpEvent } from '../domain/idpEvents.js';
import { effectOf } from '../domain/idpEvents.js';
import { recordEvent, setEventOutcome } from '../db/idpEvents.js';
import { isUniqueViolation } from '../db/errors.js';
import type { LifecycleChange, LifecycleFeed } from '../db/lifecycleFeed.js';
import type { UserStore } from '../db/userStore.js';
import { applyEffect, type Outcome } from './idpEffects.js';

/** The `workos` entry an event belongs to. */
export interface EventSource {
  /** The entry's `iss`: identities and revocations are keyed by it. */
  issuer: string;
  /** The entry's name: SSO bindings name it. */
  name: string;
}

export interface IdpEventService {
  /**
   * Applies one authentic event; resolves with what it did (`duplicate`: applied before).
   * @throws AppError IDENTITY_STORE_UNAVAILABLE when the database cannot be reached (nothing applied)
   */
  apply(source: EventSource, event: IdpEvent): Promise<Outcome | 'duplicate'>;
}

const ATTEMPTS = 3;

export function createIdpEventService(deps: {
  users: UserStore;
  feed: LifecycleFeed;
  maxTokenAgeSeconds: number;
  /** Observes each event applied (logs: type, id and outcome, never its data). */
  onApplied?: (source: EventSource, event: IdpEvent, outcome: Outcome | 'duplicate') => void;
}): IdpEventService {
  const { users, feed, maxTokenAgeSeconds } = deps;

  async function applyOnce(source: EventSource, event: IdpEvent): Promise<Outcome | 'duplicate'> {
    const effect = effectOf(event);
    const changes: LifecycleChange[] = [];
    const outcome = await users.transaction(async (tx, rows) => {
      if (!(await recordEvent(tx, { issuer: source.issuer, id: event.id, type: event.type, createdAt: event.createdAt, outcome: 'applying' }))) return 'duplicate';
      const actor = { type: 'system' as const, id: `workos:${event.id}`, impersonator: null };
      const done = await applyEffect({ tx, rows, issuer: source, event, actor, maxTokenAgeSeconds, changes }, effect);
      await setEventOutcome(tx, source.issuer, event.id, done);
      return done;
    });
    for (const change of changes) feed.publish(change);
    return outcome;
  }

  return {
    async apply(source, event) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          const outcome = await applyOnce(source, event);
          deps.onApplied?.(source, event, outcome);
          return outcome;
        } catch (error) {
          // A concurrent sign-in took the email meanwhile: the retry sees it taken.
          if (!isUniqueViolation(error, 'users_verified_email_key') || attempt >= ATTEMPTS) throw error;
        }
      }
    },
  };
}
