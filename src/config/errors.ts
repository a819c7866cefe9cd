// The one error configuration parsing throws, and how a zod issue becomes its one-line message.
import type { z } from 'zod';

/** Thrown for an invalid environment; the message is the one line printed at start-up. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function describeIssue(prefix: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${prefix}${path}: ${issue.message}`;
}

