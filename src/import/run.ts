// `npm run import`: streams the lines, plans and writes them in batches (each batch one
// transaction: every line of it whole or not at all), and counts the outcomes. With `strict`
// the whole import is one transaction that the first bad line rolls back.
import { DatabaseError } from '../db/errors.js';
import { ChangedMeanwhile, loadSnapshot, writeBatch } from '../db/imports.js';
import type { Database, Queryable } from '../db/queryable.js';
import { readLines } from './lines.js';
import { planBatch, type BatchPlan, type Outcome } from './plan.js';
import { isLineProblem, readImportLine, type ImportRecord, type LineProblem, type SkipReason } from './record.js';

export interface ImportOptions {
  db: Database;
  input: AsyncIterable<Buffer | string>;
  /** Configured issuers: name → `issuer`. */
  issuers: ReadonlyMap<string, string>;
  strict?: boolean;
  /** Lines per batch (default 5000). */
  batchSize?: number;
  /** Longest accepted line (default 1 MiB); a longer one is malformed. */
  maxLineBytes?: number;
  onProblem?: (problem: LineProblem) => void;
  onProgress?: (progress: { lines: number; bytes: number }) => void;
}

export interface ImportSummary {
  lines: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Strict mode: the bad line that stopped the import (nothing was written). */
  stoppedAt: LineProblem | null;
}

/** A strict import met a bad line. */
class StrictStop extends Error {
  constructor(readonly problem: LineProblem) {
    super(`line ${problem.line}: ${problem.reason}`);
  }
}

const MAX_ATTEMPTS = 8;
// Unique and foreign keys (a sign-in or another import got there first), serialization and
// deadlock failures: the batch is planned again against what the database now holds. A named
// statement a pooler lost (26000, 42P05; db/poolerFaults.ts) aborts the batch the same way.
const RETRYABLE = new Set(['23505', '23503', '40001', '40P01', '26000', '42P05']);

function isRetryable(error: unknown): boolean {
  return error instanceof ChangedMeanwhile || (error instanceof DatabaseError && error.sqlState !== undefined && RETRYABLE.has(error.sqlState));
}

export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const { db } = options;
  const batchSize = options.batchSize ?? 5000;
  const summary: ImportSummary = { lines: 0, created: 0, updated: 0, unchanged: 0, skipped: {}, stoppedAt: null };
  let bytes = 0;

  function report(problem: LineProblem): void {
    summary.skipped[problem.reason] = (summary.skipped[problem.reason] ?? 0) + 1;
    options.onProblem?.(problem);
  }

  /** One batch as one unit (a transaction, or a savepoint of the strict import's transaction). */
  async function inUnit(outer: Queryable | null, work: (q: Queryable) => Promise<BatchPlan>): Promise<BatchPlan> {
    if (outer === null) return db.transaction(work);
    await outer.query('savepoint import_batch');
    try {
      const result = await work(outer);
      await outer.query('release savepoint import_batch');
      return result;
    } catch (error) {
      await outer.query('rollback to savepoint import_batch');
      throw error;
    }
  }

  /** Plans and writes a batch (again after a lost race); returns the lines it deferred. */
  async function processBatch(outer: Queryable | null, records: ImportRecord[]): Promise<ImportRecord[]> {
    for (let attempt = 1; ; attempt += 1) {
      let plan: BatchPlan;
      try {
        plan = await inUnit(outer, async (q) => {
          const planned = planBatch(records, await loadSnapshot(q, records));
          if (outer !== null && planned.problems.length > 0) throw new StrictStop(planned.problems[0]!);
          await writeBatch(q, planned.writes);
          return planned;
        });
      } catch (error) {
        if (attempt < MAX_ATTEMPTS && isRetryable(error)) continue;
        throw error;
      }
      // Counted once committed, so a retried batch is not counted twice.
      for (const { outcome } of plan.outcomes) summary[outcome satisfies Outcome] += 1;
      for (const problem of plan.problems.sort((a, b) => a.line - b.line)) report(problem);
      return plan.deferred;
    }
  }

  async function importAll(outer: Queryable | null): Promise<void> {
    // The next batch is read and parsed while the database writes the previous one; lines a
    // batch deferred go first in the one after it. At most two batches are held.
    let deferred: ImportRecord[] = [];
    let writing: Promise<void> = Promise.resolve();
    const write = (records: ImportRecord[]): Promise<void> => {
      writing = writing.then(async () => {
        deferred = await processBatch(outer, [...deferred, ...records]);
        options.onProgress?.({ lines: summary.lines, bytes });
      });
      // Seen at the next await of `writing`; not an unhandled rejection meanwhile.
      writing.catch(() => undefined);
      return writing;
    };
    const drain = async (): Promise<void> => {
      await writing;
      while (deferred.length > 0) await write([]);
    };
    let batch: ImportRecord[] = [];
    for await (const line of readLines(options.input, options.maxLineBytes ?? 1_048_576, (n) => (bytes += n))) {
      summary.lines = line.number;
      const record =
        line.text === null ? { line: line.number, reason: 'malformed' as const, detail: 'line too long' } : readImportLine(line.text, line.number, options.issuers);
      if (isLineProblem(record)) {
        if (outer !== null) {
          // An earlier line may be bad too: the first bad line stops the import.
          await write(batch);
          await drain();
          throw new StrictStop(record);
        }
        report(record);
        continue;
      }
      batch.push(record);
      if (batch.length >= batchSize) {
        await writing;
        void write(batch);
        batch = [];
      }
    }
    await write(batch);
    await drain();
  }

  try {
    if (options.strict === true) await db.transaction((tx) => importAll(tx));
    else await importAll(null);
  } catch (error) {
    if (!(error instanceof StrictStop)) throw error;
    summary.stoppedAt = error.problem;
    summary.created = summary.updated = summary.unchanged = 0;
    options.onProblem?.(error.problem);
  }
  options.onProgress?.({ lines: summary.lines, bytes });
  return summary;
}
