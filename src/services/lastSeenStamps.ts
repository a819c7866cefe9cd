// Last-seen stamps of known identities, written together: each waits up to `delayMs` to share one
// statement with the others due (every active identity comes due once a seen interval).
import { stampIdentitiesSeen } from '../db/identities.js';
import type { Queryable } from '../db/queryable.js';
import { createBatchedWriter, type BatchedWriter } from '../lib/batchedWriter.js';
import { identityKey, splitIdentityKey } from './identityCache.js';

export interface LastSeenStampsOptions<T> {
  db: Queryable;
  delayMs: number;
  /**
   * Told of each stamp not written: its identity is gone (an operator deleted it) or the
   * statement failed (the database is down). Its next request should resolve as a first one does.
   */
  onNotWritten: (key: string, entry: T) => void;
}

/** `queue(key, entry)`: the stamp of the identity `key` (identityKey); `entry` is handed back if it is not written. */
export type LastSeenStamps<T> = Pick<BatchedWriter<string, T>, 'queue' | 'flush'>;

export function createLastSeenStamps<T>(options: LastSeenStampsOptions<T>): LastSeenStamps<T> {
  return createBatchedWriter<string, T>({
    delayMs: options.delayMs,
    // The identities stamped: a key missing from them names an identity deleted meanwhile.
    write: async (batch) => new Set((await stampIdentitiesSeen(options.db, [...batch.keys()].map(splitIdentityKey))).map(identityKey)),
    onNotWritten: options.onNotWritten,
  });
}
