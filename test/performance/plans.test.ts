// Hot paths at scale: on a database of 20,000 imported users (analyzed), every statement that
// first logins, viewer, memberships and `_entities` run reaches users, identities and memberships
// through an index; no sequential scan of a table that grows with the users.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainStatements } from '../../bench/plans.js';
import { insertOrganization } from '../../src/db/organizations.js';
import { runImport } from '../../src/import/run.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const USERS = 20_000;
let issuer: TestIssuer;
let database: TestDatabase;
let api: TestApp;
let recording = false;
const statements: string[] = [];
const ids: string[] = [];
const org = randomUUID();

function* lines(): Generator<string> {
  for (let i = 0; i < USERS; i += 1) {
    const id = randomUUID();
    ids.push(id);
    const memberships = i % 10 === 0 ? [{ organizationId: org, role: 'MEMBER' }] : [];
    yield `${JSON.stringify({ id, email: `scale-${i}@example.com`, name: `User ${i}`, identities: [{ issuer: 'test', subject: `scale-${i}` }], memberships })}\n`;
  }
}

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase({ onQuery: (text) => recording && statements.push(text) });
  await insertOrganization(database.db, { id: org, name: 'Scale' });
  const config = issuerConfig(issuer);
  const summary = await runImport({ db: database.db, input: Readable.from(lines()), issuers: new Map([['test', config.issuer]]) });
  expect(summary.created).toBe(USERS);
  await database.db.query('analyze');
  api = await startTestApp({ issuers: [config], database: database.db });
}, 300_000);
afterAll(async () => {
  await api?.close();
  await database?.close();
  await issuer?.close();
});

describe('query plans at scale', () => {
  it('hot paths use indexes', async () => {
    recording = true;
    const sign = (claims: Record<string, unknown>) => issuer.sign({ aud: 'https://api.test', ...claims });
    // A first login joining an imported user by email, a brand-new user, a known identity.
    const tokens = await Promise.all([
      sign({ sub: `sso-${randomUUID()}`, email: 'scale-5@example.com', email_verified: true }),
      sign({ sub: `new-${randomUUID()}`, email: `new-${randomUUID()}@example.com`, email_verified: true }),
      sign({ sub: 'scale-10', email: 'scale-10@example.com', name: 'Renamed' }),
    ]);
    for (const token of tokens) {
      const response = await api.gql('{ viewer { id email identities { subject } memberships { role organization { id name } } } }', { token });
      expect(response.body.errors).toBeUndefined();
    }
    const entities = await api.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }', {
      variables: { r: ids.slice(0, 100).map((id) => ({ __typename: 'User', id })) },
    });
    expect(entities.body.data._entities.filter(Boolean)).toHaveLength(100);
    // `users(query)` search (issue 15) joins this list once it exists.
    recording = false;
    const explained = await explainStatements(database.db, statements);
    expect(explained.length).toBeGreaterThan(3);
    const scans = explained.filter((s) => s.seqScans.length > 0).map((s) => `${s.seqScans.join(', ')}: ${s.text.slice(0, 160)}`);
    expect(scans).toEqual([]);
  });
});
