// `npm run import`'s core on the file's database (PGlite, or PostgreSQL with TEST_DATABASE_URL):
// ids kept, idempotent, lines completed but never overwritten, conflicts and malformed lines
// skipped whole, --strict all or nothing, batch boundaries invisible, and a race with first
// sign-ins of the same people settled by the unique keys.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { insertOrganization } from '../../src/db/organizations.js';
import type { UserClaims } from '../../src/domain/types.js';
import { derivedId } from '../../src/import/record.js';
import { runImport, type ImportSummary } from '../../src/import/run.js';
import { createUserStore } from '../../src/db/userStore.js';
import { createIdentityService } from '../../src/services/identity.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';

const LEGACY = 'https://legacy.example.test';
const ISSUERS = new Map([['legacy', LEGACY], ['sso', 'https://sso.example.test/']]);

let database: TestDatabase;
let org: string;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());
beforeEach(async () => {
  await database.db.query('truncate users, organizations, audit_events cascade');
  org = randomUUID();
  await insertOrganization(database.db, { id: org, name: 'Acme' });
});

const jsonl = (...lines: unknown[]) => lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');

async function importText(text: string, options: { strict?: boolean; batchSize?: number } = {}) {
  const problems: { line: number; reason: string }[] = [];
  const summary = await runImport({
    db: database.db,
    input: Readable.from([Buffer.from(text)]),
    issuers: ISSUERS,
    strict: options.strict,
    batchSize: options.batchSize,
    onProblem: (p) => problems.push({ line: p.line, reason: p.reason }),
  });
  return { summary, problems };
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  return ((await database.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0]!).n;
}

const totals = (s: ImportSummary) => ({ created: s.created, updated: s.updated, unchanged: s.unchanged, skipped: s.skipped });

