// Every event's effect on every replica within 1 s (idp-events.md). On PostgreSQL: two `npm start`
// processes on one database, configured as an operator would (webhookSecretEnv, apiKeyEnv),
// WorkOS played on loopback; an event delivered to A is seen by B (the figures are printed, not
// asserted against the clock), the same event delivered to both at once is applied once, and the
// replicas' polls apply a lost event once. On PGlite: two apps sharing the embedded database.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKind } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, TEST_SERVICE_SCOPES, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { killStarted } from '../helpers/process.js';
import { graphqlAt as graphql, startReplicaProcess, stopReplicaProcesses, useReplicaPair, type ReplicaProcess } from '../helpers/replicaPair.js';
import { useTestBed } from '../helpers/testBed.js';
import { startFakeWorkos, WEBHOOK_SECRET, WORKOS_API_KEY, WORKOS_CLIENT_ID, workosIssuerConfig, workosToken, type FakeWorkos } from '../helpers/workos.js';

const bed = useTestBed();
let workosIdp: TestIssuer;
let workos: FakeWorkos;

beforeAll(async () => {
  workosIdp = await startTestIssuer();
  workos = await startFakeWorkos();
});
afterAll(async () => {
  killStarted();
  await workos?.close();
  await workosIdp?.close();
});

const auditCount = async (eventId: string) =>
  Number((await bed.database.db.query<{ n: string }>('select count(*) as n from audit_events where actor_id = $1', [`workos:${eventId}`]))[0]!.n);

describe.skipIf(databaseKind !== 'pglite')('on PGlite', () => {
  const replicas = useReplicaPair(() => bed.database, () => ({ issuers: [workosIssuerConfig(workosIdp, null)] }));

  it('an event delivered to both apps at once is applied once; its effect holds on both', async () => {
    const subject = `user_${randomUUID()}`;
    const token = await workosToken(workosIdp, subject);
    for (const app of [replicas.a, replicas.b]) expect((await graphql(app.url, '{ viewer { id } }', token)).status).toBe(200);
    const event = workos.emit('session.revoked', { id: `session_${subject}`, user_id: subject });
    const answers = await Promise.all([workos.deliver(replicas.a.url, 'workos', event), workos.deliver(replicas.b.url, 'workos', event)]);
    expect(answers.map((x) => x.status)).toEqual([200, 200]);
    expect(await auditCount(event.id)).toBe(1);
    for (const app of [replicas.a, replicas.b]) expect((await graphql(app.url, '{ viewer { id } }', token)).status).toBe(401);
  });
});

