// Graceful shutdown of the real process (`npm start`'s command line): SIGTERM or SIGINT stops accepting,
// lets in-flight requests finish, closes idle keep-alive connections and the pool, exits 0.
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDataDir } from '../helpers/database.js';
import { freePort, startMain, waitForOutput, type MainProcess } from '../helpers/process.js';
import { eventually } from '../helpers/eventually.js';
import { startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

let issuer: TestIssuer;
let slowJwks: Server;
let slowJwksUri: string;
/** Resolves when the next JWKS request reaches the held endpoint. */
let jwksRequested: () => void = () => undefined;
/** While true, JWKS requests are held until released. */
let holding = false;
/** Answers every JWKS request held so far. */
const heldJwks: (() => void)[] = [];
const releaseJwks = () => heldJwks.splice(0).forEach((answer) => answer());

beforeAll(async () => {
  issuer = await startTestIssuer();
  // A JWKS endpoint that, once told to hold, answers only when the test releases it: a request
  // whose token needs a new key stays in flight meanwhile, which is the in-flight request the
  // shutdown must let finish. (The start-up fetch is answered at once.)
  slowJwks = createServer((_req, res) => {
    const answer = () => {
      fetch(issuer.jwksUri)
        .then((published) => published.text())
        .then((body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        }, () => res.destroy());
    };
    if (!holding) return answer();
    heldJwks.push(answer);
    jwksRequested();
  });
  await new Promise<void>((resolve) => slowJwks.listen(0, '127.0.0.1', resolve));
  slowJwksUri = `http://127.0.0.1:${(slowJwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(async () => {
  releaseJwks();
  slowJwks?.closeAllConnections();
  await new Promise<void>((resolve) => (slowJwks ? slowJwks.close(() => resolve()) : resolve()));
  await issuer?.close();
});

async function startServer(): Promise<{ main: MainProcess; url: string }> {
  const port = await freePort();
  const main = startMain({
    // The embedded database, migrated already (helpers/database.ts): no cluster created in the child.
    DATA_DIR: await migratedDataDir('identity-shutdown-'),
    HOST: '127.0.0.1',
    PORT: String(port),
    AUTH_ISSUERS: JSON.stringify([{ name: 'test', kind: 'oidc', issuer: issuer.url, audience: 'https://api.test', jwksUri: slowJwksUri }]),
    SHUTDOWN_TIMEOUT_MS: '8000',
    JWKS_FETCH_TIMEOUT_MS: '8000', // the held JWKS answer must not time out first
  });
  await waitForOutput(main, (out) => out.includes('identity subgraph listening'));
  const url = `http://127.0.0.1:${port}`;
  // Ready: the start-up key fetch has been answered.
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200);
  return { main, url };
}

/** A request on a keep-alive connection (node:http agent), resolving with status and body. */
function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'keep-alive', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('graceful shutdown', () => {
  // SIGINT while idle, an idle keep-alive connection closed: test/process/token.test.ts.
  it('finishes an in-flight request, refuses new connections, then exits 0', async () => {
    const { main, url } = await startServer();
    // A token under a key the server has not fetched yet: its request waits on the held JWKS.
    holding = true;
    await issuer.rotate({ keepOld: true });
    const token = await issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
    const waiting = new Promise<void>((resolve) => (jwksRequested = resolve));
    const inFlight = post(url, JSON.stringify({ query: '{ viewer { id } }' }), { authorization: `Bearer ${token}` });
    await waiting; // the request is now in the server, waiting on the held JWKS
    main.child.kill('SIGTERM');
    await waitForOutput(main, (out) => out.includes('shutting down'));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    releaseJwks(); // only now: the request was in flight through all of the above
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await main.exited).toBe(0);
  });
});
