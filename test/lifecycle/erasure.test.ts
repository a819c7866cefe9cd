// An erased user stays erased (lifecycle.md, Deleted; legacy-sessions.md, Import): importing the
// file again skips the line (reason `deleted`) whether its id was given or derived, the person
// signing in afresh is a new user, another identity with the email joins that new user, and every
// lookup by email or identity passes tombstones by. The database itself refuses to give a
// tombstone an email, a name, an identity or a membership, also to an import racing the deletion.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { eraseUser } from '../../src/db/lifecycle.js';
import { insertOrganization } from '../../src/db/organizations.js';
import { derivedId } from '../../src/import/record.js';
import { runImport } from '../../src/import/run.js';
import { startTestApp } from '../helpers/app.js';
import { databaseKind } from '../helpers/database.js';
import { eventually } from '../helpers/eventually.js';
import { issuerConfig } from '../helpers/issuer.js';
import { nowSeconds } from '../helpers/lifecycle.js';
import { addMember, AUDIENCE, errorCode, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const VIEWER = '{ viewer { id email name identities { subject } } }';

async function importLines(...lines: Record<string, unknown>[]) {
  const problems: { line: number; reason: string }[] = [];
  const summary = await runImport({
    db: suite.database.db,
    input: Readable.from([Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n'))]),
    issuers: new Map([['test', suite.issuer.url]]),
    onProblem: (p) => problems.push({ line: p.line, reason: p.reason }),
  });
  return { totals: { created: summary.created, updated: summary.updated, unchanged: summary.unchanged, skipped: summary.skipped }, problems };
}

const sign = (claims: Record<string, unknown>) => suite.issuer.sign({ aud: AUDIENCE, ...claims });

async function viewer(token: string) {
  const answer = await suite.gql(VIEWER, { token });
  expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
  return answer.body.data.viewer as { id: string; email: string | null; name: string | null; identities: { subject: string }[] };
}

async function deleteViewer(token: string): Promise<void> {
  const deleted = await suite.gql('mutation { deleteViewer }', { token });
  expect(deleted.body.data?.deleteViewer).toBe(true);
}

async function tombstone(id: string) {
  const [row] = await suite.database.db.query<Record<string, unknown>>('select email, email_verified, name, status from users where id = $1', [id]);
  const identities = await suite.database.db.query('select 1 from identities where user_id = $1', [id]);
  const memberships = await suite.database.db.query('select 1 from memberships where user_id = $1', [id]);
  return { ...row, identities: identities.length, memberships: memberships.length };
}

const ERASED = { email: null, email_verified: false, name: null, status: 'deleted', identities: 0, memberships: 0 };

describe('importing a file again after a deletion', () => {
  it('skips the line (reason deleted), and the person signing in afresh is a new user whom other identities join', async () => {
    const id = randomUUID();
    const subject = `legacy|${id}`;
    const email = `erin-${id.slice(0, 8)}@example.com`;
    const line = { id, email, emailVerified: true, name: 'Erin', identities: [{ issuer: 'test', subject }] };
    expect((await importLines(line)).totals).toEqual({ created: 1, updated: 0, unchanged: 0, skipped: {} });
    const old = await sign({ sub: subject, email, email_verified: true });
    expect((await viewer(old)).id).toBe(id);
    await deleteViewer(old);

    const again = await importLines(line);
    expect(again.totals).toEqual({ created: 0, updated: 0, unchanged: 0, skipped: { deleted: 1 } });
    expect(again.problems).toEqual([{ line: 1, reason: 'deleted' }]);
    expect(await tombstone(id)).toEqual(ERASED);

    // A later sign-in through the same identity: a new person, a new id (not 401 revoked).
    const fresh = await viewer(await sign({ sub: subject, email, email_verified: true, name: 'Erin Again', iat: nowSeconds() + 2 }));
    expect(fresh.id).not.toBe(id);
    expect(fresh).toMatchObject({ email, name: 'Erin Again', identities: [{ subject }] });
    // Another identity with that verified email joins the new user (not 403 USER_SUSPENDED).
    const other = await viewer(await sign({ sub: `sso|${randomUUID()}`, email, email_verified: true }));
    expect(other.id).toBe(fresh.id);

    const third = await importLines(line);
    expect(third.totals).toEqual({ created: 0, updated: 0, unchanged: 0, skipped: { deleted: 1 } });
    expect(await tombstone(id)).toEqual(ERASED);
    const lookup = await suite.gql('query ($id: ID!, $email: String!) { user(id: $id) { id } userByEmail(email: $email) { id } }', {
      token: await suite.serviceToken(['users:read']),
      variables: { id, email },
    });
    expect(lookup.body.data).toEqual({ user: null, userByEmail: { id: fresh.id } });
  });

  it('keeps an id derived from the email or from the identity retired too', async () => {
    const tag = randomUUID().slice(0, 8);
    const byEmail = { email: `derived-${tag}@example.com`, emailVerified: true };
    const subject = `legacy|derived-${tag}`;
    const byIdentity = { identities: [{ issuer: 'test', subject }] };
    expect((await importLines(byEmail, byIdentity)).totals).toMatchObject({ created: 2 });
    const emailId = derivedId(`email:${byEmail.email}`);
    const identityId = derivedId(`identity:${suite.issuer.url}\u0000${subject}`);
    const joined = await sign({ sub: `sso|${tag}`, email: byEmail.email, email_verified: true });
    expect((await viewer(joined)).id).toBe(emailId);
    const legacy = await sign({ sub: subject });
    expect((await viewer(legacy)).id).toBe(identityId);
    await deleteViewer(joined);
    await deleteViewer(legacy);

    const again = await importLines({ ...byEmail, name: 'Back?' }, byIdentity);
    expect(again.problems).toEqual([
      { line: 1, reason: 'deleted' },
      { line: 2, reason: 'deleted' },
    ]);
    expect(again.totals).toEqual({ created: 0, updated: 0, unchanged: 0, skipped: { deleted: 2 } });
    expect(await tombstone(emailId)).toEqual(ERASED);
    expect(await tombstone(identityId)).toEqual(ERASED);
  });
});

describe('lookups by email or identity pass tombstones by', () => {
  it('userByEmail of an erased address is null; addMember and ensureUser by it create a new user', async () => {
    const alice = await suite.signIn();
    await deleteViewer(alice.token);
    const byEmail = await suite.gql('query ($e: String!) { userByEmail(email: $e) { id } }', { token: await suite.serviceToken(['users:read']), variables: { e: alice.email } });
    expect(byEmail.body.data).toEqual({ userByEmail: null });

    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const added = await addMember(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, email: alice.email, role: 'MEMBER' });
    expect(added.body.errors).toBeUndefined();
    const newId = added.body.data.addMember.user.id;
    expect(newId).not.toBe(alice.id);
    const ensured = await suite.gql('mutation ($e: String!) { ensureUser(input: { email: $e }) { user { id } } }', {
      token: await suite.serviceToken(['users:write']),
      variables: { e: alice.email },
    });
    expect(ensured.body.errors).toBeUndefined();
    expect(ensured.body.data.ensureUser.user.id).toBe(newId);
    // The person's next verified sign-in joins that user, with the membership.
    const back = await suite.gql('{ viewer { id memberships { organization { id } } } }', {
      token: await sign({ sub: alice.subject, email: alice.email, email_verified: true, iat: nowSeconds() + 2 }),
    });
    expect(back.body.data.viewer).toEqual({ id: newId, memberships: [{ organization: { id: orgId } }] });
    expect(await tombstone(alice.id)).toEqual(ERASED);
  });

  it('a suspended holder of the email still refuses a new identity (USER_SUSPENDED); a tombstone never does', async () => {
    const held = await suite.signIn();
    const suspended = await suite.gql(`mutation { suspendUser(userId: "${held.id}") { id } }`, { token: await suite.serviceToken(['users:admin']) });
    expect(suspended.body.errors).toBeUndefined();
    const refused = await suite.gql(VIEWER, { token: await sign({ sub: `other|${randomUUID()}`, email: held.email, email_verified: true }) });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('USER_SUSPENDED');
  });
});

describe('tokens issued before a deletion', () => {
  it('answer 401 revoked on a replica that never saw them, instead of provisioning a new user', async () => {
    const alice = await suite.signIn();
    await deleteViewer(alice.token);
    // Cold caches: nothing binds the identity to the tombstone here, only the database knows.
    const cold = await startTestApp({ issuers: [issuerConfig(suite.issuer, { name: 'test' })], database: suite.database.db });
    try {
      const old = await cold.gql(VIEWER, { token: alice.token });
      expect(old.status).toBe(401);
      expect(old.body.errors?.[0]?.extensions?.['reason']).toBe('revoked');
      const later = await cold.gql(VIEWER, { token: await sign({ sub: alice.subject, email: alice.email, email_verified: true, iat: nowSeconds() + 2 }) });
      expect(later.status).toBe(200);
      expect(later.body.data.viewer.id).not.toBe(alice.id);
    } finally {
      await cold.close();
    }
  });
});

describe('the database keeps tombstones empty', () => {
  it('refuses an email, a name, an identity or a membership for a deleted user', async () => {
    const alice = await suite.signIn();
    await deleteViewer(alice.token);
    const org = randomUUID();
    await insertOrganization(suite.database.db, { id: org, name: 'Tombstones' });
    const refusal = async (sql: string, params: unknown[]) => {
      try {
        await suite.database.db.query(sql, params);
      } catch (error) {
        return (error as { sqlState?: string }).sqlState;
      }
      return 'accepted';
    };
    expect(await refusal('update users set email = $2, email_verified = true where id = $1', [alice.id, alice.email])).toBe('23514');
    expect(await refusal("update users set name = 'Back' where id = $1", [alice.id])).toBe('23514');
    expect(
      await refusal("insert into identities (id, user_id, provider, issuer, subject) values ($1, $2, 'test', $3, $4)", [randomUUID(), alice.id, suite.issuer.url, alice.subject]),
    ).toBe('23503');
    expect(await refusal("insert into memberships (id, organization_id, user_id, role) values ($1, $2, $3, 'MEMBER')", [randomUUID(), org, alice.id])).toBe('23503');
    expect(await tombstone(alice.id)).toEqual(ERASED);
  });
});

// Interleaving needs two connections: an import's write waits behind a deletion holding the
// user's row, and must not land on the tombstone the deletion commits.
describe.runIf(databaseKind === 'postgres')('an import racing a deletion (PostgreSQL)', () => {
  async function waitingOnLock(): Promise<void> {
    await eventually(async () => {
      const rows = await suite.database.db.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
      );
      expect(rows[0]!.n).toBeGreaterThan(0);
    }, { timeoutMs: 5000, intervalMs: 10 });
  }

  for (const variant of ['identity', 'name'] as const) {
    it(`a line adding ${variant === 'identity' ? 'an identity' : 'a name'} to a user being deleted is skipped (deleted), nothing written`, async () => {
      const id = randomUUID();
      const email = `racing-${id.slice(0, 8)}@example.com`;
      await importLines({ id, email, emailVerified: true });
      const line = variant === 'identity' ? { id, email, emailVerified: true, identities: [{ issuer: 'test', subject: `racing|${id}` }] } : { id, email, emailVerified: true, name: 'Late' };
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const deletion = suite.database.db.transaction(async (tx) => {
        await tx.query('select id from users where id = $1 for update', [id]);
        locked();
        await released;
        await eraseUser(tx, id);
      });
      await lockTaken;
      const importing = importLines(line);
      await waitingOnLock();
      release();
      await deletion;
      const result = await importing;
      expect(result.problems).toEqual([{ line: 1, reason: 'deleted' }]);
      expect(result.totals).toEqual({ created: 0, updated: 0, unchanged: 0, skipped: { deleted: 1 } });
      expect(await tombstone(id)).toEqual(ERASED);
    });
  }
});
