// The development path as a newcomer takes it: `npm run token` prints a token signed with the key
// it keeps in DATA_DIR, and `npm start` with the same DATA_DIR (the development issuer) accepts
// it: two processes sharing a key file. Ctrl+C (SIGINT) then stops the server at once, its idle
// keep-alive connection closed. The token command refuses to run in production.
import { request, type ClientRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIENCE, UUID_V4 } from '../helpers/battery.js';
import { migratedDataDir } from '../helpers/database.js';
import { temporaryDirectory } from '../helpers/files.js';
import { startTestIssuer } from '../helpers/issuer.js';
import { freePort, killStarted, runScript, startMain, waitForOutput } from '../helpers/process.js';

afterAll(killStarted);

async function gql(url: string, query: string, token: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** A request on a keep-alive connection, answered; resolves with the socket, left open and idle. */
function keepAliveRequest(url: string): Promise<NonNullable<ClientRequest['socket']>> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { headers: { connection: 'keep-alive' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.socket!));
    });
    req.shouldKeepAlive = true;
    req.on('error', reject);
    req.end();
  });
}

describe('development: npm run token, then npm start with the same DATA_DIR', () => {
  it('prints a token the development server accepts; SIGINT stops the server with its idle connection closed', async () => {
    // As a developer runs it: no DATABASE_URL, the embedded database in DATA_DIR (migrated already
    // here, helpers/database.ts, so the server creates no cluster).
    const dataDir = await migratedDataDir('identity-dev-');
    const minted = await runScript('token', ['--email', 'A@B.co', '--name', 'Alice', '--sub', 'alice'], { DATA_DIR: dataDir });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect(token.split('.')).toHaveLength(3);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // A shutdown deadline far beyond the test's: only closing idle connections lets it exit in time.
    const server = startMain({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '600000' });
    await waitForOutput(server, (out) => out.includes('identity subgraph listening'), 60_000);
    const response = await gql(url, '{ viewer { id email name identities { subject } } }', token);
    expect(response.status).toBe(200);
    expect(response.body.data.viewer).toMatchObject({ email: 'a@b.co', name: 'Alice', identities: [{ subject: 'alice' }] });
    expect(response.body.data.viewer.id).toMatch(UUID_V4);
    expect(server.stdout()).toMatch(/development issuer/i);
    expect(server.stdout() + server.stderr()).not.toContain(token);
    // A token signed by some other key is not accepted just because the development issuer is on.
    const other = await startTestIssuer();
    try {
      const iss = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).iss;
      expect((await gql(url, '{ viewer { id } }', await other.sign({ sub: 'alice', aud: AUDIENCE, iss }))).status).toBe(401);
    } finally {
      await other.close();
    }

    const idle = await keepAliveRequest(url);
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    await idleClosed;
    expect(server.stdout()).toContain('shutting down');
    expect(server.stdout()).not.toContain('shutdown timed out');
  });

  it('the token command refuses to run in production', async () => {
    const result = await runScript('token', ['--email', 'a@b.co'], { DATA_DIR: temporaryDirectory('identity-dev-'), NODE_ENV: 'production' });
    expect(result.code).not.toBe(0);
    expect(result.stdout.trim()).toBe('');
  });
});
