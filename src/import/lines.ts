// Splits a byte stream into numbered lines with a bound on each line's size, so a file of any
// size (or a line without an end) is read in bounded memory.

export interface Line {
  number: number;
  /** The line's text, or null when it exceeded the bound (its bytes were dropped). */
  text: string | null;
}

/** Yields each line (without its `\n`/`\r\n`); blank lines are skipped but counted. */
export async function* readLines(input: AsyncIterable<Buffer | string>, maxLineBytes: number, onBytes?: (bytes: number) => void): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;

  function take(): Line | null {
    number += 1;
    const joined = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    size = 0;
    if (tooLong) {
      tooLong = false;
      return { number, text: null };
    }
    const text = joined.toString('utf8').replace(/\r$/, '');
    return text.trim() === '' ? null : { number, text };
  }

  function add(piece: Buffer): void {
    if (tooLong) return;
    if (size + piece.length > maxLineBytes) {
      tooLong = true;
      parts = [];
      size = 0;
      return;
    }
    parts.push(piece);
    size += piece.length;
  }

  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onBytes?.(buffer.length);
    let start = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      add(buffer.subarray(start, end));
      const line = take();
      if (line !== null) yield line;
      start = end + 1;
    }
    if (start < buffer.length) add(Buffer.from(buffer.subarray(start)));
  }
  if (size > 0 || tooLong) {
    const line = take();
    if (line !== null) yield line;
  }
}
