// `npm run keys -- list|rotate` as an operator runs it: against the embedded database it refuses
// while a server holds the directory (PGlite does not lock it), lists and rotates once stopped,
// refuses to seal a key with a wrong encryption key, and never prints a private key.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, scriptArgs, startMain, waitForOutput, type MainProcess } from '../helpers/process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const running: MainProcess[] = [];
afterAll(async () => {
  for (const main of running) {
    main.child.kill('SIGTERM');
    await main.exited;
  }
});

function keys(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...scriptArgs('keys'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('npm run keys', () => {
  it('refuses the embedded database while a server uses it, then lists and rotates once it is stopped, never printing a private key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'identity-keys-'));
    const encryptionKey = randomBytes(32).toString('base64');
    const env = { DATA_DIR: dataDir, PLATFORM_ISSUER: 'https://id.example.test', PLATFORM_KEY_ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'info' };
    const main = startMain({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    running.push(main);
    await waitForOutput(main, (out) => out.includes('identity subgraph listening'), 120_000);

    const busy = await keys(['list'], env);
    expect(busy.code).toBe(1);
    expect(busy.err).toContain(`in use by process ${main.child.pid}`);
    expect(busy.err).toMatch(/Stop the server/);

    main.child.kill('SIGTERM');
    await main.exited;
    const listed = await keys(['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/KID\s+ALG\s+STATE\s+CREATED\s+SIGNS FROM\s+RETIRES/);
    expect(listed.out).toMatch(/ES256\s+active/);

    const rotated = await keys(['rotate'], env);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/created key \S+ \(ES256\): published now, signs from/);
    expect(rotated.out).toMatch(/ES256\s+next/);
    const again = await keys(['rotate'], env);
    expect(again.out).toMatch(/already scheduled/);

    const wrong = await keys(['rotate'], { ...env, PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(0); // a rotation is already scheduled: nothing to seal

    const everything = [busy, listed, rotated, again, wrong].map((r) => r.out + r.err).join('\n') + main.stdout() + main.stderr();
    expect(everything).not.toMatch(/PRIVATE KEY|"d"\s*:/);
    expect(everything).not.toContain(encryptionKey);
    expect(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8')).toBeTruthy();
  }, 240_000);

  it('refuses to rotate with an encryption key that does not open the active key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'identity-keys-'));
    const env = { DATA_DIR: dataDir, PLATFORM_ISSUER: 'https://id.example.test', PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    expect((await keys(['rotate'], env)).code).toBe(0); // the first key, active at once
    const wrong = await keys(['rotate'], { ...env, PLATFORM_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/PLATFORM_KEY_ENCRYPTION_KEY does not decrypt/);
    const listed = await keys(['list'], env);
    expect(listed.out.match(/ES256/g)).toHaveLength(1);
    expect((await keys(['list'], { DATA_DIR: dataDir })).err).toMatch(/PLATFORM_ISSUER is not set/);
  }, 240_000);
});
