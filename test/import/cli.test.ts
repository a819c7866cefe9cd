// `npm run import` as operators run it (a child process): a file or standard input, the
// summary, exit codes 0/2/1, no progress line off a terminal, and the embedded database
// refused while another process has it open. On PostgreSQL it imports while the database serves.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { scriptArgs } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ISSUERS = JSON.stringify([{ name: 'sso', kind: 'oidc', issuer: 'https://sso.example.test/', audience: 'https://api.test' }]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runImport(args: string[], env: Record<string, string>, stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...scriptArgs('import'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', AUTH_ISSUERS: ISSUERS, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdin.end(stdin ?? '');
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'identity-import-'));
function file(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return path;
}

const GOOD = [
  { email: 'ada@example.com', identities: [{ issuer: 'sso', subject: 'ada' }] },
  { id: '6f1c2d3e-1111-4222-8333-444455556666', email: 'bob@example.com', name: 'Bob' },
];

describe('npm run import on the embedded database', { timeout: 180_000 }, () => {
  const env = { DATA_DIR: join(dir, 'data') };

  it('imports a file (exit 0), then says nothing changed; no progress line off a terminal', async () => {
    const path = file('good.jsonl', GOOD);
    const first = await runImport([path], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created\s+2/);
    expect(first.stderr).not.toMatch(/lines\/s|\r/);
    const again = await runImport(['-'], env, GOOD.map((l) => JSON.stringify(l)).join('\n'));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/unchanged\s+2/);
    expect(again.stdout).toMatch(/Nothing changed/);
  });

  it('exit 2 when lines were skipped, naming them; --strict writes nothing', async () => {
    const path = file('bad.jsonl', [{ email: 'cy@example.com' }, 'nope', { id: '6f1c2d3e-1111-4222-8333-444455556666', email: 'other@example.com' }]);
    const strict = await runImport([path, '--strict'], env);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/line 2: malformed/);
    expect(strict.stdout).toMatch(/nothing was written/);
    const loose = await runImport([path], env);
    expect(loose.code).toBe(2);
    expect(loose.stderr).toMatch(/line 2: skipped \(malformed\)/);
    expect(loose.stderr).toMatch(/line 3: skipped \(conflict_id\)/);
    expect(loose.stdout).toMatch(/created\s+1/);
    expect(loose.stdout).toMatch(/skipped\s+2 \(conflict_id 1, malformed 1\)/);
  });

  it('exit 1, clearly, while another process has the database open, or without a file', async () => {
    const server = await createPGliteDatabase({ dataDir: env.DATA_DIR });
    try {
      const busy = await runImport([file('any.jsonl', GOOD)], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use by another process \(pid \d+: is the server running\?\).*stop the server/);
    } finally {
      await server.close();
    }
    const missing = await runImport([join(dir, 'missing.jsonl')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
  });
});

describe.runIf(process.env['TEST_DATABASE_URL'])('npm run import on PostgreSQL', { timeout: 180_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('imports while the database serves others', async () => {
    const run = await runImport([file('pg.jsonl', GOOD)], { DATABASE_URL: database.url! });
    expect(run.code).toBe(0);
    expect(await database.db.query('select email from users order by email')).toEqual([{ email: 'ada@example.com' }, { email: 'bob@example.com' }]);
  });
});
