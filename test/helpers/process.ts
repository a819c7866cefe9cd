// Every child process the suite starts, in one place: `npm start` and the commands `npm run
// token|keys|import|operators`, each with the command line package.json gives it (node is spawned directly,
// as npm would add its own warnings to stderr), and `npm start` through npm itself. Processes only
// where the process is the point (compiled JavaScript through scripts/run.mjs; dist/ is built once
// before the suite, test/helpers/build.ts, so no child compiles): test/process/ holds one smoke file per command; everything
// else runs in-process (createApp, the commands' functions).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPTS = (JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** A package.json script as node's own arguments: `exec node …` and `node …` as they are, `tsx FILE` through tsx's loader. */
function nodeArguments(name: string): string[] {
  const script = SCRIPTS[name];
  if (script === undefined) throw new Error(`package.json has no script ${name}`);
  const words = script.replace(/^exec /, '').split(' ');
  if (words[0] === 'node') return words.slice(1);
  if (words[0] === 'tsx') return ['--import', 'tsx', ...words.slice(1)];
  throw new Error(`cannot run script ${name} without npm: ${script}`);
}

/** Only PATH and HOME are inherited: the test controls the environment entirely. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env };
}

/** The node arguments of a package.json script, to spawn node with directly. */
export const scriptArgs = (name: 'start' | 'token' | 'keys' | 'import' | 'operators'): string[] => nodeArguments(name);

export interface MainProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

function watch(child: ChildProcess): MainProcess {
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

const started: ChildProcess[] = [];

/** Starts the `npm start` command line with exactly `env` (plus PATH and HOME). */
export function startMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, nodeArguments('start'), { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  return watch(child);
}

/** `npm start --silent` through npm itself, in a process group of its own (signals go to npm, as an operator's would). */
export function startThroughNpm(env: Record<string, string>): MainProcess {
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  return watch(child);
}

export interface CommandRun {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs `npm run <name> -- args…` to completion, `stdin` as its standard input. */
export async function runScript(name: 'token' | 'keys' | 'import' | 'operators', args: string[], env: Record<string, string>, stdin = ''): Promise<CommandRun> {
  const child = spawn(process.execPath, [...nodeArguments(name), ...args], { cwd: ROOT, env: environment(env), stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  const run = watch(child);
  child.stdin!.end(stdin);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Kills whatever this file started that still runs (the process group of one started through npm). */
export function killStarted(): void {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
}

/** Resolves when `predicate(stdout)` holds (checked at each chunk of output); rejects if the process exits first or `timeoutMs` passes. */
export function waitForOutput(main: MainProcess, predicate: (stdout: string) => boolean, timeoutMs = 30_000): Promise<void> {
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
