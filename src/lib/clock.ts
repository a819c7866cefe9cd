// Time as a dependency (as jose's `currentDate`): what reads the time or waits on a timer takes a
// Clock. Production passes `systemClock`; tests pass one they move by hand (test/helpers/clock.ts),
// so a refresh due in 300 s happens when the test says so, not 300 s later.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `callback` once, `ms` from now; the returned function cancels it. A pending callback
   * never keeps the process alive.
   */
  schedule(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
