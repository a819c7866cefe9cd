// One call per key in flight, shared by concurrent callers and forgotten once settled.
import { describe, expect, it } from 'vitest';
import { singleFlight } from '../../src/lib/singleFlight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('singleFlight', () => {
  it('concurrent callers of one key share one call; other keys get their own', async () => {
    const flights = singleFlight<string, number>();
    const calls: string[] = [];
    const gate = deferred<number>();
    const start = (key: string) => () => {
      calls.push(key);
      return key === 'a' ? gate.promise : Promise.resolve(2);
    };
    const first = flights.run('a', start('a'));
    const second = flights.run('a', start('a'));
    const other = flights.run('b', start('b'));
    expect(second).toBe(first);
    expect(flights.size).toBe(2);
    gate.resolve(1);
    expect(await Promise.all([first, second, other])).toEqual([1, 1, 2]);
    expect(calls).toEqual(['a', 'b']);
    expect(flights.size).toBe(0);
  });

  it('a settled call is forgotten: the next caller starts anew, after a success or a failure', async () => {
    const flights = singleFlight<string, number>();
    let calls = 0;
    const failing = flights.run('a', async () => {
      calls += 1;
      throw new Error('down');
    });
    const joined = flights.run('a', async () => 0);
    await expect(failing).rejects.toThrow('down');
    await expect(joined).rejects.toThrow('down');
    expect(flights.size).toBe(0);
    // A caller that retries as soon as it sees the failure starts a new call.
    expect(await flights.run('a', async () => ++calls)).toBe(2);
    expect(await flights.run('a', async () => ++calls)).toBe(3);
  });

  it('the key is free before any caller continues after the settlement', async () => {
    const flights = singleFlight<string, number>();
    const gate = deferred<number>();
    const seen: number[] = [];
    const first = flights.run('a', () => gate.promise).then(() => seen.push(flights.size));
    gate.resolve(1);
    await first;
    expect(seen).toEqual([0]);
  });
});
