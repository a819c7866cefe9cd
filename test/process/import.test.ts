// `npm run import` as a process: a file, then standard input, the summary on stdout, exit 0, no
// progress line off a terminal; exit 1, clearly, while another process (this one) has the
// embedded database open. Skipped lines, --strict and PostgreSQL: test/import/cli.test.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPGliteDatabase } from '../../src/db/pglite.js';
import { temporaryDirectory } from '../helpers/files.js';
import { killStarted, runScript } from '../helpers/process.js';

afterAll(killStarted);

const ISSUERS = JSON.stringify([{ name: 'sso', kind: 'oidc', issuer: 'https://sso.example.test/', audience: 'https://api.test' }]);
const GOOD = [
  { email: 'ada@example.com', identities: [{ issuer: 'sso', subject: 'ada' }] },
  { id: '6f1c2d3e-1111-4222-8333-444455556666', email: 'bob@example.com', name: 'Bob' },
];
const jsonl = (lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n';

describe('npm run import on the embedded database', () => {
  const dir = temporaryDirectory('identity-import-');
  const env = { DATA_DIR: join(dir, 'data'), AUTH_ISSUERS: ISSUERS };

  it('imports a file (exit 0), then the same from standard input: nothing changed; no progress line off a terminal', async () => {
    const path = join(dir, 'good.jsonl');
    writeFileSync(path, jsonl(GOOD));
    const first = await runScript('import', [path], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/created\s+2/);
    expect(first.stderr).not.toMatch(/lines\/s|\r/);
    const again = await runScript('import', ['-'], env, jsonl(GOOD));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/unchanged\s+2/);
    expect(again.stdout).toMatch(/Nothing changed/);
  });

  it('exit 1, clearly, while another process has the database open', async () => {
    const server = await createPGliteDatabase({ dataDir: env.DATA_DIR });
    try {
      const path = join(dir, 'any.jsonl');
      writeFileSync(path, jsonl(GOOD));
      const busy = await runScript('import', [path], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toMatch(/in use by another process \(pid \d+: is the server running\?\).*stop the server/);
    } finally {
      await server.close();
    }
  });
});
