// `npm run keys -- list|rotate`'s command, in-process (the process itself, refusing a directory a
// server holds: test/process/keys.test.ts): rotate schedules one successor under the servers'
// rules, refuses to seal a key with an encryption key that does not open the active one, and
// never prints a private key.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keysCommand } from '../../src/cli/keysCommand.js';
import { runCommand } from '../helpers/command.js';
import { migratedDataDir } from '../helpers/database.js';

const keys = (args: string[], env: Record<string, string>) => runCommand(keysCommand, args, env);
const platformEnv = async () => ({
  DATA_DIR: await migratedDataDir('identity-keys-'),
  PLATFORM_ISSUER: 'https://id.example.test',
  PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
});

describe('npm run keys', () => {
  // Five commands, each opening the embedded database (migrated already: helpers/database.ts).
  it('rotate creates the first key active at once, then schedules one successor, never printing a private key', { timeout: 90_000 }, async () => {
    const env = await platformEnv();
    const first = await keys(['rotate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ES256\s+active/);
    const rotated = await keys(['rotate'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/created key \S+ \(ES256\): published now, signs from/);
    expect(rotated.stdout).toMatch(/ES256\s+next/);
    const again = await keys(['rotate'], env);
    expect(again.stdout).toMatch(/already scheduled/);
    const wrong = await keys(['rotate'], { ...env, PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(0); // a rotation is already scheduled: nothing to seal
    const listed = await keys(['list'], env);
    expect(listed.stdout).toMatch(/KID\s+ALG\s+STATE\s+CREATED\s+SIGNS FROM\s+RETIRES/);
    expect(listed.stdout.match(/ES256/g)).toHaveLength(2);

    const everything = [first, rotated, again, wrong, listed].map((r) => r.stdout + r.stderr).join('\n');
    expect(everything).not.toMatch(/PRIVATE KEY|"d"\s*:/);
    expect(everything).not.toContain(env.PLATFORM_KEY_ENCRYPTION_KEY);
  });

  it('refuses to rotate with an encryption key that does not open the active key', async () => {
    const env = await platformEnv();
    expect((await keys(['rotate'], env)).code).toBe(0); // the first key, active at once
    const wrong = await keys(['rotate'], { ...env, PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/PLATFORM_KEY_ENCRYPTION_KEY does not decrypt/);
    const listed = await keys(['list'], env);
    expect(listed.stdout.match(/ES256/g)).toHaveLength(1);
  });

  it('refuses without platform tokens, on an in-memory database, or without a command', async () => {
    const { DATA_DIR } = await platformEnv();
    const off = await keys(['list'], { DATA_DIR });
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/PLATFORM_ISSUER is not set/);
    expect((await keys(['list'], { ...(await platformEnv()), DATABASE_URL: 'pglite://memory' })).stderr).toMatch(/pglite:\/\/memory holds nothing/);
    expect((await keys([], await platformEnv())).stderr).toMatch(/usage: npm run keys/);
  });
});
