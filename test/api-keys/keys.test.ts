// API keys (api-keys.md): creation and its limits, the format, use on /graphql as the user (own
// data only with `user`), listing, revocation and who may revoke, and the audit rows.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, parseApiKey } from '../../src/domain/apiKeyFormat.js';
import { API_KEY_FIELDS, code, createKey, CREATE_API_KEY, reason, revokeKey } from '../helpers/apiKeys.js';
import { useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const create = (token: string, input: Record<string, unknown>) => suite.gql(CREATE_API_KEY, { token, variables: { input: { name: 'k', ...input } } });

describe('creating a personal key', () => {
  it('answers the key once, in the idk_ format, with its prefix; only an HMAC is stored', async () => {
    const alice = await suite.signIn();
    const result = await create(alice.token, { name: 'laptop', scopes: ['user'] });
    expect(result.body.errors).toBeUndefined();
    const { secret, apiKey } = result.body.data.createApiKey;
    expect(secret).toMatch(API_KEY_PATTERN);
    expect(secret).toHaveLength(55);
    expect(parseApiKey(secret)).not.toBeNull();
    expect(apiKey.prefix).toBe(secret.slice(0, 16));
    expect(apiKey).toMatchObject({ name: 'laptop', scopes: ['user'], organization: null, createdBy: { id: alice.id }, revokedAt: null, lastUsedAt: null, expiresAt: null });
    const rows = await suite.database.db.query<Record<string, unknown>>('select * from api_keys where id = $1', [apiKey.id]);
    const stored = JSON.stringify(rows[0], (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    expect(stored).not.toContain(secret.slice(17, 49));
    expect((rows[0]!['secret_hmac'] as Uint8Array).length).toBe(32);
    // The list never shows the secret again.
    const listed = await suite.gql(`{ viewer { apiKeys { ${API_KEY_FIELDS} } } }`, { token: alice.token });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.data.viewer.apiKeys.map((k: { id: string }) => k.id)).toEqual([apiKey.id]);
  });

  it('refuses names outside 1-100 characters, an expiresAt not in the future, unknown scopes: BAD_USER_INPUT', async () => {
    const alice = await suite.signIn();
    for (const input of [
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { expiresAt: new Date(Date.now() - 1000).toISOString() },
      { expiresAt: 'tomorrow' },
      { scopes: ['users:read'] },
      { scopes: ['org:not-a-uuid:read'] },
      { scopes: [`org:${randomUUID()}:owner`] },
    ]) {
      const result = await create(alice.token, { scopes: [], ...input });
      expect(code(result), JSON.stringify(input)).toBe('BAD_USER_INPUT');
    }
    expect((await create(alice.token, { name: 'x'.repeat(100), scopes: [] })).body.errors).toBeUndefined();
  });

  it('needs a user: anonymous UNAUTHENTICATED, a service FORBIDDEN', async () => {
    expect(code(await suite.gql(CREATE_API_KEY, { variables: { input: { name: 'k', scopes: [] } } }))).toBe('UNAUTHENTICATED');
    const service = await suite.serviceToken(['users:admin']);
    expect(code(await create(service, { scopes: [] }))).toBe('FORBIDDEN');
  });

  it('keeps at most 100 keys not revoked per user: the 101st BAD_USER_INPUT, until one is revoked', async () => {
    const alice = await suite.signIn();
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 1) ids.push((await createKey(suite.gql, alice.token, { scopes: [] })).id);
    const refused = await create(alice.token, { scopes: [] });
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(reason(refused)).toBe('too_many_api_keys');
    expect((await revokeKey(suite.gql, alice.token, ids[0]!)).body.data.revokeApiKey).toBe(true);
    expect((await create(alice.token, { scopes: [] })).body.errors).toBeUndefined();
  });

  it('never grants beyond the creator: another organization, write as a MEMBER, admin scopes without operator: FORBIDDEN', async () => {
    const { orgId, member } = await suite.staffedOrg();
    const other = await suite.createOrg(await suite.signIn());
    expect(code(await create(member.token, { scopes: [`org:${other}:read`] }))).toBe('FORBIDDEN');
    expect(code(await create(member.token, { scopes: [`org:${orgId}:write`] }))).toBe('FORBIDDEN');
    expect(code(await create(member.token, { scopes: ['users:admin'] }))).toBe('FORBIDDEN');
    expect((await create(member.token, { scopes: [`org:${orgId}:read`] })).body.errors).toBeUndefined();
  });
});

describe('using a personal key on /graphql', () => {
  it('acts as its user: viewer is the user whatever the scopes; own data needs `user`', async () => {
    const alice = await suite.signIn();
    const bare = await createKey(suite.gql, alice.token, { scopes: [] });
    const full = await createKey(suite.gql, alice.token, { scopes: ['user'] });
    const query = '{ viewer { id email identities { subject } apiKeys { id } securityEvents { edges { node { action } } } } }';
    const withBare = await suite.gql('{ viewer { id email identities { subject } apiKeys { id } memberships { id } } }', { token: bare.secret });
    expect(withBare.status).toBe(200);
    expect(withBare.body.data.viewer).toEqual({ id: alice.id, email: null, identities: [], apiKeys: [], memberships: [] });
    const withFull = await suite.gql(query, { token: full.secret });
    expect(withFull.body.errors).toBeUndefined();
    expect(withFull.body.data.viewer.email).toBe(alice.email);
    expect(withFull.body.data.viewer.apiKeys).toHaveLength(2);
    // securityEvents without `user`: refused (not the user's to read through this key).
    expect(code(await suite.gql('{ viewer { securityEvents { edges { node { action } } } } }', { token: bare.secret }))).toBe('FORBIDDEN');
    // Nor can such a key create keys or leave the account's settings.
    expect(code(await create(bare.secret, { scopes: [] }))).toBe('FORBIDDEN');
    expect(code(await suite.gql('mutation { signOutEverywhere }', { token: bare.secret }))).toBe('FORBIDDEN');
  });

  it('org:<id>:read reads the organization as a MEMBER; write acts as an ADMIN, never OWNER changes', async () => {
    const { orgId, owner, member } = await suite.staffedOrg();
    const read = await createKey(suite.gql, owner.token, { scopes: [`org:${orgId}:read`] });
    const write = await createKey(suite.gql, owner.token, { scopes: [`org:${orgId}:write`] });
    const none = await createKey(suite.gql, owner.token, { scopes: ['user'] });
    const org = `query ($id: ID!) { organization(id: $id) { id members { role } invitations { id } apiKeys { id } } }`;
    expect((await suite.gql(org, { token: none.secret, variables: { id: orgId } })).body.data.organization).toBeNull();
    const asRead = (await suite.gql(org, { token: read.secret, variables: { id: orgId } })).body.data.organization;
    expect(asRead.members).toHaveLength(3);
    expect(asRead.invitations).toEqual([]);
    expect(asRead.apiKeys).toEqual([]);
    const invite = (token: string, role: string) =>
      suite.gql('mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }', { token, variables: { input: { organizationId: orgId, email: `${randomUUID()}@example.com`, role } } });
    expect(code(await invite(read.secret, 'MEMBER'))).toBe('FORBIDDEN');
    expect((await invite(write.secret, 'MEMBER')).body.errors).toBeUndefined();
    expect(code(await invite(write.secret, 'OWNER'))).toBe('FORBIDDEN');
    // The OWNER's own membership through a write key: an ADMIN cannot change an OWNER.
    const members = await suite.gql(`query ($id: ID!) { organization(id: $id) { members { id role user { id } } } }`, { token: owner.token, variables: { id: orgId } });
    const ownerMembership = members.body.data.organization.members.find((m: any) => m.user.id === owner.id).id;
    const memberMembership = members.body.data.organization.members.find((m: any) => m.user.id === member.id).id;
    const update = (token: string, membershipId: string, role: string) =>
      suite.gql('mutation ($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { role } }', { token, variables: { input: { membershipId, role } } });
    expect(code(await update(write.secret, ownerMembership, 'ADMIN'))).toBe('FORBIDDEN');
    expect(code(await update(write.secret, memberMembership, 'OWNER'))).toBe('FORBIDDEN');
    expect((await update(write.secret, memberMembership, 'ADMIN')).body.data.updateMemberRole.role).toBe('ADMIN');
  });

  it('a revoked, expired or unknown key answers 401 UNAUTHENTICATED', async () => {
    const alice = await suite.signIn();
    const key = await createKey(suite.gql, alice.token, { scopes: ['user'] });
    expect((await suite.gql('{ viewer { id } }', { token: key.secret })).status).toBe(200);
    expect((await revokeKey(suite.gql, alice.token, key.id)).body.data.revokeApiKey).toBe(true);
    const revoked = await suite.gql('{ viewer { id } }', { token: key.secret });
    expect(revoked.status).toBe(401);
    expect(code(revoked)).toBe('UNAUTHENTICATED');
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    // Revoking again: still true, listed with revokedAt.
    expect((await revokeKey(suite.gql, alice.token, key.id)).body.data.revokeApiKey).toBe(true);
    const listed = await suite.gql('{ viewer { apiKeys { id revokedAt } } }', { token: alice.token });
    expect(listed.body.data.viewer.apiKeys[0].revokedAt).not.toBeNull();
    // Expired: a key that expires in 1.5 s, warm before, refused after (no cache outlives expiresAt).
    const soon = await createKey(suite.gql, alice.token, { scopes: [], expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await suite.gql('{ viewer { id } }', { token: soon.secret })).status).toBe(200);
    await eventuallyStatus(soon.secret, 401);
    expect(reason(await suite.gql('{ viewer { id } }', { token: soon.secret }))).toBe('token_expired');
    // Unknown: a well-formed key nobody holds.
    const unknown = `idk_${'A'.repeat(12)}_${'b'.repeat(32)}`;
    const { composeApiKey } = await import('../../src/domain/apiKeyFormat.js');
    expect((await suite.gql('{ viewer { id } }', { token: composeApiKey('A'.repeat(12), 'b'.repeat(32)) })).status).toBe(401);
    expect((await suite.gql('{ viewer { id } }', { token: `${unknown}xxxxxx` })).status).toBe(401);
  });
});

async function eventuallyStatus(token: string, status: number) {
  const { eventually } = await import('../helpers/eventually.js');
  await eventually(async () => expect((await suite.gql('{ viewer { id } }', { token })).status).toBe(status));
}

it('a personal key reaching neither the account nor the organization cannot make its user leave it', async () => {
  const { orgId, owner, member } = await suite.staffedOrg();
  const bare = await createKey(suite.gql, member.token, { scopes: [] });
  const members = await suite.gql('query ($id: ID!) { organization(id: $id) { members { id user { id } } } }', { token: owner.token, variables: { id: orgId } });
  const mine = members.body.data.organization.members.find((m: any) => m.user.id === member.id).id;
  const leave = (token: string) => suite.gql('mutation ($id: ID!) { removeMember(membershipId: $id) }', { token, variables: { id: mine } });
  expect(code(await leave(bare.secret))).toBe('FORBIDDEN');
  const reader = await createKey(suite.gql, member.token, { scopes: [`org:${orgId}:read`] });
  expect((await leave(reader.secret)).body.data.removeMember).toBe(true);
});

describe('organization keys', () => {
  it('are created by an OWNER or ADMIN for that organization only; viewer is null; they act for it alone', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const other = await suite.createOrg(owner);
    expect(code(await create(member.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] }))).toBe('FORBIDDEN');
    expect(code(await create(admin.token, { organizationId: orgId, scopes: [`org:${other}:read`] }))).toBe('FORBIDDEN');
    expect(code(await create(admin.token, { organizationId: orgId, scopes: ['user'] }))).toBe('FORBIDDEN');
    expect(code(await create(admin.token, { organizationId: randomUUID(), scopes: [`org:${orgId}:read`] }))).toBe('FORBIDDEN');
    const key = await createKey(suite.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:write`] });
    const viewer = await suite.gql('{ viewer { id } }', { token: key.secret });
    expect(viewer.status).toBe(200);
    expect(viewer.body.data.viewer).toBeNull();
    const org = await suite.gql('query ($id: ID!) { organization(id: $id) { id members { user { email } } apiKeys { id organization { id } } } }', { token: key.secret, variables: { id: orgId } });
    expect(org.body.errors).toBeUndefined();
    expect(org.body.data.organization.members).toHaveLength(3);
    expect(org.body.data.organization.apiKeys.map((k: any) => k.id)).toContain(key.id);
    expect((await suite.gql('query ($id: ID!) { organization(id: $id) { id } }', { token: key.secret, variables: { id: other } })).body.data.organization).toBeNull();
    // It cannot make keys itself (keys are made by people).
    expect(code(await create(key.secret, { scopes: [] }))).toBe('FORBIDDEN');
    // The organization's ADMINs see its keys; MEMBERs do not.
    const list = 'query ($id: ID!) { organization(id: $id) { apiKeys { id } } }';
    expect((await suite.gql(list, { token: owner.token, variables: { id: orgId } })).body.data.organization.apiKeys.map((k: any) => k.id)).toContain(key.id);
    expect((await suite.gql(list, { token: member.token, variables: { id: orgId } })).body.data.organization.apiKeys).toEqual([]);
  });

  it('revocation: its creator, the organization OWNER/ADMIN, users:admin; anyone else NOT_FOUND', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    const stranger = await suite.signIn();
    const make = () => createKey(suite.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] });
    const a = await make();
    expect(code(await revokeKey(suite.gql, member.token, a.id))).toBe('NOT_FOUND');
    expect(code(await revokeKey(suite.gql, stranger.token, a.id))).toBe('NOT_FOUND');
    expect(code(await revokeKey(suite.gql, stranger.token, randomUUID()))).toBe('NOT_FOUND');
    expect(code(await revokeKey(suite.gql, stranger.token, 'nope'))).toBe('NOT_FOUND');
    expect((await revokeKey(suite.gql, owner.token, a.id)).body.data.revokeApiKey).toBe(true);
    expect((await revokeKey(suite.gql, admin.token, (await make()).id)).body.data.revokeApiKey).toBe(true);
    expect((await revokeKey(suite.gql, await suite.serviceToken(['users:admin']), (await make()).id)).body.data.revokeApiKey).toBe(true);
    const personal = await createKey(suite.gql, member.token, { scopes: [] });
    expect(code(await revokeKey(suite.gql, owner.token, personal.id))).toBe('NOT_FOUND');
  });

  it('audits api_key.created and api_key.revoked: an organization key in auditEvents, a personal key in securityEvents', async () => {
    const { orgId, admin } = await suite.staffedOrg();
    const orgKey = await createKey(suite.gql, admin.token, { organizationId: orgId, scopes: [`org:${orgId}:read`] });
    await revokeKey(suite.gql, admin.token, orgKey.id);
    const events = await suite.gql('query ($id: ID!) { organization(id: $id) { auditEvents { edges { node { action targetType targetId actorType actorId } } } } }', {
      token: admin.token,
      variables: { id: orgId },
    });
    const nodes = events.body.data.organization.auditEvents.edges.map((e: any) => e.node);
    expect(nodes.filter((n: any) => n.targetId === orgKey.id)).toEqual([
      { action: 'api_key.revoked', targetType: 'api_key', targetId: orgKey.id, actorType: 'user', actorId: admin.id },
      { action: 'api_key.created', targetType: 'api_key', targetId: orgKey.id, actorType: 'user', actorId: admin.id },
    ]);
    const personal = await createKey(suite.gql, admin.token, { scopes: [] });
    await revokeKey(suite.gql, admin.token, personal.id);
    const security = await suite.gql('{ viewer { securityEvents { edges { node { action targetType targetId actorId } } } } }', { token: admin.token });
    const mine = security.body.data.viewer.securityEvents.edges.map((e: any) => e.node).filter((n: any) => n.targetType === 'api_key');
    expect(mine).toEqual([
      { action: 'api_key.revoked', targetType: 'api_key', targetId: personal.id, actorId: admin.id },
      { action: 'api_key.created', targetType: 'api_key', targetId: personal.id, actorId: admin.id },
    ]);
  });
});
