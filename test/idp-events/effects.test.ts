// The effects of WorkOS events (idp-events.md, "Events and their effects"), delivered by webhook
// and signed by WorkOS's SDK: user.deleted, user.updated by the identity rules, membership removal
// from organization_membership.deleted and Directory Sync, out-of-order pairs, each with its
// audit row (actor system, `workos:<event id>`).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { AUDIENCE, issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { startFakeWorkos, workosIssuerConfig, workosToken, type FakeWorkos } from '../helpers/workos.js';

let oidc: TestIssuer;
let workosIdp: TestIssuer;
let database: TestDatabase;
let workos: FakeWorkos;
let api: TestApp;

beforeAll(async () => {
  [oidc, workosIdp] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  database = await openTestDatabase();
  workos = await startFakeWorkos();
  api = await startTestApp({ issuers: [issuerConfig(oidc, { name: 'test' }), workosIssuerConfig(workosIdp, null)], database: database.db });
});
afterAll(async () => {
  await api?.close();
  await workos?.close();
  await database?.close();
  await oidc?.close();
  await workosIdp?.close();
});

const PROFILE = '{ viewer { id email emailVerified name } }';

async function viewer(token: string) {
  const result = await api.gql(PROFILE, { token });
  return { status: result.status, reason: result.body.errors?.[0]?.extensions?.['reason'], ...(result.body.data?.viewer ?? {}) };
}

async function signIn(claims: Record<string, unknown> = {}) {
  const subject = `user_${randomUUID().replaceAll('-', '')}`;
  const token = await workosToken(workosIdp, subject, claims);
  const seen = await viewer(token);
  expect(seen.status).toBe(200);
  return { subject, token, id: seen.id as string, email: `${subject}@example.com` };
}

const deliver = async (type: string, data: Record<string, unknown>, at?: number) => {
  const event = workos.emit(type, data, at);
  const answer = await workos.deliver(api.url, 'workos', event);
  expect({ type, status: answer.status, text: answer.text }).toEqual({ type, status: 200, text: '' });
  return event;
};

const audit = (eventId: string) => database.db.query<{ action: string; actor_type: string; target_type: string; details: any }>(
  'select action, actor_type, target_type, details from audit_events where actor_id = $1 order by id',
  [`workos:${eventId}`],
);
const outcome = async (eventId: string) => (await database.db.query<{ outcome: string }>('select outcome from idp_events where event_id = $1', [eventId]))[0]?.outcome;
const userRow = async (id: string) =>
  (await database.db.query<{ email: string | null; email_verified: boolean; name: string | null; given_name: string | null; family_name: string | null; status: string }>(
    'select email, email_verified, name, given_name, family_name, status from users where id = $1',
    [id],
  ))[0]!;

const admin = () => {
  const client = `svc-${randomUUID()}`;
  return oidc.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope: 'organizations:admin users:admin' });
};

/** An organization owned by `owner`, bound to WorkOS organization `externalId` (JIT role MEMBER). */
async function boundOrganization(owner: { token: string }, externalId: string): Promise<string> {
  const created = await api.gql('mutation { createOrganization(input: { name: "Acme" }) { id } }', { token: owner.token });
  const id = created.body.data.createOrganization.id as string;
  const bound = await api.gql('mutation ($input: SetOrganizationSsoInput!) { setOrganizationSso(input: $input) { id } }', {
    token: await admin(),
    variables: { input: { organizationId: id, issuer: 'workos', externalOrganizationId: externalId, domains: [] } },
  });
  expect(bound.body.errors).toBeUndefined();
  return id;
}

const membershipOf = async (organizationId: string, userId: string) =>
  (await database.db.query<{ role: string }>('select role from memberships where organization_id = $1 and user_id = $2', [organizationId, userId]))[0]?.role ?? null;

