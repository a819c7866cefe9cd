// What `npm run import` tells the operator: a progress line on a terminal (lines, rate, ETA),
// each skipped line, and the closing summary.
import type { ImportSummary } from './run.js';
import type { LineProblem } from './record.js';

const count = (n: number) => n.toLocaleString('en');

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function describeProblem(problem: LineProblem, strict: boolean): string {
  return strict
    ? `line ${problem.line}: ${problem.reason}: ${problem.detail}; stopped (--strict), nothing was written`
    : `line ${problem.line}: skipped (${problem.reason}): ${problem.detail}`;
}

/** A progress line redrawn in place on a terminal; nothing at all when the stream is not one. */
export function createProgress(stream: { readonly isTTY?: boolean; write(text: string): unknown }, totalBytes: number | null, now: () => number = performance.now.bind(performance)) {
  const started = now();
  let last = 0;
  let shown = false;
  return {
    update(progress: { lines: number; bytes: number }, force = false): void {
      if (!stream.isTTY) return;
      const at = now();
      if (!force && at - last < 250) return;
      last = at;
      const seconds = (at - started) / 1000;
      const rate = seconds > 0 ? progress.lines / seconds : 0;
      let eta = '';
      if (totalBytes !== null && totalBytes > 0 && progress.bytes > 0 && seconds > 0) {
        eta = `  ETA ${duration(((totalBytes - progress.bytes) * seconds) / progress.bytes)}`;
      }
      stream.write(`\r\u001b[2K${count(progress.lines)} lines  ${count(Math.round(rate))} lines/s${eta}`);
      shown = true;
    },
    /** Clears the progress line before other output. */
    clear(): void {
      if (shown && stream.isTTY) stream.write('\r\u001b[2K');
    },
  };
}

/** The closing summary (several lines). */
export function formatSummary(summary: ImportSummary, seconds: number): string {
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + (b ?? 0), 0);
  if (summary.stoppedAt !== null) {
    return `import stopped at line ${summary.stoppedAt.line} (${summary.stoppedAt.reason}) after ${seconds.toFixed(1)} s: nothing was written (--strict).`;
  }
  const reasons = Object.entries(summary.skipped)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${count(n ?? 0)}`)
    .join(', ');
  const lines = [
    `import finished in ${seconds.toFixed(1)} s: ${count(summary.lines)} lines`,
    `  created   ${count(summary.created)}`,
    `  updated   ${count(summary.updated)}`,
    `  unchanged ${count(summary.unchanged)}`,
    `  skipped   ${count(skipped)}${reasons === '' ? '' : ` (${reasons})`}`,
  ];
  if (summary.created === 0 && summary.updated === 0 && skipped === 0) {
    lines.push('Nothing changed: every user in the file is already imported.');
  }
  return lines.join('\n');
}
