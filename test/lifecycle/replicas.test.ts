// Every lifecycle effect holds on every replica within 1 s (lifecycle.md). On PostgreSQL: two
// `npm start` processes on one database, B's LISTEN connection through a proxy that can cut it.
// On PGlite: two apps sharing a database and lifecycle feed see each other's changes at once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKind, TEST_DATABASE_URL } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, TEST_SERVICE_SCOPES } from '../helpers/issuer.js';
import { eventually } from '../helpers/eventually.js';
import { graphqlAt as graphql, startReplicaProcess, stopReplicaProcesses, useReplicaPair, type ReplicaProcess } from '../helpers/replicaPair.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { useTestBed } from '../helpers/testBed.js';
import { logoutToken, nowSeconds, postLogout } from '../helpers/lifecycle.js';

const DEADLINE_MS = 1000;

const bed = useTestBed();

const viewerStatus = async (baseUrl: string, token: string) => (await graphql(baseUrl, '{ viewer { id } }', token)).status;

/** Polls until `viewer` answers `status` on `baseUrl`; resolves with the time it took (ms), or fails past the deadline. */
async function convergence(baseUrl: string, token: string, status: number, deadlineMs = DEADLINE_MS): Promise<number> {
  const started = performance.now();
  await eventually(async () => expect(await viewerStatus(baseUrl, token)).toBe(status), { timeoutMs: deadlineMs, intervalMs: 10 });
  return performance.now() - started;
}

async function signIn(baseUrls: string[]): Promise<{ id: string; token: string; subject: string }> {
  const subject = `user|${randomUUID()}`;
  const token = await bed.issuer.sign({ sub: subject, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true, sid: `sid-${subject}` });
  let id = '';
  // Warm every replica's caches: verified token, identity, user row.
  for (const url of baseUrls) {
    for (let i = 0; i < 3; i += 1) {
      const answer = await graphql(url, '{ viewer { id } }', token);
      expect(answer.status).toBe(200);
      id = answer.body.data.viewer.id;
    }
  }
  return { id, token, subject };
}

const adminToken = () => {
  const client = `svc-${randomUUID()}`;
  return bed.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'users:admin' });
};

async function admin(baseUrl: string, mutation: string, userId: string) {
  const answer = await graphql(baseUrl, `mutation ($id: ID!) { ${mutation} }`, await adminToken(), { id: userId });
  expect(answer.body.errors).toBeUndefined();
}

describe.skipIf(databaseKind !== 'pglite')('on PGlite', () => {
  describe('two apps on one embedded database', () => {
    // One process, one database object: the apps share its lifecycle feed, as npm start's one app would.
    const replicas = useReplicaPair(() => bed.database, () => ({ issuers: [issuerConfig(bed.issuer, { name: 'test' })] }));

    it('a suspension, revocation or deletion made through one is refused by the other at once', async () => {
      const alice = await signIn([replicas.a.url, replicas.b.url]);
      await admin(replicas.a.url, 'suspendUser(userId: $id) { id }', alice.id);
      expect(await viewerStatus(replicas.b.url, alice.token)).toBe(403);
      await admin(replicas.a.url, 'reactivateUser(userId: $id) { id }', alice.id);
      expect(await viewerStatus(replicas.b.url, alice.token)).toBe(200);
      await admin(replicas.a.url, 'revokeSessions(userId: $id)', alice.id);
      expect(await viewerStatus(replicas.b.url, alice.token)).toBe(401);
      const bob = await signIn([replicas.a.url, replicas.b.url]);
      await admin(replicas.a.url, 'deleteUser(userId: $id)', bob.id);
      expect(await viewerStatus(replicas.b.url, bob.token)).toBe(401);
    });
  });
});

