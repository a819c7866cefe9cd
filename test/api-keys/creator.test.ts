// Never more than the creator now (api-keys.md): a creator demoted or removed limits their keys,
// suspended answers 403 USER_SUSPENDED, deleted revokes them (401); and a key revoked on one
// replica: each within 1 s on a second replica whose key is warm (figures printed).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { code, createKey, revokeKey } from '../helpers/apiKeys.js';
import type { TestApp } from '../helpers/app.js';
import { databaseKind } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, issuerConfig } from '../helpers/issuer.js';
import { coprocessor } from '../helpers/lifecycle.js';
import { useReplicaPair } from '../helpers/replicaPair.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
const replicas = useReplicaPair(() => bed.database, () => ({ issuers: [issuerConfig(bed.issuer, { name: 'test' })] }));

async function signIn() {
  const email = `u-${randomUUID()}@example.com`;
  const token = await bed.issuer.sign({ sub: `user|${randomUUID()}`, aud: AUDIENCE, email, email_verified: true });
  const answer = await replicas.a.gql('{ viewer { id } }', { token });
  return { id: answer.body.data.viewer.id as string, token, email };
}

const serviceToken = () => {
  const client = `svc-${randomUUID()}`;
  return bed.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'users:admin' });
};

async function staffedOrg() {
  const owner = await signIn();
  const admin = await signIn();
  const org = await replicas.a.gql('mutation { createOrganization(input: { name: "Acme" }) { id } }', { token: owner.token });
  const orgId = org.body.data.createOrganization.id as string;
  const invitation = await replicas.a.gql('mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }', { token: owner.token, variables: { input: { organizationId: orgId, email: admin.email, role: 'ADMIN' } } });
  const accepted = await replicas.a.gql('mutation ($id: ID!) { acceptInvitation(id: $id) { id } }', { token: admin.token, variables: { id: invitation.body.data.inviteMember.id } });
  return { orgId, owner, admin, membershipId: accepted.body.data.acceptInvitation.id as string };
}

const invite = (app: TestApp, token: string, organizationId: string) =>
  app.gql('mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }', { token, variables: { input: { organizationId, email: `${randomUUID()}@example.com`, role: 'MEMBER' } } });

/** Polls `check` on replica B until it holds; the time it took, printed. */
async function measured(label: string, check: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await eventually(check, { timeoutMs: 1000, intervalMs: 10 });
  const ms = performance.now() - started;
  console.log(`[api-keys ${databaseKind}] ${label}: refused on replica B after ${ms.toFixed(0)} ms`);
  return ms;
}