describe('import', () => {
  it('creates users with their ids, identities, memberships and audit rows; again: nothing changes', async () => {
    const id = randomUUID();
    const text = jsonl(
      { id, email: ' Ada@Example.com ', emailVerified: true, name: 'Ada', createdAt: '2023-04-01T10:00:00Z', identities: [{ issuer: 'legacy', subject: id }], memberships: [{ organizationId: org, role: 'ADMIN' }] },
      { email: 'bob@example.com' },
      { identities: [{ issuer: 'legacy', subject: 'numbered-7' }] },
    );
    const first = await importText(text);
    expect(totals(first.summary)).toEqual({ created: 3, updated: 0, unchanged: 0, skipped: {} });
    const [ada] = await database.db.query<any>('select email, email_verified, name, created_at from users where id = $1', [id]);
    expect(ada).toMatchObject({ email: 'ada@example.com', email_verified: true, name: 'Ada' });
    expect(new Date(ada.created_at).toISOString()).toBe('2023-04-01T10:00:00.000Z');
    expect(await count('identities where user_id = $1 and provider = $2 and issuer = $3 and subject = $4', [id, 'legacy', LEGACY, id])).toBe(1);
    expect(await count('memberships where user_id = $1 and organization_id = $2 and role = $3', [id, org, 'ADMIN'])).toBe(1);
    // An email is verified only when the line says so; the id is derived from the line, the same on every run.
    expect(await count('users where id = $1 and email = $2 and not email_verified', [derivedId('email:bob@example.com'), 'bob@example.com'])).toBe(1);
    expect(await count("audit_events where action = 'user.imported' and actor_type = 'system'")).toBe(3);
    expect(await count("audit_events where action = 'membership.added' and organization_id = $1", [org])).toBe(1);

    const again = await importText(text, { batchSize: 1 });
    expect(totals(again.summary)).toEqual({ created: 0, updated: 0, unchanged: 3, skipped: {} });
    expect(await count('users')).toBe(3);
    expect(await count('audit_events')).toBe(4);
  });

  it('completes an existing user (identity, membership, missing name) and never overwrites', async () => {
    const id = randomUUID();
    await importText(jsonl({ id, email: 'cy@example.com', name: null }));
    const { summary } = await importText(jsonl({ id, email: 'cy@example.com', name: 'Cy', identities: [{ issuer: 'sso', subject: 'cy' }], memberships: [{ organizationId: org, role: 'MEMBER' }] }));
    expect(totals(summary)).toEqual({ created: 0, updated: 1, unchanged: 0, skipped: {} });
    expect(await count("users where id = $1 and name = 'Cy'", [id])).toBe(1);
    expect(await count('identities where user_id = $1', [id])).toBe(1);
    const renamed = await importText(jsonl({ id, email: 'cy@example.com', name: 'Somebody Else' }));
    expect(totals(renamed.summary)).toEqual({ created: 0, updated: 0, unchanged: 1, skipped: {} });
    expect(await count("users where id = $1 and name = 'Cy'", [id])).toBe(1);
  });

  it('never re-creates a membership removed or left since: importing the file again changes nothing', async () => {
    const id = randomUUID();
    const line = jsonl({ id, email: 'di@example.com', memberships: [{ organizationId: org, role: 'ADMIN' }] });
    expect(totals((await importText(line)).summary)).toEqual({ created: 1, updated: 0, unchanged: 0, skipped: {} });
    await database.db.query('delete from memberships where user_id = $1', [id]); // left, or removed by an admin
    expect(totals((await importText(line)).summary)).toEqual({ created: 0, updated: 0, unchanged: 1, skipped: {} });
    expect(await count('memberships where user_id = $1', [id])).toBe(0);
  });

  it('skips whole lines that conflict: the id, the verified email or an identity of someone else', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await importText(jsonl({ id: a, email: 'a@example.com', emailVerified: true, identities: [{ issuer: 'legacy', subject: 'a' }] }));
    const membership = [{ organizationId: org, role: 'MEMBER' }];
    const { summary, problems } = await importText(
      jsonl(
        { id: a, email: 'not-a@example.com', memberships: membership },
        { id: b, email: 'a@example.com', emailVerified: true, memberships: membership },
        { id: b, email: 'b@example.com', identities: [{ issuer: 'legacy', subject: 'a' }], memberships: membership },
        { email: 'a@example.com', emailVerified: true, identities: [{ issuer: 'legacy', subject: 'other' }, { issuer: 'legacy', subject: 'a' }] },
      ),
    );
    expect(problems).toEqual([
      { line: 1, reason: 'conflict_id' },
      { line: 2, reason: 'conflict_email' },
      { line: 3, reason: 'conflict_identity' },
    ]);
    // Line 4 has no id: its identity and verified email find user a, which it completes.
    expect(totals(summary)).toMatchObject({ created: 0, updated: 1, skipped: { conflict_id: 1, conflict_email: 1, conflict_identity: 1 } });
    expect(await count('users where id = $1', [b])).toBe(0);
    expect(await count('memberships')).toBe(0);
    expect(await count("identities where subject = 'other' and user_id = $1", [a])).toBe(1);
  });

  it('skips malformed lines, unknown issuers and unknown organizations; blank lines are no lines', async () => {
    const long = JSON.stringify({ email: 'long@example.com', name: 'x'.repeat(2000) });
    const { summary, problems } = await importText(
      jsonl(
        'not json',
        '',
        [1, 2],
        { name: 'no email, no identity' },
        { email: 'not-an-email' },
        { id: 'not-a-uuid', email: 'x@example.com' },
        { email: 'x@example.com', favouriteColour: 'blue' },
        { email: 'x@example.com', identities: [{ issuer: 'nope', subject: 's' }] },
        { email: 'x@example.com', memberships: [{ organizationId: randomUUID(), role: 'MEMBER' }] },
        { email: 'x@example.com', memberships: [{ organizationId: org, role: 'KING' }] },
        long,
        { email: 'fine@example.com' },
      ),
    );
    expect(problems.map((p) => `${p.line}:${p.reason}`).sort()).toEqual(
      ['1:malformed', '10:malformed', '11:malformed', '3:malformed', '4:malformed', '5:malformed', '6:malformed', '7:malformed', '8:unknown_issuer', '9:unknown_organization'].sort(),
    );
    expect(summary).toMatchObject({ lines: 12, created: 1 });
    expect(await count('users')).toBe(1);
  });

  it('--strict stops at the first bad line having written nothing', async () => {
    const taken = randomUUID();
    await importText(jsonl({ id: taken, email: 'taken@example.com', emailVerified: true }));
    const lines = [{ email: 'one@example.com' }, { email: 'two@example.com' }, { id: randomUUID(), email: 'taken@example.com', emailVerified: true }, 'garbage'];
    for (const batchSize of [1, 2, 100]) {
      const { summary, problems } = await importText(jsonl(...lines), { strict: true, batchSize });
      expect(summary.stoppedAt).toMatchObject({ line: 3, reason: 'conflict_email' });
      expect(problems).toEqual([{ line: 3, reason: 'conflict_email' }]);
      expect(await count('users')).toBe(1);
    }
    const malformed = await importText(jsonl({ email: 'one@example.com' }, '{', { email: 'three@example.com' }), { strict: true });
    expect(malformed.summary.stoppedAt).toMatchObject({ line: 2, reason: 'malformed' });
    expect(await count('users')).toBe(1);
    const clean = await importText(jsonl({ email: 'one@example.com' }), { strict: true });
    expect(totals(clean.summary)).toEqual({ created: 1, updated: 0, unchanged: 0, skipped: {} });
  });

  it('lines touching the same person in one batch are applied in file order', async () => {
    const id = randomUUID();
    const text = jsonl(
      { id, email: 'dup@example.com', emailVerified: true },
      { id: randomUUID(), email: 'dup@example.com', emailVerified: true },
      { email: 'dup@example.com', emailVerified: true, identities: [{ issuer: 'legacy', subject: 'dup' }] },
      { identities: [{ issuer: 'legacy', subject: 'dup' }], memberships: [{ organizationId: org, role: 'OWNER' }] },
    );
    for (const batchSize of [100, 1]) {
      await database.db.query('truncate users cascade');
      const { summary, problems } = await importText(text, { batchSize });
      expect(problems).toEqual([{ line: 2, reason: 'conflict_email' }]);
      expect(totals(summary)).toEqual({ created: 1, updated: 2, unchanged: 0, skipped: { conflict_email: 1 } });
      expect(await count('identities where user_id = $1', [id])).toBe(1);
      expect(await count("memberships where user_id = $1 and role = 'OWNER'", [id])).toBe(1);
    }
  });
});

