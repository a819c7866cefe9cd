// Assertion helpers shared by the suites.
import { expect } from 'vitest';
import { AppError } from '../../src/errors.js';

/** Awaits a promise that must reject with an AppError, and returns it (assert on `code`/`reason`). */
export async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the promise to reject');
}
