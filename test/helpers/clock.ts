// A clock the test moves by hand, for services that take `now?: () => number` (ms).

export interface TestClock {
  /** The current time in ms; pass `clock.now` where a service takes `now`. */
  readonly now: () => number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** The current time in whole seconds (token `iat`/`exp`). */
  seconds(): number;
}

export function testClock(start = Date.now()): TestClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    seconds: () => Math.floor(current / 1000),
  };
}