describe('emailVerified (default false)', () => {
  it('only a line saying true joins by email; an unverified line meeting a verified user is skipped (email_not_verified)', async () => {
    const holder = randomUUID();
    await importText(jsonl({ id: holder, email: 'held@example.com', emailVerified: true }));
    const { summary, problems } = await importText(
      jsonl(
        { email: 'held@example.com', name: 'Not vouched for' },
        { id: randomUUID(), email: 'HELD@example.com' },
        { email: 'held@example.com', emailVerified: false, identities: [{ issuer: 'legacy', subject: 'unverified' }] },
        { email: 'held@example.com', emailVerified: true, identities: [{ issuer: 'legacy', subject: 'verified' }] },
        { id: holder, email: 'held@example.com', name: 'Holder' },
      ),
    );
    expect(problems).toEqual([
      { line: 1, reason: 'email_not_verified' },
      { line: 2, reason: 'email_not_verified' },
      { line: 3, reason: 'email_not_verified' },
    ]);
    // Line 4 joins the holder, as a verified sign-in would; line 5 is the holder's own line.
    expect(totals(summary)).toEqual({ created: 0, updated: 2, unchanged: 0, skipped: { email_not_verified: 3 } });
    expect(await count('users')).toBe(1);
    expect(await count("identities where user_id = $1 and subject = 'verified'", [holder])).toBe(1);
    expect(await count("identities where subject = 'unverified'")).toBe(0);
    expect(await count("users where id = $1 and name = 'Holder' and email_verified", [holder])).toBe(1);
  });

  it('an unverified email joins nobody: a second unverified line with it is another user', async () => {
    const first = randomUUID();
    await importText(jsonl({ id: first, email: 'loose@example.com' }));
    const { summary } = await importText(jsonl({ email: 'loose@example.com', identities: [{ issuer: 'legacy', subject: 'loose' }] }));
    expect(totals(summary)).toEqual({ created: 1, updated: 0, unchanged: 0, skipped: {} });
    expect(await count('users where email = $1 and not email_verified', ['loose@example.com'])).toBe(2);
    expect(await count("identities where user_id = $1 and subject = 'loose'", [first])).toBe(0);
  });
});

describe('import racing first sign-ins of the same people', () => {
  it('each person ends with one user, whichever wins; the import reports what it did', async () => {
    const people = Array.from({ length: 40 }, (_, i) => ({ id: randomUUID(), email: `race-${i}-${randomUUID().slice(0, 6)}@example.com`, subject: `race-${i}` }));
    const identity = createIdentityService({ db: database.db, users: createUserStore(database.db) });
    const claims = (p: (typeof people)[number]): UserClaims => ({
      provider: 'legacy',
      issuer: LEGACY,
      subject: p.subject,
      email: p.email,
      emailVerified: true,
      name: null,
      givenName: null,
      familyName: null,
      externalOrganizationId: null,
      impersonator: null,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      issuedAt: Math.floor(Date.now() / 1000),
      sessionId: null,
    });
    // The same people as the sign-ins, vouched for as they are (an unverified line meeting a
    // verified user is skipped `email_not_verified`: tested above).
    const text = jsonl(...people.map((p) => ({ id: p.id, email: p.email, emailVerified: true, identities: [{ issuer: 'legacy', subject: p.subject }] })));
    const [imported, ...signIns] = await Promise.all([
      importText(text, { batchSize: 8 }),
      ...people.map((p, i) => new Promise((r) => setTimeout(r, i % 5)).then(() => identity.resolveUser(claims(p)))),
    ]);
    await identity.flushStamps();
    const { summary, problems } = imported as Awaited<ReturnType<typeof importText>>;
    expect(summary.created + summary.unchanged + summary.updated + problems.length).toBe(people.length);
    expect(problems.every((p) => p.reason === 'conflict_identity' || p.reason === 'conflict_email')).toBe(true);
    for (const [i, person] of people.entries()) {
      const holders = await database.db.query<{ user_id: string }>('select user_id from identities where issuer = $1 and subject = $2', [LEGACY, person.subject]);
      expect(holders).toHaveLength(1);
      expect((signIns[i] as { userId: string }).userId).toBe(holders[0]!.user_id);
      expect(await count('users where email = $1', [person.email])).toBe(1);
      const skipped = problems.some((p) => p.line === i + 1);
      // Imported: the person keeps the legacy id; skipped: the sign-in made them first.
      expect(holders[0]!.user_id === person.id).toBe(!skipped);
    }
  });
});
