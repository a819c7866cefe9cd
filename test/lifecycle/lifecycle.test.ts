// Account lifecycle through the real HTTP server (lifecycle.md): lookups that never create,
// suspension, revocation, deletion, audit, on the file's database (PGlite or PostgreSQL).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode, errorReason, useOrgSuite } from '../helpers/organizations.js';
import { coprocessor, nowSeconds, VIEWER } from '../helpers/lifecycle.js';

const suite = useOrgSuite();

const admin = () => suite.serviceToken(['users:admin']);
const reader = () => suite.serviceToken(['users:read']);

async function mutate(token: string, field: string, userId?: string) {
  const args = userId === undefined ? '' : `(userId: "${userId}")`;
  return suite.gql(`mutation { ${field}${args} }`, { token });
}

async function auditActions(userId: string): Promise<string[]> {
  const rows = await suite.database.db.query<{ action: string }>("select action from audit_events where target_id = $1 order by id", [userId]);
  return rows.map((r) => r.action);
}

describe('lookups', () => {
  it('user(id) and userByEmail answer users:read and users:admin, never create, and refuse others', async () => {
    const alice = await suite.signIn();
    const before = await suite.database.db.query<{ n: number }>('select count(*)::int as n from users');
    for (const token of [await reader(), await admin()]) {
      const found = await suite.gql('query ($id: ID!, $email: String!) { user(id: $id) { id email status createdAt lastSeenAt } userByEmail(email: $email) { id } nobody: userByEmail(email: "nobody-x@example.com") { id } }', {
        token,
        variables: { id: alice.id, email: ` ${alice.email.toUpperCase()} ` },
      });
      expect(found.body.errors).toBeUndefined();
      expect(found.body.data.user).toMatchObject({ id: alice.id, email: alice.email, status: 'ACTIVE' });
      expect(Date.parse(found.body.data.user.createdAt)).not.toBeNaN();
      expect(found.body.data.user.lastSeenAt).not.toBeNull();
      expect(found.body.data.userByEmail.id).toBe(alice.id);
      expect(found.body.data.nobody).toBeNull();
    }
    const after = await suite.database.db.query<{ n: number }>('select count(*)::int as n from users');
    expect(after[0]!.n).toBe(before[0]!.n);
    for (const token of [alice.token, await suite.serviceToken(['users:write'])]) {
      const refused = await suite.gql('query ($id: ID!) { user(id: $id) { id } }', { token, variables: { id: alice.id } });
      expect(errorCode(refused)).toBe('FORBIDDEN');
    }
  });

  it('shows status, createdAt, lastSeenAt to the user themselves, refuses them to other users', async () => {
    const alice = await suite.signIn();
    const own = await suite.gql(VIEWER, { token: alice.token });
    expect(own.body.data.viewer).toMatchObject({ id: alice.id, status: 'ACTIVE' });
    expect(own.body.data.viewer.lastSeenAt).not.toBeNull();
    const bob = await suite.signIn();
    const org = await suite.createOrg(alice);
    await suite.addMember(alice, org, bob, 'MEMBER');
    const peek = await suite.gql('query ($id: ID!) { organization(id: $id) { members { user { id status } } } }', { token: bob.token, variables: { id: org } });
    expect(errorCode(peek)).toBe('FORBIDDEN');
  });

  it('users(...) pages with opaque cursors and searches email or name prefixes case-insensitively (users:admin only)', async () => {
    const tag = randomUUID().slice(0, 8);
    for (let i = 0; i < 3; i += 1) await suite.signIn({ email: `zz${tag}-${i}@example.com`, name: `Person ${i}` });
    await suite.signIn({ name: `Näme${tag} Upper`, email: `other-${tag}@example.com` });
    const token = await admin();
    const query = 'query ($q: String, $after: String) { users(first: 2, query: $q, after: $after) { edges { cursor node { id email } } pageInfo { hasNextPage endCursor } } }';
    const first = await suite.gql(query, { token, variables: { q: `ZZ${tag}` } });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.users.edges).toHaveLength(2);
    expect(first.body.data.users.pageInfo.hasNextPage).toBe(true);
    const second = await suite.gql(query, { token, variables: { q: `zz${tag}`, after: first.body.data.users.pageInfo.endCursor } });
    expect(second.body.data.users.edges).toHaveLength(1);
    expect(second.body.data.users.pageInfo.hasNextPage).toBe(false);
    const emails = [...first.body.data.users.edges, ...second.body.data.users.edges].map((e: any) => e.node.email).sort();
    expect(emails).toEqual([0, 1, 2].map((i) => `zz${tag}-${i}@example.com`));
    const byName = await suite.gql(query, { token, variables: { q: `näme${tag}` } });
    expect(byName.body.data.users.edges.map((e: any) => e.node.email)).toEqual([`other-${tag}@example.com`]);
    // LIKE wildcards are plain characters.
    const wildcard = await suite.gql(query, { token, variables: { q: '%' } });
    expect(wildcard.body.data.users.edges).toHaveLength(0);
    expect(errorCode(await suite.gql(query, { token: await reader(), variables: {} }))).toBe('FORBIDDEN');
    expect(errorCode(await suite.gql(query, { token, variables: { after: 'bm9wZQ' } }))).toBe('BAD_USER_INPUT');
  });
});

