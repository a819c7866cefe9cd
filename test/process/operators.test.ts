// `npm run operators` as a process: against the embedded database it refuses while a server
// (another process: this one) holds the directory; once the server has stopped it lists nobody
// and refuses an unknown email with a clear line and exit code 1. The rules: test/operators/cli.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { migratedDataDir } from '../helpers/database.js';
import { killStarted, runScript } from '../helpers/process.js';

afterAll(killStarted);

describe('npm run operators', () => {
  it('refuses the embedded database while a server uses it; then lists nobody and refuses an unknown email', async () => {
    const env = { DATA_DIR: await migratedDataDir('identity-operators-') };
    const server = await createApp(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    let busy;
    try {
      busy = await runScript('operators', ['list'], env);
    } finally {
      await server.close();
    }
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`in use by process ${process.pid}`);

    const listed = await runScript('operators', ['list'], env);
    expect(listed).toMatchObject({ code: 0, stdout: '' });
    expect(listed.stderr).toContain('no operators');

    const unknown = await runScript('operators', ['grant', 'nobody@example.com'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('operators: no user holds nobody@example.com: they become a user at their first sign-in\n');
  }, 90_000);
});
