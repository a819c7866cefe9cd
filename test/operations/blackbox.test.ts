// The process as operators run it: `npm start` with NODE_ENV=production, AUTH_ISSUERS for a
// loopback issuer and an in-memory PGlite; start-up refusals (one stderr line naming the
// variable); and the development path (`npm run token` → a token a dev server accepts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { freePort, scriptArgs } from '../helpers/process.js';
import { startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, expectNoLeak, unique, uniqueEmail, UUID_V4 } from '../helpers/battery.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Running {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const started: ChildProcess[] = [];
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'identity-blackbox-'));
  tempDirs.push(dir);
  return dir;
}

/** The environment a test controls entirely (no inherited NODE_ENV, AUTH_ISSUERS, …). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], ...extra };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function startProcess(command: string, args: string[], env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  // Its own process group, so cleanup can reach anything it leaves behind (npm's children).
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`exited ${code} before ready:\n${output}`))));
  exited.catch(() => undefined); // an exit after readiness is stop()'s business
  const ready = eventually(() => fetch(`${url}/readyz`).then((r) => r.status === 200, () => false), { timeoutMs: 45_000, intervalMs: 150 });
  await Promise.race([exited, ready.catch(() => Promise.reject(new Error(`not ready in time:\n${output}`)))]);
  return {
    child,
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exitOf(child);
    },
  };
}

/** Runs a command to completion. */
async function run(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const code = await exitOf(child);
  return { code, stdout, stderr };
}

async function gql(url: string, query: string, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the group of a process this file started
    } catch {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
  await issuer?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start in production', () => {
  let server: Running;
  let database: TestDatabase | null = null;
  beforeAll(async () => {
    // With TEST_DATABASE_URL the process runs on PostgreSQL (a fresh schema), else in-memory PGlite.
    if (TEST_DATABASE_URL !== null) database = await openTestDatabase();
    const issuers = [{ name: 'auth0', kind: 'auth0', issuer: issuer.url, audience: AUDIENCE, jwksUri: issuer.jwksUri }];
    server = await startProcess('npm', ['start', '--silent'], {
      NODE_ENV: 'production',
      DATABASE_URL: database?.url ?? 'pglite://memory',
      AUTH_ISSUERS: JSON.stringify(issuers),
      DATA_DIR: tempDir(),
    });
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) await server.stop();
    await database?.close();
  });

  it('serves a signed viewer query: a canonical UUID, the same on the next request', async () => {
    const sub = unique('auth0|bb');
    const email = uniqueEmail('blackbox');
    const token = await issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, name: 'Black Box' });
    const first = await gql(server.url, '{ viewer { id email name } }', token);
    expect(first.status).toBe(200);
    expect(first.body.data.viewer).toMatchObject({ email, name: 'Black Box' });
    expect(first.body.data.viewer.id).toMatch(UUID_V4);
    // Answers depend on the caller: no shared cache may keep one.
    expect(first.headers.get('cache-control')).toBe('no-store');
    const again = await gql(server.url, '{ viewer { id } }', await issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true }));
    expect(again.body.data.viewer.id).toBe(first.body.data.viewer.id);
    // Secrets and emails never reach the logs.
    expect(server.output()).not.toContain(token);
    expect(server.output()).not.toContain(email);
  });

  it('refuses a forged token with 401 and the Bearer challenge, revealing nothing', async () => {
    const forged = await issuer.sign({ sub: unique('auth0|bb'), aud: AUDIENCE }, { key: 'other' });
    const response = await gql(server.url, '{ viewer { id } }', forged);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expectNoLeak(response.text, [forged, String(new URL(issuer.url).port)]);
  });

  it('has no introspection and no development issuer', async () => {
    const introspection = await gql(server.url, '{ __schema { types { name } } }');
    expect(introspection.body.data ?? null).toBeNull();
    expect(server.output()).not.toMatch(/development issuer is ON/i);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('stops on SIGTERM to npm: exit 0, the port closed, no orphaned server', async () => {
    expect(await server.stop()).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('start-up refuses an invalid environment with one line naming the variable', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['production without AUTH_ISSUERS', { NODE_ENV: 'production', DATABASE_URL: 'pglite://memory' }, 'AUTH_ISSUERS'],
    [
      'an issuer allowing HS256',
      { DATABASE_URL: 'pglite://memory', AUTH_ISSUERS: JSON.stringify([{ name: 'x', kind: 'oidc', issuer: 'https://x.example/', audience: 'a', algorithms: ['HS256'] }]) },
      'AUTH_ISSUERS',
    ],
    ['an AUTH_ISSUERS_FILE that does not exist', { DATABASE_URL: 'pglite://memory', AUTH_ISSUERS_FILE: '/nonexistent/issuers.json' }, 'AUTH_ISSUERS_FILE'],
    ['a PORT that is not a port', { DATABASE_URL: 'pglite://memory', PORT: 'http' }, 'PORT'],
  ];
  it.each(cases)('%s', async (_name, env, variable) => {
    const result = await run(process.execPath, scriptArgs('start'), { DATA_DIR: tempDir(), ...env });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(result.stdout).not.toMatch(/listening/);
  });
});

describe('development: npm run token, then a dev server with the same DATA_DIR', () => {
  it('prints a token the dev server accepts', async () => {
    const dataDir = tempDir();
    const minted = await run(process.execPath, [...scriptArgs('token'), '--email', 'A@B.co', '--name', 'Alice', '--sub', 'alice'], { DATA_DIR: dataDir });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const server = await startProcess(process.execPath, scriptArgs('start'), { DATA_DIR: dataDir, DATABASE_URL: 'pglite://memory' });
    try {
      const response = await gql(server.url, '{ viewer { id email name identities { subject } } }', token);
      expect(response.status).toBe(200);
      expect(response.body.data.viewer).toMatchObject({ email: 'a@b.co', name: 'Alice', identities: [{ subject: 'alice' }] });
      expect(response.body.data.viewer.id).toMatch(UUID_V4);
      expect(server.output()).toMatch(/development issuer/i);
      expect(server.output()).not.toContain(token);
      // A token signed by some other key is not accepted just because the dev issuer is on.
      const forged = await issuer.sign({ sub: 'alice', aud: AUDIENCE, iss: JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iss });
      expect((await gql(server.url, '{ viewer { id } }', forged)).status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('the token command refuses to run in production', async () => {
    const result = await run(process.execPath, [...scriptArgs('token'), '--email', 'a@b.co'], { DATA_DIR: tempDir(), NODE_ENV: 'production' });
    expect(result.code).not.toBe(0);
    expect(result.stdout.trim()).toBe('');
  });
});
