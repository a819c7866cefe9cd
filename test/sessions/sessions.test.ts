// Sessions (idp-events.md, Sessions): each session the service admits is listed on its user
// (User.sessions: self and users:admin), and revokeSession ends that session alone, IdP and
// platform tokens alike, audited; a deleted user's sessions go with them.
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE } from '../helpers/issuer.js';
import { logoutToken, nowSeconds, postLogout } from '../helpers/lifecycle.js';
import { exchangeForm, platformConfig, postToken } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';
import type { TestApp } from '../helpers/app.js';

const bed = useTestBed();
let app: TestApp;

beforeAll(async () => {
  app = await bed.start({ config: { platform: platformConfig() } });
});

const SESSIONS = `query ($first: Int, $after: String) {
  viewer { id sessions(first: $first, after: $after) {
    edges { cursor node { id issuer firstSeenAt lastSeenAt current revokedAt } }
    pageInfo { hasNextPage endCursor } } } }`;
const REVOKE = 'mutation ($id: ID!) { revokeSession(id: $id) }';

interface Listed {
  id: string;
  issuer: string;
  firstSeenAt: string;
  lastSeenAt: string;
  current: boolean;
  revokedAt: string | null;
}

/** A person of the test issuer: tokens of theirs, each in the session named (none: no sid). */
function person() {
  const subject = `user|${randomUUID()}`;
  const email = `${randomUUID()}@example.com`;
  return {
    subject,
    token: (sid: string | null) => bed.issuer.sign({ sub: subject, aud: AUDIENCE, email, email_verified: true, ...(sid === null ? {} : { sid }) }),
  };
}

async function list(token: string, variables: { first?: number; after?: string } = {}) {
  const answer = await app.gql(SESSIONS, { token, variables });
  expect(answer.body.errors).toBeUndefined();
  const { id, sessions } = answer.body.data.viewer;
  return { userId: id as string, nodes: sessions.edges.map((e: { node: Listed }) => e.node) as Listed[], connection: sessions };
}

async function viewerStatus(token: string) {
  const answer = await app.gql('{ viewer { id } }', { token });
  return { status: answer.status, reason: answer.body.errors?.[0]?.extensions?.reason };
}

const adminToken = (scope = 'users:admin') => {
  const client = `svc-${randomUUID()}`;
  return bed.issuer.sign({ sub: client, client_id: client, aud: AUDIENCE, scope });
};

