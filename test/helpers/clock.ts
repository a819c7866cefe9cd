// A clock the test moves by hand: pass it where a service takes a Clock (src/lib/clock.ts), or
// `clock.now` where one takes `now?: () => number` (ms). Timers scheduled on it fire when
// `advance` moves past their time, in time order, and never on their own: a test of a refresh
// due in 300 s takes no 300 s.
import type { Clock } from '../../src/lib/clock.js';

export interface TestClock extends Clock {
  /** The current time in ms; pass `clock.now` where a service takes `now`. */
  readonly now: () => number;
  /** Moves the clock forward by `ms`, firing every timer due on the way (each at its own time). */
  advance(ms: number): void;
  /** The current time in whole seconds (token `iat`/`exp`). */
  seconds(): number;
  /** Timers scheduled and neither fired nor cancelled. */
  readonly pending: number;
}

export function testClock(start = Date.now()): TestClock {
  let current = start;
  let sequence = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const next = () => {
    let first: [number, { at: number }] | undefined;
    for (const entry of timers) if (first === undefined || entry[1].at < first[1].at) first = entry;
    return first;
  };
  return {
    now: () => current,
    schedule(callback, ms) {
      const id = (sequence += 1);
      timers.set(id, { at: current + Math.max(0, ms), callback });
      return () => void timers.delete(id);
    },
    advance(ms) {
      const target = current + ms;
      for (let due = next(); due !== undefined && due[1].at <= target; due = next()) {
        const [id, timer] = due as [number, { at: number; callback: () => void }];
        timers.delete(id);
        current = Math.max(current, timer.at);
        timer.callback();
      }
      current = target;
    },
    seconds: () => Math.floor(current / 1000),
    get pending() {
      return timers.size;
    },
  };
}