describe('suspension', () => {
  it('answers 403 USER_SUSPENDED on /graphql and the coprocessor at once, stamps nothing, and reactivation restores access', async () => {
    const alice = await suite.signIn();
    const token = await admin();
    const suspended = await suite.gql('mutation ($id: ID!) { suspendUser(userId: $id, reason: "abuse") { id status } }', { token, variables: { id: alice.id } });
    expect(suspended.body.data.suspendUser).toEqual({ id: alice.id, status: 'SUSPENDED' });
    const refused = await suite.gql(VIEWER, { token: alice.token });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('USER_SUSPENDED');
    const fresh = await suite.issuer.sign({ sub: alice.subject, aud: 'https://api.test', email: alice.email, email_verified: true, name: 'Changed' });
    expect((await suite.gql(VIEWER, { token: fresh })).status).toBe(403);
    const broken = await coprocessor(suite.api.url, alice.token);
    expect(broken.control).toEqual({ break: 403 });
    expect(broken.body).toContain('USER_SUSPENDED');
    // Nothing stamped: the changed name never reached the user row.
    const [row] = await suite.database.db.query<{ name: string | null; status: string }>('select name, status from users where id = $1', [alice.id]);
    expect(row).toEqual({ name: null, status: 'suspended' });
    // A new identity with the suspended user's verified email is not linked to them.
    const other = await suite.issuer.sign({ sub: `other|${randomUUID()}`, aud: 'https://api.test', email: alice.email, email_verified: true });
    expect(errorCode(await suite.gql(VIEWER, { token: other }))).toBe('USER_SUSPENDED');
    const reactivated = await suite.gql('mutation ($id: ID!) { reactivateUser(userId: $id) { status } }', { token, variables: { id: alice.id } });
    expect(reactivated.body.data.reactivateUser.status).toBe('ACTIVE');
    const back = await suite.gql(VIEWER, { token: alice.token });
    expect(back.status).toBe(200);
    expect(back.body.data.viewer.id).toBe(alice.id);
    expect(await auditActions(alice.id)).toEqual(expect.arrayContaining(['user.suspended', 'user.reactivated']));
  });

  it('is for services holding users:admin only', async () => {
    const alice = await suite.signIn();
    for (const token of [alice.token, await reader()]) {
      for (const field of ['suspendUser', 'revokeSessions', 'deleteUser']) {
        const selection = field === 'suspendUser' ? ' { id }' : '';
        const result = await suite.gql(`mutation ($id: ID!) { ${field}(userId: $id)${selection} }`, { token, variables: { id: alice.id } });
        expect(errorCode(result)).toBe('FORBIDDEN');
      }
    }
    expect(errorCode(await mutate(await admin(), 'revokeSessions', randomUUID()))).toBe('NOT_FOUND');
  });
});

