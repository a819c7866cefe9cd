// Operators (api-keys.md, Operators): grantOperator / revokeOperator for operators and users:admin
// services (others FORBIDDEN, unknown users NOT_FOUND), audited; User.isOperator for the user and
// users:read; an operator's own requests carry users:admin and organizations:admin (GraphQL and
// the coprocessor's scope string), audited with their user id; never under impersonation; a
// grant or revocation reaches a second replica within 1 s (PostgreSQL: its own pool and LISTEN).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { databaseKind } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import type { TestApp } from '../helpers/app.js';
import { AUDIENCE } from '../helpers/issuer.js';
import { useOperatorSuite } from './suite.js';

const suite = useOperatorSuite();

const GRANT = 'mutation ($id: ID!) { grantOperator(userId: $id) { id isOperator } }';
const REVOKE = 'mutation ($id: ID!) { revokeOperator(userId: $id) { id isOperator } }';
const USERS = '{ users(first: 1) { edges { node { id } } } }';

const code = (answer: { body: { errors?: { extensions?: Record<string, any> }[] } }) => answer.body.errors?.[0]?.extensions?.['code'];

async function grant(userId: string, app: TestApp = suite.a) {
  const answer = await app.gql(GRANT, { token: await suite.serviceToken(['users:admin']), variables: { id: userId } });
  expect(answer.body.errors).toBeUndefined();
  return answer;
}

async function auditOf(targetId: string) {
  return suite.database.db.query<{ action: string; actor_type: string; actor_id: string | null }>(
    'select action, actor_type, actor_id from audit_events where target_id = $1 order by id',
    [targetId],
  );
}

