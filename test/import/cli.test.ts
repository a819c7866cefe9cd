// `npm run import`'s command, in-process (the process itself: test/process/import.test.ts): exit
// codes 2 for skipped lines (naming them) and 1 when it cannot run, --strict writing nothing,
// and on PostgreSQL an import while the database serves others.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCommand } from '../../src/cli/importCommand.js';
import { runCommand } from '../helpers/command.js';
import { databaseKind, migratedDataDir, openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { temporaryDirectory } from '../helpers/files.js';

const ISSUERS = JSON.stringify([{ name: 'sso', kind: 'oidc', issuer: 'https://sso.example.test/', audience: 'https://api.test' }]);
const dir = temporaryDirectory('identity-import-');

function file(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
  return path;
}

const GOOD = [
  { email: 'ada@example.com', identities: [{ issuer: 'sso', subject: 'ada' }] },
  { id: '6f1c2d3e-1111-4222-8333-444455556666', email: 'bob@example.com', name: 'Bob' },
];

describe('npm run import on the embedded database', () => {
  const env = { DATA_DIR: '', AUTH_ISSUERS: ISSUERS };
  // Migrated already (helpers/database.ts); an import into an empty DATA_DIR: test/process/import.test.ts.
  beforeAll(async () => {
    env.DATA_DIR = await migratedDataDir('identity-import-data-');
  });

  it('exit 2 when lines were skipped, naming them; --strict writes nothing', async () => {
    expect((await runCommand(importCommand, [file('good.jsonl', GOOD)], env)).code).toBe(0);
    const path = file('bad.jsonl', [{ email: 'cy@example.com' }, 'nope', { id: '6f1c2d3e-1111-4222-8333-444455556666', email: 'other@example.com' }]);
    const strict = await runCommand(importCommand, [path, '--strict'], env);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/line 2: malformed/);
    expect(strict.stdout).toMatch(/nothing was written/);
    const loose = await runCommand(importCommand, [path], env);
    expect(loose.code).toBe(2);
    expect(loose.stderr).toMatch(/line 2: skipped \(malformed\)/);
    expect(loose.stderr).toMatch(/line 3: skipped \(conflict_id\)/);
    expect(loose.stdout).toMatch(/created\s+1/);
    expect(loose.stdout).toMatch(/skipped\s+2 \(conflict_id 1, malformed 1\)/);
    expect(loose.stderr).not.toMatch(/lines\/s|\r/); // not a terminal: no progress line
  });

  it('exit 1, clearly, without a file, with a bad batch size, or on a database gone when it ends', async () => {
    const missing = await runCommand(importCommand, [join(dir, 'missing.jsonl')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read/);
    expect((await runCommand(importCommand, [], env)).stderr).toMatch(/one FILE/);
    expect((await runCommand(importCommand, [file('x.jsonl', GOOD), '--batch-size', '0'], env)).code).toBe(1);
    const memory = await runCommand(importCommand, [file('y.jsonl', GOOD)], { ...env, DATABASE_URL: 'pglite://memory' });
    expect(memory.code).toBe(1);
    expect(memory.stderr).toMatch(/pglite:\/\/memory/);
  });
});

describe.skipIf(databaseKind !== 'postgres')('npm run import on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('imports while the database serves others', async () => {
    const run = await runCommand(importCommand, [file('pg.jsonl', GOOD)], { AUTH_ISSUERS: ISSUERS, DATABASE_URL: database.url! });
    expect(run.code, run.stderr).toBe(0);
    expect(await database.db.query('select email from users order by email')).toEqual([{ email: 'ada@example.com' }, { email: 'bob@example.com' }]);
  });
});