describe('revocation', () => {
  it('signOutEverywhere stops every token issued up to now (401 revoked), on /graphql and the coprocessor; later tokens work', async () => {
    const alice = await suite.signIn();
    const second = await suite.issuer.sign({ sub: alice.subject, aud: 'https://api.test', email: alice.email, email_verified: true, iat: nowSeconds() - 30 });
    expect((await suite.gql(VIEWER, { token: second })).status).toBe(200);
    const out = await suite.gql('mutation { signOutEverywhere }', { token: alice.token });
    expect(out.body.data.signOutEverywhere).toBe(true);
    for (const token of [alice.token, second]) {
      const refused = await suite.gql(VIEWER, { token });
      expect(refused.status).toBe(401);
      expect(errorReason(refused)).toBe('revoked');
      expect((await coprocessor(suite.api.url, token)).control).toEqual({ break: 401 });
    }
    // Same second as the revocation: revoked too (iat has one-second granularity).
    const later = await suite.issuer.sign({ sub: alice.subject, aud: 'https://api.test', email: alice.email, email_verified: true, iat: nowSeconds() + 2 });
    const ok = await suite.gql(VIEWER, { token: later });
    expect(ok.body.data.viewer.id).toBe(alice.id);
    expect(await auditActions(alice.id)).toContain('sessions.revoked');
  });

  it('revokeSessions by users:admin stops the user\'s tokens; securityEvents lists it newest first for self and admins only', async () => {
    const alice = await suite.signIn();
    expect((await mutate(await admin(), 'revokeSessions', alice.id)).body.data.revokeSessions).toBe(true);
    expect(errorReason(await suite.gql(VIEWER, { token: alice.token }))).toBe('revoked');
    const later = await suite.issuer.sign({ sub: alice.subject, aud: 'https://api.test', email: alice.email, email_verified: true, iat: nowSeconds() + 2 });
    const events = await suite.gql('{ viewer { securityEvents(first: 1) { edges { cursor node { action actorType targetId } } pageInfo { hasNextPage endCursor } } } }', { token: later });
    expect(events.body.errors).toBeUndefined();
    expect(events.body.data.viewer.securityEvents.edges[0].node).toMatchObject({ action: 'sessions.revoked', actorType: 'service', targetId: alice.id });
    expect(events.body.data.viewer.securityEvents.pageInfo.hasNextPage).toBe(true);
    const page = (after: string) =>
      suite.gql('query ($after: String) { viewer { securityEvents(first: 1, after: $after) { edges { node { action } } } } }', { token: later, variables: { after } });
    const next = await page(events.body.data.viewer.securityEvents.pageInfo.endCursor);
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data.viewer.securityEvents.edges).toHaveLength(1);
    // One cursor format for every list, each list's cursors its own: another list's, or garbage, is refused.
    const usersCursor = (await suite.gql('{ users(first: 1) { pageInfo { endCursor } } }', { token: await admin() })).body.data.users.pageInfo.endCursor;
    for (const after of [usersCursor, 'garbage']) {
      const refused = await page(after);
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(errorReason(refused)).toBe('invalid_cursor');
    }
    const byAdmin = await suite.gql('query ($id: ID!) { user(id: $id) { securityEvents(first: 100) { edges { node { action } } } } }', { token: await admin(), variables: { id: alice.id } });
    const actions = byAdmin.body.data.user.securityEvents.edges.map((e: any) => e.node.action);
    // Newest first (the first sign-in writes its two rows in one statement).
    expect(actions[0]).toBe('sessions.revoked');
    expect(actions.slice(1).sort()).toEqual(['identity.linked', 'user.provisioned']);
    const byReader = await suite.gql('query ($id: ID!) { user(id: $id) { securityEvents { edges { node { action } } } } }', { token: await reader(), variables: { id: alice.id } });
    expect(errorCode(byReader)).toBe('FORBIDDEN');
  });

  it('refuses user tokens older than MAX_TOKEN_AGE_SECONDS (the bound revocations are kept in memory for)', async () => {
    const old = await suite.userToken({ iat: nowSeconds() - 86_400 - 60 });
    const refused = await suite.gql(VIEWER, { token: old });
    expect(refused.status).toBe(401);
    expect(errorReason(refused)).toBe('token_too_old');
  });
});