describe('user.updated', () => {
  it('names follow the event (name built from first and last), the email and its verification too, on the only identity', async () => {
    const user = await signIn();
    const event = await deliver('user.updated', { object: 'user', id: user.subject, email: `New-${user.email}`, email_verified: true, first_name: ' Ada ', last_name: 'Lovelace' });
    expect(await userRow(user.id)).toMatchObject({ email: `new-${user.email}`, email_verified: true, name: 'Ada Lovelace', given_name: 'Ada', family_name: 'Lovelace' });
    expect(await viewer(user.token)).toMatchObject({ status: 200, email: `new-${user.email}`, name: 'Ada Lovelace' });
    expect(await audit(event.id)).toEqual([{ action: 'user.updated', actor_type: 'system', target_type: 'User', details: { via: 'workos', provider: 'workos', emailChanged: true, nameChanged: true } }]);
    // One name alone; a null email keeps the one held.
    await deliver('user.updated', { id: user.subject, email: null, email_verified: false, first_name: 'Ada', last_name: null });
    expect(await userRow(user.id)).toMatchObject({ email: `new-${user.email}`, email_verified: true, name: 'Ada', given_name: 'Ada', family_name: null });
  });

  it('never takes an email another user holds verified (the event is skipped); an unverified email never replaces a verified one', async () => {
    const [user, other] = [await signIn(), await signIn()];
    const taken = await deliver('user.updated', { id: user.subject, email: other.email, email_verified: true, first_name: 'Grace', last_name: 'Hopper' });
    expect(await outcome(taken.id)).toBe('email_taken');
    expect(await userRow(user.id)).toMatchObject({ email: user.email, name: null });
    expect(await audit(taken.id)).toEqual([]);
    await deliver('user.updated', { id: user.subject, email: `unverified-${user.email}`, email_verified: false, first_name: 'Grace', last_name: 'Hopper' });
    expect(await userRow(user.id)).toMatchObject({ email: user.email, email_verified: true, name: 'Grace Hopper' });
  });

  it('a user holding another identity too: only names change', async () => {
    const user = await signIn();
    const linked = await oidc.sign({ sub: `oidc|${randomUUID()}`, aud: AUDIENCE, email: user.email, email_verified: true });
    expect((await viewer(linked)).id).toBe(user.id);
    await deliver('user.updated', { id: user.subject, email: `moved-${user.email}`, email_verified: true, first_name: 'Linus', last_name: null });
    expect(await userRow(user.id)).toMatchObject({ email: user.email, name: 'Linus' });
  });

  it('an unknown user, an unusable payload: 200, nothing', async () => {
    const unknown = await deliver('user.updated', { id: 'user_nobody', email: 'nobody@example.com', email_verified: true });
    expect(await outcome(unknown.id)).toBe('unknown_user');
    const unusable = await deliver('user.updated', { email: 'x@example.com' });
    expect(await outcome(unusable.id)).toBe('unusable');
  });
});

describe('out of order', () => {
  it('an older user.updated delivered after a newer one changes nothing; equal created_at are ordered by id', async () => {
    const user = await signIn();
    const t = Date.now();
    const older = workos.emit('user.updated', { id: user.subject, email: user.email, email_verified: true, first_name: 'Old', last_name: null }, t - 5000);
    const newer = workos.emit('user.updated', { id: user.subject, email: user.email, email_verified: true, first_name: 'New', last_name: null }, t - 1000);
    expect((await workos.deliver(api.url, 'workos', newer)).status).toBe(200);
    expect((await workos.deliver(api.url, 'workos', older)).status).toBe(200);
    expect(await outcome(older.id)).toBe('stale');
    expect((await userRow(user.id)).name).toBe('New');
    const same = t - 500;
    const first = workos.emit('user.updated', { id: user.subject, email: user.email, email_verified: true, first_name: 'First', last_name: null }, same);
    const second = workos.emit('user.updated', { id: user.subject, email: user.email, email_verified: true, first_name: 'Second', last_name: null }, same);
    expect(first.id < second.id).toBe(true);
    await workos.deliver(api.url, 'workos', second);
    await workos.deliver(api.url, 'workos', first);
    expect((await userRow(user.id)).name).toBe('Second');
  });

  it('a late user.updated never undoes a user.deleted', async () => {
    const user = await signIn();
    const t = Date.now();
    const update = workos.emit('user.updated', { id: user.subject, email: user.email, email_verified: true, first_name: 'Zombie', last_name: null }, t - 2000);
    const deletion = workos.emit('user.deleted', { id: user.subject, email: user.email }, t - 1000);
    await workos.deliver(api.url, 'workos', deletion);
    await workos.deliver(api.url, 'workos', update);
    expect(await outcome(update.id)).toBe('stale');
    expect(await userRow(user.id)).toMatchObject({ status: 'deleted', name: null, email: null });
  });
});

describe('user.deleted', () => {
  it('the only identity: the user is deleted as by deleteUser (tombstone), every token of it 401 revoked', async () => {
    const user = await signIn();
    const event = await deliver('user.deleted', { object: 'user', id: user.subject, email: user.email });
    expect(await userRow(user.id)).toMatchObject({ status: 'deleted', email: null });
    expect(await viewer(user.token)).toMatchObject({ status: 401, reason: 'revoked' });
    expect((await audit(event.id)).map((row) => row.action)).toEqual(['user.deleted']);
    // Applied once: a duplicate adds nothing.
    await workos.deliver(api.url, 'workos', event);
    expect(await audit(event.id)).toHaveLength(1);
  });

  it('a last OWNER with other members: the identity is erased and its tokens stop, the user is suspended (user.suspended, LAST_OWNER)', async () => {
    const owner = await signIn();
    const organizationId = await boundOrganization(owner, 'org_lastowner');
    // The member joins by JIT, signing in with the organization.
    const member = await signIn({ org_id: 'org_lastowner' });
    expect(await membershipOf(organizationId, member.id)).toBe('MEMBER');
    const event = await deliver('user.deleted', { id: owner.subject });
    expect(await userRow(owner.id)).toMatchObject({ status: 'suspended', email: owner.email });
    // Stopped: a suspended user's tokens answer 403 USER_SUSPENDED (suspension is checked before
    // revocations, lifecycle.md), and the identity's own tokens are revoked besides.
    const refused = await api.gql(PROFILE, { token: owner.token });
    expect({ status: refused.status, code: refused.body.errors?.[0]?.extensions?.['code'] }).toEqual({ status: 403, code: 'USER_SUSPENDED' });
    const revoked = await database.db.query("select 1 from session_revocations where kind = 'identity' and subject = $1", [owner.subject]);
    expect(revoked).toHaveLength(1);
    expect(await audit(event.id)).toEqual([{ action: 'user.suspended', actor_type: 'system', target_type: 'User', details: { reason: 'LAST_OWNER', via: 'workos', provider: 'workos' } }]);
    expect(await database.db.query('select 1 from identities where subject = $1', [owner.subject])).toHaveLength(0);
    expect(await membershipOf(organizationId, owner.id)).toBe('OWNER');
  });

  it('a user holding another identity: only this identity is erased and its tokens stop', async () => {
    const user = await signIn();
    const other = await oidc.sign({ sub: `oidc|${randomUUID()}`, aud: AUDIENCE, email: user.email, email_verified: true });
    expect((await viewer(other)).id).toBe(user.id);
    const event = await deliver('user.deleted', { id: user.subject });
    expect(await outcome(event.id)).toBe('identity_erased');
    expect(await viewer(user.token)).toMatchObject({ status: 401, reason: 'revoked' });
    expect(await viewer(other)).toMatchObject({ status: 200, id: user.id });
    expect((await userRow(user.id)).status).toBe('active');
  });
});