describe.skipIf(databaseKind !== 'postgres')('on PostgreSQL', () => {
  describe('two server processes on one PostgreSQL', () => {
    let proxy: TcpProxy;
    let a: ReplicaProcess;
    let b: ReplicaProcess;
    const latencies: Record<string, number> = {};

    const start = (env: Record<string, string>): Promise<ReplicaProcess> =>
      startReplicaProcess({
        AUTH_ISSUERS: JSON.stringify([{ name: 'test', kind: 'oidc', issuer: bed.issuer.url, audience: AUDIENCE, jwksUri: bed.issuer.jwksUri, serviceScopes: TEST_SERVICE_SCOPES }]),
        ...env,
      });

    beforeAll(async () => {
      const target = new URL(TEST_DATABASE_URL!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      // B listens through the proxy, straight to PostgreSQL (also when the pool goes through PgBouncer).
      const listenUrl = bed.database.connection!.listenUrl ?? bed.database.url!;
      [a, b] = await Promise.all([start(bed.database.env), start({ ...bed.database.env, DB_LISTEN_URL: proxy.proxied(listenUrl) })]);
    }, 120_000);
    afterAll(async () => {
      await stopReplicaProcesses([a, b]);
      await proxy?.close();
      console.log(`lifecycle convergence on replica B (ms): ${JSON.stringify(latencies)}`);
    });

    it('suspension, reactivation, revocation, deletion and a back-channel logout on A are enforced by B within 1 s', async () => {
      const alice = await signIn([a.url, b.url]);
      await admin(a.url, 'suspendUser(userId: $id) { id }', alice.id);
      latencies['suspend'] = await convergence(b.url, alice.token, 403);
      await admin(a.url, 'reactivateUser(userId: $id) { id }', alice.id);
      latencies['reactivate'] = await convergence(b.url, alice.token, 200);
      await admin(a.url, 'revokeSessions(userId: $id)', alice.id);
      latencies['revokeSessions'] = await convergence(b.url, alice.token, 401);

      const bob = await signIn([a.url, b.url]);
      await admin(a.url, 'deleteUser(userId: $id)', bob.id);
      latencies['deleteUser'] = await convergence(b.url, bob.token, 401);

      const carol = await signIn([a.url, b.url]);
      expect((await postLogout(a.url, await logoutToken(bed.issuer, { sid: `sid-${carol.subject}` }))).status).toBe(200);
      latencies['backchannelLogout'] = await convergence(b.url, carol.token, 401);
      // Another replica refuses the same logout token: the jti is recorded in the database.
      expect((await postLogout(b.url, await logoutToken(bed.issuer, { sid: 'other', jti: 'shared-jti' }))).status).toBe(200);
      expect((await postLogout(a.url, await logoutToken(bed.issuer, { sid: 'other', jti: 'shared-jti' }))).status).toBe(400);
    }, 60_000);

    it('B stops trusting its caches when its LISTEN connection is cut (silently, then reset), and reloads when it is back', async () => {
      const dave = await signIn([a.url, b.url]);
      proxy.cut('blackhole');
      await admin(a.url, 'suspendUser(userId: $id) { id }', dave.id);
      // Unheard: B reads the database for each request once its heartbeat goes unanswered.
      latencies['suspendWhileListenBlackholed'] = await convergence(b.url, dave.token, 403);
      proxy.cut('reset');
      await admin(a.url, 'reactivateUser(userId: $id) { id }', dave.id);
      latencies['reactivateWhileListenReset'] = await convergence(b.url, dave.token, 200);
      proxy.restore();
      // Back: a change made while B could not hear is in the state B reloads.
      const erin = await signIn([b.url]);
      proxy.cut('reset');
      await admin(a.url, 'revokeSessions(userId: $id)', erin.id);
      proxy.restore();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await viewerStatus(b.url, erin.token)).toBe(401);
      const fresh = await bed.issuer.sign({ sub: erin.subject, aud: AUDIENCE, email_verified: true, iat: nowSeconds() + 2 });
      expect(await viewerStatus(b.url, fresh)).toBe(200);
      await admin(a.url, 'suspendUser(userId: $id) { id }', erin.id);
      latencies['suspendAfterReconnect'] = await convergence(b.url, fresh, 403);
    }, 60_000);
  });
});