describe.skipIf(databaseKind !== 'postgres')('on PostgreSQL: two npm start processes', () => {
  let admin: TestIssuer;
  let a: ReplicaProcess;
  let b: ReplicaProcess;
  const latencies: Record<string, number> = {};

  function start(): Promise<ReplicaProcess> {
    const entries = [
      { name: 'test', kind: 'oidc', issuer: admin.url, audience: AUDIENCE, jwksUri: admin.jwksUri, serviceScopes: TEST_SERVICE_SCOPES },
      {
        name: 'workos', kind: 'workos', issuer: workosIdp.url, clientId: WORKOS_CLIENT_ID, jwksUri: workosIdp.jwksUri, apiBaseUrl: workos.url,
        webhookSecretEnv: 'WORKOS_WEBHOOK_SECRET', apiKeyEnv: 'WORKOS_API_KEY', eventsPollSeconds: 1,
      },
    ];
    return startReplicaProcess({
      AUTH_ISSUERS: JSON.stringify(entries),
      WORKOS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      WORKOS_API_KEY: WORKOS_API_KEY,
      ...bed.database.env,
    });
  }

  beforeAll(async () => {
    admin = await startTestIssuer();
    [a, b] = await Promise.all([start(), start()]);
  }, 120_000);
  afterAll(async () => {
    await stopReplicaProcesses([a, b]);
    await admin?.close();
    console.log(`idp event effects seen on replica B (ms): ${JSON.stringify(latencies)}`);
    const output = (a?.main.stdout() ?? '') + (b?.main.stdout() ?? '') + (a?.main.stderr() ?? '') + (b?.main.stderr() ?? '');
    expect(output).not.toContain(WEBHOOK_SECRET);
    expect(output).not.toContain(WORKOS_API_KEY);
    expect(output).not.toContain('@example.com');
  });

  /** Signs in on both replicas (warming their caches); the subject, token and user id. */
  async function signIn(claims: Record<string, unknown> = {}) {
    const subject = `user_${randomUUID().replaceAll('-', '')}`;
    const token = await workosToken(workosIdp, subject, claims);
    let id = '';
    for (const replica of [a, b]) {
      for (let i = 0; i < 2; i += 1) {
        const answer = await graphql(replica.url, '{ viewer { id } }', token);
        expect(answer.status).toBe(200);
        id = answer.body.data.viewer.id;
      }
    }
    return { subject, token, id };
  }

  /** Delivers to A; resolves with how long until `seen` holds on B (ms). */
  async function onB(type: string, data: Record<string, unknown>, seen: () => Promise<boolean>): Promise<number> {
    const event = workos.emit(type, data);
    expect((await workos.deliver(a.url, 'workos', event)).status).toBe(200);
    const started = performance.now();
    await eventually(async () => expect(await seen()).toBe(true), { timeoutMs: 5000, intervalMs: 5 });
    return Math.round(performance.now() - started);
  }

  const status = async (token: string) => (await graphql(b.url, '{ viewer { id } }', token)).status;

  it('each event delivered to A holds on B (session.revoked, user.updated, user.deleted, membership removal)', async () => {
    const alice = await signIn();
    latencies['session.revoked'] = await onB('session.revoked', { id: `session_${alice.subject}`, user_id: alice.subject }, async () => (await status(alice.token)) === 401);

    const bob = await signIn();
    latencies['user.updated'] = await onB('user.updated', { id: bob.subject, email: `${bob.subject}@example.com`, email_verified: true, first_name: 'Bob', last_name: 'Builder' }, async () =>
      (await graphql(b.url, '{ viewer { name } }', bob.token)).body.data?.viewer?.name === 'Bob Builder');

    const carol = await signIn();
    latencies['user.deleted'] = await onB('user.deleted', { id: carol.subject }, async () => (await status(carol.token)) === 401);

    const owner = await signIn();
    const created = await graphql(a.url, 'mutation { createOrganization(input: { name: "Acme" }) { id } }', owner.token);
    const organizationId = created.body.data.createOrganization.id;
    const client = `svc-${randomUUID()}`;
    const service = await admin.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'organizations:admin' });
    const bound = await graphql(a.url, 'mutation ($input: SetOrganizationSsoInput!) { setOrganizationSso(input: $input) { id } }', service, {
      input: { organizationId, issuer: 'workos', externalOrganizationId: 'org_replicas', domains: [] },
    });
    expect(bound.body.errors).toBeUndefined();
    const dave = await signIn({ org_id: 'org_replicas' });
    latencies['organization_membership.deleted'] = await onB('organization_membership.deleted', { id: 'om_dave', user_id: dave.subject, organization_id: 'org_replicas' }, async () =>
      (await status(dave.token)) === 401);
  }, 60_000);

  it('the same event delivered to both replicas at once is applied once', async () => {
    const subject = `user_${randomUUID()}`;
    const event = workos.emit('session.revoked', { id: `session_${subject}`, user_id: subject });
    const answers = await Promise.all([workos.deliver(a.url, 'workos', event), workos.deliver(b.url, 'workos', event)]);
    expect(answers.map((x) => x.status)).toEqual([200, 200]);
    expect(await auditCount(event.id)).toBe(1);
  });

  it('a lost webhook is applied once by the replicas\' polls (one replica at a time)', async () => {
    const erin = await signIn();
    const started = performance.now();
    const lost = workos.emit('session.revoked', { id: `session_${erin.subject}`, user_id: erin.subject });
    await eventually(async () => expect(await status(erin.token)).toBe(401), { timeoutMs: 10_000, intervalMs: 20 });
    latencies['lost webhook, by poll (1 s interval)'] = Math.round(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await auditCount(lost.id)).toBe(1);
  }, 30_000);
});