describe('membership removal', () => {
  it('organization_membership.deleted: removed as by removeMember, tokens carrying that org_id stop, never re-created by JIT', async () => {
    const owner = await signIn();
    const organizationId = await boundOrganization(owner, 'org_om');
    const member = await signIn({ org_id: 'org_om' });
    expect(await membershipOf(organizationId, member.id)).toBe('MEMBER');
    const plain = await workosToken(workosIdp, member.subject, { sid: 'session_plain' });
    const event = await deliver('organization_membership.deleted', { object: 'organization_membership', id: 'om_1', user_id: member.subject, organization_id: 'org_om', status: 'active' });
    expect(await membershipOf(organizationId, member.id)).toBeNull();
    expect(await viewer(member.token)).toMatchObject({ status: 401, reason: 'revoked' });
    // Tokens without that org_id go on; a later sign-in with it does not bring the membership back.
    expect((await viewer(plain)).status).toBe(200);
    const later = await workosToken(workosIdp, member.subject, { org_id: 'org_om', iat: Math.floor(Date.now() / 1000) + 2 });
    expect((await viewer(later)).status).toBe(200);
    expect(await membershipOf(organizationId, member.id)).toBeNull();
    const [row] = await audit(event.id);
    expect(row).toMatchObject({ action: 'membership.removed', actor_type: 'system', target_type: 'Membership', details: { userId: member.id, role: 'MEMBER', via: 'workos' } });
  });

  it('Directory Sync: dsync.user.deleted by the verified email, dsync.user.updated inactive by the primary of emails; an active one is ignored', async () => {
    const owner = await signIn();
    const organizationId = await boundOrganization(owner, 'org_dsync');
    const [a, b] = [await signIn({ org_id: 'org_dsync' }), await signIn({ org_id: 'org_dsync' })];
    expect(await membershipOf(organizationId, a.id)).toBe('MEMBER');
    await deliver('dsync.user.deleted', { object: 'directory_user', id: 'directory_user_a', organization_id: 'org_dsync', email: a.email.toUpperCase(), state: 'inactive' });
    expect(await membershipOf(organizationId, a.id)).toBeNull();
    const emails = [{ primary: false, value: 'other@example.com' }, { primary: true, value: b.email }];
    const active = await deliver('dsync.user.updated', { id: 'directory_user_b', organization_id: 'org_dsync', emails, state: 'active' });
    expect(await outcome(active.id)).toBe('ignored');
    expect(await membershipOf(organizationId, b.id)).toBe('MEMBER');
    await deliver('dsync.user.updated', { id: 'directory_user_b', organization_id: 'org_dsync', emails, state: 'inactive' });
    expect(await membershipOf(organizationId, b.id)).toBeNull();
    expect(await viewer(b.token)).toMatchObject({ status: 401, reason: 'revoked' });
  });

  it('the last OWNER is not removed: membership.removal_refused (LAST_OWNER), nothing else changes; an unbound organization: nothing', async () => {
    const owner = await signIn();
    const organizationId = await boundOrganization(owner, 'org_owner');
    const event = await deliver('organization_membership.deleted', { id: 'om_owner', user_id: owner.subject, organization_id: 'org_owner' });
    expect(await membershipOf(organizationId, owner.id)).toBe('OWNER');
    expect((await viewer(owner.token)).status).toBe(200);
    expect(await audit(event.id)).toEqual([{ action: 'membership.removal_refused', actor_type: 'system', target_type: 'Membership', details: { reason: 'LAST_OWNER', userId: owner.id, via: 'workos', event: 'organization_membership.deleted' } }]);
    const unbound = await deliver('organization_membership.deleted', { id: 'om_x', user_id: owner.subject, organization_id: 'org_unbound' });
    expect(await outcome(unbound.id)).toBe('unknown_organization');
  });
});
