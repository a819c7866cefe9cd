// Runs a command (`npm run keys|import`) in-process: the function its entry file runs, with
// this environment and captured streams (not a terminal). The process itself: test/process/.
import { Readable, Writable } from 'node:stream';
import type { Command } from '../../src/cli/io.js';

export interface CommandAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

export async function runCommand(command: Command, args: string[], env: Record<string, string>, stdin = ''): Promise<CommandAnswer> {
  const stdout = capture();
  const stderr = capture();
  const code = await command(args, { env, stdin: Readable.from([stdin]), stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