describe('a creator losing what their keys carry', () => {
  it('demoted while the key is warm on a second replica: limited to the new role within 1 s (coprocessor too)', async () => {
    const { orgId, owner, admin, membershipId } = await staffedOrg();
    const personal = await createKey(replicas.a.gql, admin.token, { scopes: [`org:${orgId}:write`] });
    const orgKey = await createKey(replicas.a.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:write`] });
    for (let i = 0; i < 3; i += 1) {
      expect((await invite(replicas.b, personal.secret, orgId)).body.errors).toBeUndefined();
      expect((await invite(replicas.b, orgKey.secret, orgId)).body.errors).toBeUndefined();
    }
    expect(JSON.stringify(await coprocessor(replicas.b.url, personal.secret))).toContain(`org:${orgId}:ADMIN`);
    const demoted = await replicas.a.gql('mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { role } }', { token: owner.token, variables: { input: { membershipId, role: 'MEMBER' } } });
    expect(demoted.body.data.updateMemberRole.role).toBe('MEMBER');
    await measured('creator demoted (personal key)', async () => expect(code(await invite(replicas.b, personal.secret, orgId))).toBe('FORBIDDEN'));
    await measured('creator demoted (organization key)', async () => expect(code(await invite(replicas.b, orgKey.secret, orgId))).toBe('FORBIDDEN'));
    // Still what a MEMBER may: read the organization.
    const read = await replicas.b.gql('query ($id: ID!) { organization(id: $id) { members { role } } }', { token: orgKey.secret, variables: { id: orgId } });
    expect(read.body.data.organization.members).toHaveLength(2);
    const scopes = JSON.stringify(await coprocessor(replicas.b.url, personal.secret));
    expect(scopes).toContain(`org:${orgId}:MEMBER`);
    expect(scopes).not.toContain(`org:${orgId}:ADMIN`);
    // Removed: nothing of the organization.
    await replicas.a.gql('mutation ($id: ID!) { removeMember(membershipId: $id) }', { token: owner.token, variables: { id: membershipId } });
    await measured('creator removed', async () => {
      const answer = await replicas.b.gql('query ($id: ID!) { organization(id: $id) { id } }', { token: orgKey.secret, variables: { id: orgId } });
      expect(answer.body.data.organization).toBeNull();
    });
  });

  it('suspended: personal and organization keys answer 403 USER_SUSPENDED on the other replica within 1 s; reactivated: at once again', async () => {
    const { orgId, admin } = await staffedOrg();
    const personal = await createKey(replicas.a.gql, admin.token, { scopes: ['user'] });
    const orgKey = await createKey(replicas.a.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] });
    for (const key of [personal, orgKey]) expect((await replicas.b.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    await replicas.a.gql('mutation ($id: ID!) { suspendUser(userId: $id) { id } }', { token: await serviceToken(), variables: { id: admin.id } });
    for (const [label, key] of [['personal', personal], ['organization', orgKey]] as const) {
      await measured(`creator suspended (${label} key)`, async () => {
        const answer = await replicas.b.gql('{ viewer { id } }', { token: key.secret });
        expect(answer.status).toBe(403);
        expect(code(answer)).toBe('USER_SUSPENDED');
      });
    }
    const copro = (await coprocessor(replicas.b.url, personal.secret)) as { control: unknown };
    expect(copro.control).toEqual({ break: 403 });
    await replicas.a.gql('mutation ($id: ID!) { reactivateUser(userId: $id) { id } }', { token: await serviceToken(), variables: { id: admin.id } });
    await eventually(async () => expect((await replicas.b.gql('{ viewer { id } }', { token: personal.secret })).status).toBe(200), { timeoutMs: 1000 });
  });

  it('deleted: their keys are revoked (401) on the other replica within 1 s, and listed with revokedAt', async () => {
    const { orgId, owner, admin } = await staffedOrg();
    const orgKey = await createKey(replicas.a.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] });
    const personal = await createKey(replicas.a.gql, admin.token, { scopes: ['user'] });
    for (const key of [personal, orgKey]) expect((await replicas.b.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    expect((await replicas.a.gql('mutation { deleteViewer }', { token: admin.token })).body.errors).toBeUndefined();
    for (const [label, key] of [['personal', personal], ['organization', orgKey]] as const) {
      await measured(`creator deleted (${label} key)`, async () => expect((await replicas.b.gql('{ viewer { id } }', { token: key.secret })).status).toBe(401));
    }
    const listed = await replicas.a.gql('query ($id: ID!) { organization(id: $id) { apiKeys { id revokedAt } } }', { token: owner.token, variables: { id: orgId } });
    expect(listed.body.data.organization.apiKeys).toEqual([{ id: orgKey.id, revokedAt: expect.any(String) }]);
  });

  it('a key revoked on one replica is refused on the other within 1 s', async () => {
    const alice = await signIn();
    const key = await createKey(replicas.a.gql, alice.token, { scopes: ['user'] });
    for (let i = 0; i < 3; i += 1) expect((await replicas.b.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    expect((await revokeKey(replicas.a.gql, alice.token, key.id)).body.data.revokeApiKey).toBe(true);
    await measured('key revoked', async () => expect((await replicas.b.gql('{ viewer { id } }', { token: key.secret })).status).toBe(401));
  });
});