async function coprocessorScope(token: string, app: TestApp = suite.a): Promise<string> {
  const response = await fetch(`${app.url}/router/coprocessor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: randomUUID(), headers: { authorization: [`Bearer ${token}`] }, context: { entries: {} } }),
  });
  const body = (await response.json()) as { context: { entries: Record<string, { scope: string }> } };
  return body.context.entries['apollo::authentication::jwt_claims']!.scope;
}

describe('grantOperator and revokeOperator', () => {
  it('a users:admin service grants and revokes, each change audited once with its actor (a repeat writes nothing)', async () => {
    const alice = await suite.signIn();
    const granted = await grant(alice.id);
    expect(granted.body.data).toEqual({ grantOperator: { id: alice.id, isOperator: true } });
    await grant(alice.id);
    const revoked = await suite.a.gql(REVOKE, { token: await suite.serviceToken(['users:admin']), variables: { id: alice.id } });
    expect(revoked.body.data).toEqual({ revokeOperator: { id: alice.id, isOperator: false } });
    const rows = (await auditOf(alice.id)).filter((row) => row.action.startsWith('user.operator'));
    expect(rows.map((row) => [row.action, row.actor_type])).toEqual([
      ['user.operator_granted', 'service'],
      ['user.operator_revoked', 'service'],
    ]);
    // In the user's own security events too.
    const events = await suite.a.gql('{ viewer { securityEvents { edges { node { action } } } } }', { token: alice.token });
    expect(events.body.data.viewer.securityEvents.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual(
      expect.arrayContaining(['user.operator_granted', 'user.operator_revoked']),
    );
  });

  it('anyone else is refused: a user, users:read and organizations:admin services FORBIDDEN, anonymous UNAUTHENTICATED', async () => {
    const target = await suite.signIn();
    const bob = await suite.signIn();
    for (const token of [bob.token, target.token, await suite.serviceToken(['users:read', 'users:write']), await suite.serviceToken(['organizations:admin'])]) {
      for (const mutation of [GRANT, REVOKE]) {
        const answer = await suite.a.gql(mutation, { token, variables: { id: target.id } });
        expect(code(answer)).toBe('FORBIDDEN');
      }
    }
    expect(code(await suite.a.gql(GRANT, { variables: { id: target.id } }))).toBe('UNAUTHENTICATED');
    const status = await suite.database.db.query<{ is_operator: boolean }>('select is_operator from users where id = $1', [target.id]);
    expect(status[0]!.is_operator).toBe(false);
  });

  it('an unknown, malformed or deleted user is NOT_FOUND', async () => {
    const admin = await suite.serviceToken(['users:admin']);
    const gone = await suite.signIn();
    expect((await suite.a.gql('mutation ($id: ID!) { deleteUser(userId: $id) }', { token: admin, variables: { id: gone.id } })).body.errors).toBeUndefined();
    for (const id of [randomUUID(), 'not-a-uuid', gone.id]) {
      for (const mutation of [GRANT, REVOKE]) expect(code(await suite.a.gql(mutation, { token: admin, variables: { id } }))).toBe('NOT_FOUND');
    }
  });
});

describe('User.isOperator', () => {
  it('the user and users:read services see it; another user is refused (as for status)', async () => {
    const alice = await suite.signIn();
    const bob = await suite.signIn();
    expect((await suite.a.gql('{ viewer { isOperator } }', { token: alice.token })).body.data).toEqual({ viewer: { isOperator: false } });
    await grant(alice.id);
    expect((await suite.a.gql('{ viewer { isOperator } }', { token: alice.token })).body.data).toEqual({ viewer: { isOperator: true } });
    const reader = await suite.serviceToken(['users:read']);
    const byService = await suite.a.gql('query ($id: ID!) { user(id: $id) { isOperator } }', { token: reader, variables: { id: alice.id } });
    expect(byService.body.data).toEqual({ user: { isOperator: true } });
    const entity = await suite.a.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { isOperator } } }', {
      token: bob.token,
      variables: { r: [{ __typename: 'User', id: alice.id }] },
    });
    expect(code(entity)).toBe('FORBIDDEN');
  });
});

describe("an operator's own requests", () => {
  it('carry users:admin and organizations:admin, audited with the operator as actor; revoking removes them at once', async () => {
    const op = await suite.signIn();
    const target = await suite.signIn();
    expect(code(await suite.a.gql(USERS, { token: op.token }))).toBe('FORBIDDEN');
    await grant(op.id);
    expect((await suite.a.gql(USERS, { token: op.token })).body.errors).toBeUndefined();

    // users:admin: suspend and reactivate someone; organizations:admin: add a member directly.
    const suspended = await suite.a.gql('mutation ($id: ID!) { suspendUser(userId: $id) { status } }', { token: op.token, variables: { id: target.id } });
    expect(suspended.body.data).toEqual({ suspendUser: { status: 'SUSPENDED' } });
    await suite.a.gql('mutation ($id: ID!) { reactivateUser(userId: $id) { status } }', { token: op.token, variables: { id: target.id } });
    const owner = await suite.signIn();
    const org = await suite.a.gql('mutation { createOrganization(input: { name: "Ops" }) { id } }', { token: owner.token });
    const orgId = org.body.data.createOrganization.id as string;
    const added = await suite.a.gql('mutation ($org: ID!, $user: ID!) { addMember(input: { organizationId: $org, userId: $user, role: MEMBER }) { id role } }', {
      token: op.token,
      variables: { org: orgId, user: target.id },
    });
    expect(added.body.data.addMember.role).toBe('MEMBER');
    // Operators manage operators too.
    expect((await suite.a.gql(GRANT, { token: op.token, variables: { id: owner.id } })).body.data.grantOperator.isOperator).toBe(true);

    const byOperator = await suite.database.db.query<{ action: string; actor_type: string; actor_id: string }>(
      "select action, actor_type, actor_id from audit_events where actor_id = $1 and action <> 'identity.linked' and action <> 'user.provisioned' order by id",
      [op.id],
    );
    expect(byOperator.map((row) => row.action)).toEqual(['user.suspended', 'user.reactivated', 'membership.added', 'user.operator_granted']);
    expect(new Set(byOperator.map((row) => row.actor_type))).toEqual(new Set(['user']));

    await suite.a.gql(REVOKE, { token: await suite.serviceToken(['users:admin']), variables: { id: op.id } });
    expect(code(await suite.a.gql(USERS, { token: op.token }))).toBe('FORBIDDEN');
    expect(code(await suite.a.gql('mutation ($id: ID!) { suspendUser(userId: $id) { id } }', { token: op.token, variables: { id: target.id } }))).toBe('FORBIDDEN');
  });

  it("the Router coprocessor's scope string carries them while the user is an operator", async () => {
    const op = await suite.signIn();
    expect((await coprocessorScope(op.token)).split(' ')).toEqual(['user']);
    await grant(op.id);
    expect((await coprocessorScope(op.token)).split(' ').sort()).toEqual(['organizations:admin', 'user', 'users:admin']);
    await suite.a.gql(REVOKE, { token: await suite.serviceToken(['users:admin']), variables: { id: op.id } });
    expect((await coprocessorScope(op.token)).split(' ')).toEqual(['user']);
  });

  it('an impersonated operator carries none of them (the actor is not the operator)', async () => {
    const op = await suite.signIn();
    await grant(op.id);
    const impersonated = await suite.issuer.sign({ sub: op.subject, aud: AUDIENCE, email: op.email, email_verified: true, act: { sub: 'support@example.com' } });
    expect(code(await suite.a.gql(USERS, { token: impersonated }))).toBe('FORBIDDEN');
    expect((await coprocessorScope(impersonated)).split(' ')).toEqual(['user']);
    expect((await suite.a.gql(USERS, { token: op.token })).body.errors).toBeUndefined();
  });
});

describe.skipIf(databaseKind !== 'postgres')('on a second replica (PostgreSQL: its own pool and LISTEN connection)', () => {
  it('a grant and a revocation take effect within 1 s, the operator warm on the replica', async () => {
    const op = await suite.signIn();
    // Warm B: verified token, identity, user row.
    for (let i = 0; i < 3; i += 1) expect(code(await suite.b.gql(USERS, { token: op.token }))).toBe('FORBIDDEN');
    let started = performance.now();
    await grant(op.id, suite.a);
    await eventually(async () => expect((await suite.b.gql(USERS, { token: op.token })).body.errors).toBeUndefined(), { timeoutMs: 1000, intervalMs: 10 });
    const grantMs = performance.now() - started;
    for (let i = 0; i < 3; i += 1) expect((await suite.b.gql(USERS, { token: op.token })).body.errors).toBeUndefined();
    started = performance.now();
    await suite.a.gql(REVOKE, { token: await suite.serviceToken(['users:admin']), variables: { id: op.id } });
    await eventually(async () => expect(code(await suite.b.gql(USERS, { token: op.token }))).toBe('FORBIDDEN'), { timeoutMs: 1000, intervalMs: 10 });
    const revokeMs = performance.now() - started;
    await eventually(async () => expect((await coprocessorScope(op.token, suite.b)).split(' ')).toEqual(['user']), { timeoutMs: 1000, intervalMs: 10 });
    console.log(`operator status on a second replica: grant seen after ${grantMs.toFixed(0)} ms, revocation after ${revokeMs.toFixed(0)} ms (deadline 1000 ms)`);
  });
});