describe('User.sessions', () => {
  it('lists the asking session as current, with its issuer and first and last seen; another session of the user is not current', async () => {
    const ada = person();
    const laptop = await ada.token(`laptop-${randomUUID()}`);
    const phone = await ada.token(`phone-${randomUUID()}`);
    expect((await viewerStatus(laptop)).status).toBe(200);
    const fromPhone = await list(phone);
    expect(fromPhone.nodes).toHaveLength(2);
    const [newest, older] = fromPhone.nodes;
    // Newest first: the phone's session was first seen last.
    expect(newest).toMatchObject({ issuer: 'test', current: true, revokedAt: null });
    expect(older).toMatchObject({ issuer: 'test', current: false, revokedAt: null });
    for (const node of fromPhone.nodes) {
      expect(new Date(node.firstSeenAt).toISOString()).toBe(node.firstSeenAt);
      expect(Date.parse(node.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(node.firstSeenAt));
      expect(Math.abs(Date.parse(node.lastSeenAt) - Date.now())).toBeLessThan(60_000);
    }
    const fromLaptop = await list(laptop);
    expect(fromLaptop.nodes.map((n) => [n.id, n.current])).toEqual([
      [newest!.id, false],
      [older!.id, true],
    ]);
  });

  it('shows an opaque id, never the sid', async () => {
    const sid = `visible-${randomUUID()}`;
    const { nodes } = await list(await person().token(sid));
    expect(nodes).toHaveLength(1);
    expect(nodes[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(nodes)).not.toContain(sid);
  });

  it('records nothing for tokens without a sid (there is no session to name or end)', async () => {
    const { nodes } = await list(await person().token(null));
    expect(nodes).toEqual([]);
  });

  it('pages newest first with the one cursor format; a foreign or malformed cursor is BAD_USER_INPUT', async () => {
    const ada = person();
    const tokens = [];
    for (let i = 0; i < 5; i += 1) {
      const token = await ada.token(`page-${i}-${randomUUID()}`);
      expect((await viewerStatus(token)).status).toBe(200);
      tokens.push(token);
    }
    const asker = tokens[4]!;
    const all = (await list(asker, { first: 100 })).nodes.map((n) => n.id);
    expect(all).toHaveLength(5);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const { connection } = await list(asker, { first: 2, ...(after === undefined ? {} : { after }) });
      seen.push(...connection.edges.map((e: { node: Listed }) => e.node.id));
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
    expect((await list(asker, { first: 0 })).nodes).toEqual([]);

    const events = await app.gql('{ viewer { securityEvents(first: 1) { pageInfo { endCursor } } } }', { token: asker });
    const foreign = events.body.data.viewer.securityEvents.pageInfo.endCursor ?? Buffer.from('auditEvent:1').toString('base64url');
    for (const cursor of [foreign, 'nonsense', Buffer.from('session:abc').toString('base64url')]) {
      const answer = await app.gql(SESSIONS, { token: asker, variables: { after: cursor } });
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it("another user's sessions: FORBIDDEN for a user and for users:read; listed for users:admin", async () => {
    const ada = person();
    const adaToken = await ada.token(`ada-${randomUUID()}`);
    const { userId } = await list(adaToken);
    const eve = await person().token(`eve-${randomUUID()}`);
    const asEntity = await app.gql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id sessions { edges { node { id } } } } } }',
      { token: eve, variables: { r: [{ __typename: 'User', id: userId }] } },
    );
    expect(asEntity.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const USER_SESSIONS = 'query ($id: ID!) { user(id: $id) { sessions { edges { node { id current } } } } }';
    const reader = await app.gql(USER_SESSIONS, { token: await adminToken('users:read'), variables: { id: userId } });
    expect(reader.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await app.gql(USER_SESSIONS, { token: await adminToken('users:read users:admin'), variables: { id: userId } });
    expect(admin.body.errors).toBeUndefined();
    expect(admin.body.data.user.sessions.edges).toHaveLength(1);
    expect(admin.body.data.user.sessions.edges[0].node.current).toBe(false);
  });
});

describe('revokeSession', () => {
  it('ends that session alone, audited once with the session; revoking it again changes nothing', async () => {
    const ada = person();
    const doomed = await ada.token(`doomed-${randomUUID()}`);
    const kept = await ada.token(`kept-${randomUUID()}`);
    expect((await viewerStatus(doomed)).status).toBe(200);
    const before = await list(kept);
    const target = before.nodes.find((n) => !n.current)!;
    const answer = await app.gql(REVOKE, { token: kept, variables: { id: target.id } });
    expect(answer.body).toEqual({ data: { revokeSession: true } });
    expect(await viewerStatus(doomed)).toEqual({ status: 401, reason: 'revoked' });
    expect((await viewerStatus(kept)).status).toBe(200);
    // A new token of the ended session stops too; a new session of the user works.
    expect(await viewerStatus(await ada.token(decodeJwt(doomed)['sid'] as string))).toEqual({ status: 401, reason: 'revoked' });
    expect((await viewerStatus(await ada.token(`fresh-${randomUUID()}`))).status).toBe(200);

    const after = await list(kept);
    const revoked = after.nodes.find((n) => n.id === target.id)!;
    expect(revoked.revokedAt).not.toBeNull();
    expect(after.nodes.filter((n) => n.revokedAt !== null)).toHaveLength(1);
    const audit = async () =>
      bed.database.db.query<{ actor_type: string; actor_id: string; target_type: string }>(
        "select actor_type, actor_id, target_type from audit_events where action = 'sessions.revoked' and target_id = $1",
        [target.id],
      );
    expect(await audit()).toEqual([{ actor_type: 'user', actor_id: before.userId, target_type: 'Session' }]);

    const again = await app.gql(REVOKE, { token: kept, variables: { id: target.id } });
    expect(again.body).toEqual({ data: { revokeSession: true } });
    expect((await list(kept)).nodes.find((n) => n.id === target.id)!.revokedAt).toBe(revoked.revokedAt);
    expect(await audit()).toHaveLength(1);
  });

  it("an unknown id, a malformed one, or another user's: NOT_FOUND, and nothing changes; anonymous: UNAUTHENTICATED", async () => {
    const ada = person();
    const adaToken = await ada.token(`ada-${randomUUID()}`);
    const [adaSession] = (await list(adaToken)).nodes;
    const eve = await person().token(`eve-${randomUUID()}`);
    for (const id of [adaSession!.id, randomUUID(), 'not-a-uuid', '']) {
      const answer = await app.gql(REVOKE, { token: eve, variables: { id } });
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    // A service without users:admin is anyone else too.
    const reader = await app.gql(REVOKE, { token: await adminToken('users:read'), variables: { id: adaSession!.id } });
    expect(reader.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const anonymous = await app.gql(REVOKE, { variables: { id: adaSession!.id } });
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await viewerStatus(adaToken)).status).toBe(200);
    expect((await list(adaToken)).nodes[0]!.revokedAt).toBeNull();
  });

  it('users:admin ends any user’s session, audited as the service', async () => {
    const ada = person();
    const adaToken = await ada.token(`ada-${randomUUID()}`);
    const [session] = (await list(adaToken)).nodes;
    const answer = await app.gql(REVOKE, { token: await adminToken(), variables: { id: session!.id } });
    expect(answer.body).toEqual({ data: { revokeSession: true } });
    expect(await viewerStatus(adaToken)).toEqual({ status: 401, reason: 'revoked' });
    const rows = await bed.database.db.query<{ actor_type: string }>("select actor_type from audit_events where action = 'sessions.revoked' and target_id = $1", [session!.id]);
    expect(rows).toEqual([{ actor_type: 'service' }]);
  });

  it("is the same session for a platform token made from it: listed once, current for both, and ending it stops both", async () => {
    const ada = person();
    const sid = `platform-${randomUUID()}`;
    const idpToken = await ada.token(sid);
    const otherToken = await ada.token(`other-${randomUUID()}`);
    const exchanged = await postToken(app.url, exchangeForm(idpToken));
    expect(exchanged.status).toBe(200);
    const platformToken = exchanged.body.access_token as string;
    expect(decodeJwt(platformToken)['sid']).toBe(sid);
    const fromPlatform = await list(platformToken);
    expect(fromPlatform.nodes).toHaveLength(1);
    expect(fromPlatform.nodes[0]).toMatchObject({ issuer: 'test', current: true });
    expect((await viewerStatus(idpToken)).status).toBe(200);
    const fromIdp = await list(idpToken);
    expect(fromIdp.nodes.map((n) => [n.id, n.current])).toEqual([[fromPlatform.nodes[0]!.id, true]]);
    expect((await viewerStatus(otherToken)).status).toBe(200);

    expect((await app.gql(REVOKE, { token: otherToken, variables: { id: fromIdp.nodes[0]!.id } })).body).toEqual({ data: { revokeSession: true } });
    expect(await viewerStatus(platformToken)).toEqual({ status: 401, reason: 'revoked' });
    expect(await viewerStatus(idpToken)).toEqual({ status: 401, reason: 'revoked' });
    expect((await viewerStatus(otherToken)).status).toBe(200);
  });

  it('shows a session ended by a back-channel logout as revoked', async () => {
    const ada = person();
    const sid = `logout-${randomUUID()}`;
    const token = await ada.token(sid);
    const kept = await ada.token(`kept-${randomUUID()}`);
    expect((await list(token)).nodes).toHaveLength(1);
    expect((await postLogout(app.url, await logoutToken(bed.issuer, { sid, iat: nowSeconds() }))).status).toBe(200);
    const { nodes } = await list(kept);
    expect(nodes).toHaveLength(2);
    expect(nodes.find((n) => !n.current)!.revokedAt).not.toBeNull();
    expect(nodes.find((n) => n.current)!.revokedAt).toBeNull();
  });
});

describe('erasure', () => {
  it("erases a deleted user's sessions with them", async () => {
    const ada = person();
    const token = await ada.token(`gone-${randomUUID()}`);
    const { userId } = await list(token);
    const count = async () => (await bed.database.db.query<{ n: number }>('select count(*)::int as n from sessions where user_id = $1', [userId]))[0]!.n;
    expect(await count()).toBe(1);
    expect((await app.gql('mutation { deleteViewer }', { token })).body).toEqual({ data: { deleteViewer: true } });
    expect(await count()).toBe(0);
  });
});
