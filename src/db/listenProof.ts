// At start-up in production, a replica whose listening connection does not hear its own
// notifications must not run (operations.md): it would serve from memory what other replicas
// changed. Decides from the first round trips whether it hears.
import type { UserChangeFeed } from './queryable.js';

export type ListeningVerdict = 'heard' | 'unheard' | 'undecided';

/**
 * `heard` at the first round trip that arrives; `unheard` when one was committed and never
 * arrived and none arrives within `graceMs` after; `undecided` when neither happened within
 * `timeoutMs` (the database unreachable: the process serves, /readyz says so).
 */
export function awaitListeningVerdict(feed: UserChangeFeed, options: { graceMs?: number; timeoutMs?: number } = {}): Promise<ListeningVerdict> {
  if (feed.listening) return Promise.resolve('heard');
  return new Promise((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const finish = (verdict: ListeningVerdict) => {
      clearTimeout(grace);
      clearTimeout(timeout);
      unsubscribe();
      resolve(verdict);
    };
    const unsubscribe = feed.onProof((outcome) => {
      if (outcome === 'heard') finish('heard');
      else if (grace === undefined) (grace = setTimeout(() => finish('unheard'), options.graceMs ?? 1500)).unref();
    });
    const timeout = setTimeout(() => {
      if (grace === undefined) finish('undecided');
    }, options.timeoutMs ?? 8000);
    timeout.unref();
  });
}