describe('deletion', () => {
  it('erases PII in one go, leaves a tombstone that resolves to null, revokes old tokens, and a later sign-in is a new user', async () => {
    const alice = await suite.signIn({ name: 'Alice Erased' });
    const org = await suite.createOrg(alice);
    const inviter = await suite.signIn();
    const invited = await suite.gql('mutation ($input: InviteMemberInput!) { inviteMember(input: $input) { id } }', {
      token: inviter.token,
      variables: { input: { organizationId: await suite.createOrg(inviter), email: alice.email, role: 'MEMBER' } },
    });
    expect(invited.body.errors).toBeUndefined();
    const deleted = await suite.gql('mutation { deleteViewer }', { token: alice.token });
    expect(deleted.body.data.deleteViewer).toBe(true);
    const [row] = await suite.database.db.query<Record<string, unknown>>('select email, name, status from users where id = $1', [alice.id]);
    expect(row).toEqual({ email: null, name: null, status: 'deleted' });
    expect(await suite.database.db.query('select 1 from identities where user_id = $1', [alice.id])).toHaveLength(0);
    expect(await suite.database.db.query('select 1 from organizations where id = $1', [org])).toHaveLength(0);
    expect(await suite.database.db.query('select 1 from invitations where email = $1', [alice.email])).toHaveLength(0);
    const audit = await suite.database.db.query<{ details: unknown; actor_id: string }>('select details, actor_id from audit_events where target_id = $1 or actor_id = $1', [alice.id]);
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(alice.email);
    expect(JSON.stringify(audit)).not.toContain('Alice Erased');
    expect(await auditActions(alice.id)).toContain('user.deleted');
    const token = await reader();
    const lookup = await suite.gql('query ($id: ID!, $email: String!) { user(id: $id) { id } userByEmail(email: $email) { id } _entities(representations: [{ __typename: "User", id: $id }]) { ... on User { id } } }', {
      token,
      variables: { id: alice.id, email: alice.email },
    });
    expect(lookup.body.data).toEqual({ user: null, userByEmail: null, _entities: [null] });
    const refused = await suite.gql(VIEWER, { token: alice.token });
    expect(refused.status).toBe(401);
    expect(errorReason(refused)).toBe('revoked');
    const later = await suite.issuer.sign({ sub: alice.subject, aud: 'https://api.test', email: alice.email, email_verified: true, iat: nowSeconds() + 2 });
    const reborn = await suite.gql(VIEWER, { token: later });
    expect(reborn.body.errors).toBeUndefined();
    expect(reborn.body.data.viewer.id).not.toBe(alice.id);
  });

  it('refuses the last OWNER of an organization with other members (LAST_OWNER); deleteUser works once another OWNER exists', async () => {
    const alice = await suite.signIn();
    const bob = await suite.signIn();
    const org = await suite.createOrg(alice);
    await suite.addMember(alice, org, bob, 'MEMBER');
    const token = await admin();
    const refused = await mutate(token, 'deleteUser', alice.id);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorReason(refused)).toBe('LAST_OWNER');
    expect((await suite.gql(VIEWER, { token: alice.token })).status).toBe(200);
    await suite.addMember(alice, org, await suite.signIn().then((carol) => carol), 'OWNER');
    expect((await mutate(token, 'deleteUser', alice.id)).body.data.deleteUser).toBe(true);
    expect(await suite.database.db.query('select 1 from organizations where id = $1', [org])).toHaveLength(1);
    expect(await suite.database.db.query('select 1 from memberships where user_id = $1', [alice.id])).toHaveLength(0);
    expect(errorCode(await mutate(token, 'deleteUser', alice.id))).toBe('NOT_FOUND');
  });
});
