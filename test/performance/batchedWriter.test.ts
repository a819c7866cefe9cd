// Writes that may wait are written together: after the delay, at the batch bound, or on flush;
// batches in order; what a batch did not write is handed back.
import { describe, expect, it } from 'vitest';
import { createBatchedWriter } from '../../src/lib/batchedWriter.js';
import { testClock } from '../helpers/clock.js';

describe('createBatchedWriter', () => {
  it('writes what is queued in one batch once the delay has passed, the latest value per key', async () => {
    const clock = testClock();
    const batches: [string, number][][] = [];
    const writer = createBatchedWriter<string, number>({ delayMs: 1000, clock, write: async (batch) => void batches.push([...batch]) });
    writer.queue('a', 1);
    writer.queue('b', 2);
    writer.queue('a', 3);
    expect(writer.waiting('a')).toBe(3);
    clock.advance(999);
    expect(batches).toEqual([]);
    clock.advance(1);
    await writer.flush();
    expect(batches).toEqual([[['a', 3], ['b', 2]]]);
    expect(writer.waiting('a')).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('writes at once when a batch reaches its bound, and on flush; batches one after another', async () => {
    const clock = testClock();
    const order: string[] = [];
    const writer = createBatchedWriter<string, number>({
      delayMs: 1000,
      maxBatch: 2,
      clock,
      write: async (batch) => {
        order.push(`start ${[...batch.keys()].join()}`);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(`end ${[...batch.keys()].join()}`);
      },
    });
    writer.queue('a', 1);
    writer.queue('b', 1);
    writer.queue('c', 1);
    await writer.flush();
    expect(order).toEqual(['start a,b', 'end a,b', 'start c', 'end c']);
    expect(clock.pending).toBe(0);
  });

  it('hands back every value of a failed batch, and those a batch says it did not write', async () => {
    const notWritten: string[] = [];
    let fail = true;
    const writer = createBatchedWriter<string, number>({
      delayMs: 1000,
      clock: testClock(),
      write: async (batch) => {
        if (fail) throw new Error('down');
        return new Set([...batch.keys()].filter((key) => key !== 'gone'));
      },
      onNotWritten: (key, value) => notWritten.push(`${key}=${value}`),
    });
    writer.queue('a', 1);
    await writer.flush();
    fail = false;
    writer.queue('b', 2);
    writer.queue('gone', 3);
    await writer.flush();
    expect(notWritten).toEqual(['a=1', 'gone=3']);
  });

  it('close stops the timer; what waits is written by a later flush', async () => {
    const clock = testClock();
    const written: string[] = [];
    const writer = createBatchedWriter<string, number>({ delayMs: 10, clock, write: async (batch) => void written.push(...batch.keys()) });
    writer.queue('a', 1);
    writer.close();
    expect(clock.pending).toBe(0);
    clock.advance(100);
    expect(written).toEqual([]);
    await writer.flush();
    expect(written).toEqual(['a']);
  });
});
