// userByIdentity(issuer, subject) (api-keys.md, Lookups): users:read services (and operators) find
// the user an external identity is bound to by the configured issuer's NAME; null when none; it
// never provisions; an unknown issuer name is BAD_USER_INPUT (unknown_issuer); anyone else FORBIDDEN.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useOperatorSuite } from './suite.js';

const suite = useOperatorSuite();

const LOOKUP = 'query ($issuer: String!, $subject: String!) { userByIdentity(issuer: $issuer, subject: $subject) { id email status } }';
const code = (answer: { body: { errors?: { extensions?: Record<string, any> }[] } }) => answer.body.errors?.[0]?.extensions?.['code'];

async function countUsers(): Promise<number> {
  return (await suite.database.db.query<{ n: number }>('select count(*)::int as n from users'))[0]!.n;
}

describe('userByIdentity', () => {
  it('answers the bound user to users:read and users:admin services, by issuer name', async () => {
    const alice = await suite.signIn();
    for (const scopes of [['users:read'], ['users:admin']]) {
      const answer = await suite.a.gql(LOOKUP, { token: await suite.serviceToken(scopes), variables: { issuer: 'test', subject: alice.subject } });
      expect(answer.body).toEqual({ data: { userByIdentity: { id: alice.id, email: alice.email, status: 'ACTIVE' } } });
    }
  });

  it('answers null for an identity never seen, and never provisions (not even for a signed token of it)', async () => {
    const reader = await suite.serviceToken(['users:read']);
    const before = await countUsers();
    for (const subject of [`user|${randomUUID()}`, '', 'x'.repeat(300)]) {
      const answer = await suite.a.gql(LOOKUP, { token: reader, variables: { issuer: 'test', subject } });
      expect(answer.body).toEqual({ data: { userByIdentity: null } });
    }
    // The issuer's URL is not its name: nothing binds under it.
    const alice = await suite.signIn();
    const byUrl = await suite.a.gql(LOOKUP, { token: reader, variables: { issuer: suite.issuer.url, subject: alice.subject } });
    expect(code(byUrl)).toBe('BAD_USER_INPUT');
    expect(await countUsers()).toBe(before + 1);
  });

  it('an unknown issuer name is BAD_USER_INPUT (unknown_issuer), so a typo never reads as "no such user"', async () => {
    const answer = await suite.a.gql(LOOKUP, { token: await suite.serviceToken(['users:read']), variables: { issuer: 'tset', subject: 'anything' } });
    expect(code(answer)).toBe('BAD_USER_INPUT');
    expect(answer.body.errors![0]!.extensions!['reason']).toBe('unknown_issuer');
  });

  it('a deleted user is null (its identities were erased with it)', async () => {
    const gone = await suite.signIn();
    const admin = await suite.serviceToken(['users:admin']);
    await suite.a.gql('mutation ($id: ID!) { deleteUser(userId: $id) }', { token: admin, variables: { id: gone.id } });
    expect((await suite.a.gql(LOOKUP, { token: admin, variables: { issuer: 'test', subject: gone.subject } })).body.data).toEqual({ userByIdentity: null });
  });

  it('anyone else is FORBIDDEN (users, the user themselves, other services, anonymous), whatever the issuer', async () => {
    const alice = await suite.signIn();
    const tokens = [alice.token, await suite.serviceToken(['users:write', 'organizations:admin']), undefined];
    for (const token of tokens) {
      for (const issuer of ['test', 'nope']) {
        const answer = await suite.a.gql(LOOKUP, { token, variables: { issuer, subject: alice.subject } });
        expect(code(answer)).toBe('FORBIDDEN');
        expect(answer.body.data?.userByIdentity ?? null).toBeNull();
      }
    }
  });

  it('an operator may look users up (operators hold users:admin)', async () => {
    const op = await suite.signIn();
    const alice = await suite.signIn();
    await suite.a.gql('mutation ($id: ID!) { grantOperator(userId: $id) { id } }', { token: await suite.serviceToken(['users:admin']), variables: { id: op.id } });
    const answer = await suite.a.gql(LOOKUP, { token: op.token, variables: { issuer: 'test', subject: alice.subject } });
    expect(answer.body.data).toEqual({ userByIdentity: { id: alice.id, email: alice.email, status: 'ACTIVE' } });
  });
});
