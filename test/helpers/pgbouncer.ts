// A real PgBouncer (Debian's `pgbouncer`) in front of the test PostgreSQL, on a free loopback
// port, as a child process with its own configuration in a temporary directory: the pooler the
// service is deployed behind (operations.md, "Behind a connection pooler").
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

export const PGBOUNCER_BIN = process.env['PGBOUNCER_BIN'] || '/usr/sbin/pgbouncer';

/**
 * Pooler tests run on PostgreSQL (TEST_DATABASE_URL) with pgbouncer installed; PGBOUNCER_TESTS=1
 * demands them (a missing binary then fails instead of skipping).
 */
export const pgbouncerAvailable = Boolean(process.env['TEST_DATABASE_URL']) && (process.env['PGBOUNCER_TESTS'] === '1' || existsSync(PGBOUNCER_BIN));

export interface PgBouncerOptions {
  /** The PostgreSQL URL to pool (its host, port, database and user). */
  target: string;
  /**
   * Server connections get this search_path (PgBouncer 1.18 refuses the `options` startup
   * parameter); default: the target's own `options=-c search_path=…`, if any.
   */
  schema?: string;
  /** Default `transaction`. */
  poolMode?: 'transaction' | 'session';
  /** Startup parameters PgBouncer drops instead of refusing; default `statement_timeout` (the documented set-up); [] for a stock PgBouncer. */
  ignoreStartupParameters?: string[];
  /** Server connections per database and user; default 20. */
  poolSize?: number;
}

export interface PgBouncer {
  /** A URL of the pooled database through PgBouncer (no search_path option: the server connections carry it). */
  readonly url: string;
  /** PgBouncer's own log so far. */
  log(): string;
  close(): Promise<void>;
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const target = new URL(options.target);
  const user = decodeURIComponent(target.username || 'postgres');
  const database = decodeURIComponent(target.pathname.slice(1) || user);
  const alias = `pooled_${database}`.replace(/[^a-zA-Z0-9_]/g, '_');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-'));
  const schema = options.schema ?? /-c search_path=(\S+)/.exec(target.searchParams.get('options') ?? '')?.[1];
  const connectQuery = schema === undefined ? '' : ` connect_query=${quote(`set search_path to ${schema}`)}`;
  const ignored = options.ignoreStartupParameters ?? ['statement_timeout'];
  const config = [
    '[databases]',
    `${alias} = host=${target.hostname} port=${target.port || 5432} dbname=${database}${connectQuery}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    `pool_mode = ${options.poolMode ?? 'transaction'}`,
    `default_pool_size = ${options.poolSize ?? 20}`,
    'max_client_conn = 1000',
    ...(ignored.length === 0 ? [] : [`ignore_startup_parameters = ${ignored.join(', ')}`]),
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), `${config}\n`);
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  // PgBouncer refuses to run as root: CI containers run as root, so it switches to nobody,
  // who must be able to read its configuration.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    for (const file of ['pgbouncer.ini', 'users.txt']) chmodSync(join(dir, file), 0o644);
  }
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [...(asRoot ? ['-u', 'nobody'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, child, () => log);

  const url = new URL(options.target);
  url.port = String(port);
  url.hostname = '127.0.0.1';
  url.pathname = `/${alias}`;
  url.search = '';
  return {
    url: url.toString(),
    log: () => log,
    async close() {
      // SIGTERM: immediate shutdown (SIGINT would wait for clients to leave).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`pgbouncer did not listen on ${port}: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
