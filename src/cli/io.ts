// What a command reads and writes. Its entry file hands it the process's own environment and
// streams and exits with the code it answers; tests run the same function with captured ones.
import type { Readable, Writable } from 'node:stream';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  /** `isTTY` decides whether a progress line is drawn. */
  stderr: Writable & { isTTY?: boolean };
}

export type Command = (args: string[], io: CommandIo) => Promise<number>;

/** Runs `command` as this process: its arguments, environment and streams, then its exit code. */
export function runAsProcess(command: Command): void {
  command(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // Commands answer their own failures; this is a bug, reported by type only (no values).
      process.stderr.write(`failed: ${error instanceof Error ? error.name : typeof error}\n`);
      process.exit(1);
    },
  );
}

/** Writes one line. */
export function line(stream: Writable, text: string): void {
  stream.write(`${text}\n`);
}
