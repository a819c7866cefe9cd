// Cached user rows are served only while "the users version" they were read under is current.
// Each driver bumps it before and after every statement that may change a cached column, and
// again when a transaction that ran one ends, so a row read before a change committed is never
// kept past it. PostgreSQL also bumps it for changes other replicas announce (userChanges.ts).

/** Whether a statement may change a user row as the row cache keeps it (conservative). */
export function mayChangeUserRows(sql: string): boolean {
  return !/^\s*select\b/i.test(sql) && /users/i.test(sql);
}

/**
 * The version a statement that changes users leaves behind when nothing else touched users while
 * it ran: `around` bumps once before it and once after it. Any other change (a statement of this
 * process, an announcement from another replica) adds bumps of its own.
 */
export function versionAfterOwnWrite(before: number): number {
  return before + 2;
}

/** One transaction's record: did it run a statement that may change cached user rows? */
export interface UserWriteMark {
  wroteUsers: boolean;
}

/** The counter both drivers keep, with the bracketing rules above in one place. */
export class UsersVersion {
  #value = 0;

  get value(): number {
    return this.#value;
  }

  /** Anything cached so far may be out of date (an announced change, a reconnect). */
  bump(): void {
    this.#value += 1;
  }

  /**
   * Runs one statement. One that may change cached user rows is bracketed by bumps, so no read
   * that overlaps it keeps its rows, and marks its transaction, if any.
   */
  async around<T>(sql: string, run: () => Promise<T>, transaction?: UserWriteMark): Promise<T> {
    if (!mayChangeUserRows(sql)) return run();
    this.bump();
    if (transaction !== undefined) transaction.wroteUsers = true;
    try {
      return await run();
    } finally {
      this.bump();
    }
  }

  /** Runs a transaction; one that wrote users bumps again when it ends: its commit is what readers see. */
  async transaction<T>(run: (mark: UserWriteMark) => Promise<T>): Promise<T> {
    const mark: UserWriteMark = { wroteUsers: false };
    try {
      return await run(mark);
    } finally {
      if (mark.wroteUsers) this.bump();
    }
  }
}
