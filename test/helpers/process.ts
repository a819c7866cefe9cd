// Runs the real entry point exactly as `npm start` does (its node arguments read from
// package.json: compiled JavaScript through scripts/run.mjs) in a child process; node is spawned
// directly, as npm would add its own warnings to stderr. dist/ is built once before the suite
// (test/helpers/build.ts), so no child compiles.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPTS = (JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The node arguments of the package.json script `name` (`[exec] node …`), to spawn node with directly. */
export function scriptArgs(name: 'start' | 'token' | 'keys' | 'import'): string[] {
  const command = SCRIPTS[name];
  if (command === undefined || !/^(exec )?node /.test(command)) throw new Error(`package.json script ${name} is not a node command`);
  return command.replace(/^(exec )?node /, '').split(' ');
}

const START_ARGS = scriptArgs('start');

export interface MainProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

/** Starts the `npm start` command line with exactly `env` (plus PATH and HOME). */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, START_ARGS, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves when `predicate(stdout)` holds (checked at each chunk of output); rejects if the process exits first or `timeoutMs` passes. */
export function waitForOutput(main: MainProcess, predicate: (stdout: string) => boolean, timeoutMs = 20_000): Promise<void> {
  if (predicate(main.stdout())) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const stdout = main.child.stdout!;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      stdout.off('data', onData);
      main.child.off('exit', onExit);
      if (error === undefined) resolve();
      else reject(error);
    };
    // Registered after the buffer's own listener: main.stdout() already holds this chunk.
    const onData = () => {
      if (predicate(main.stdout())) finish();
    };
    const onExit = () => finish(new Error(`process exited early; stderr: ${main.stderr()}`));
    const timer = setTimeout(() => finish(new Error(`timed out waiting for output; stdout: ${main.stdout()}`)), timeoutMs);
    stdout.on('data', onData);
    main.child.once('exit', onExit);
    if (main.child.exitCode !== null || main.child.signalCode !== null) onExit();
  });
}

/** A port that was free a moment ago (PORT=0 would leave the test unable to find the server). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
