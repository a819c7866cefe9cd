// Waiting on a condition with a deadline, for what crosses a socket, a timer or a process (a
// replica hearing a change, a background refresh landing): never a fixed sleep.

export interface EventuallyOptions {
  /** Fails after this long with the last failure (default 5 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
}

/**
 * Runs `check` until it neither throws nor returns `false`, and resolves with what it returned.
 * Past the deadline it rejects with the check's last error (an `expect` failure reads as one).
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      failure = new Error(`condition still false after ${timeoutMs} ms`);
    } catch (error) {
      failure = error;
    }
    if (performance.now() >= deadline) throw failure;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
