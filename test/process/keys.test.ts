// `npm run keys` as a process: against the embedded database it refuses while a server (another
// process: this one) holds the directory, and lists the key that server created once it has
// stopped, never printing a private key. Rotation's rules: test/platform/cli.test.ts, in-process.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { migratedDataDir } from '../helpers/database.js';
import { killStarted, runScript } from '../helpers/process.js';

afterAll(killStarted);

describe('npm run keys', () => {
  it('refuses the embedded database while a server uses it, then lists its key once it is stopped, never printing a private key', async () => {
    const dataDir = await migratedDataDir('identity-keys-');
    const encryptionKey = randomBytes(32).toString('base64');
    const env = { DATA_DIR: dataDir, PLATFORM_ISSUER: 'https://id.example.test', PLATFORM_KEY_ENCRYPTION_KEY: encryptionKey };
    // The server, assembled as npm start does, in this process: it creates the first key.
    const server = await createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    let busy;
    try {
      busy = await runScript('keys', ['list'], env);
    } finally {
      await server.close();
    }
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`in use by process ${process.pid}`);
    expect(busy.stderr).toMatch(/Stop the server/);

    const listed = await runScript('keys', ['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/KID\s+ALG\s+STATE\s+CREATED\s+SIGNS FROM\s+RETIRES/);
    expect(listed.stdout).toMatch(/ES256\s+active/);

    const everything = [busy, listed].map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).not.toMatch(/PRIVATE KEY|"d"\s*:/);
    expect(everything).not.toContain(encryptionKey);
    expect(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8')).toBeTruthy();
  });
});
