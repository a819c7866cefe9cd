// Names (callers.md): User.givenName / User.familyName from every source, and `name` — the
// source's own, else the given and family names that exist joined by a space. On the suite's
// database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../src/auth/verifier.js';
import { createUserinfoClient } from '../../src/auth/userinfo.js';
import { displayName, MAX_DISPLAY_NAME_LENGTH, personNames } from '../../src/domain/names.js';
import { runImport } from '../../src/import/run.js';
import { issuerConfig, remoteKeySetFor, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, useOrgSuite } from '../helpers/organizations.js';

const NAMES = '{ viewer { id name givenName familyName } }';

describe('displayName (pure)', () => {
  it("is the source's name when it has one, else given and family joined, else one alone", () => {
    expect(displayName({ name: 'Ada King', givenName: 'Ada', familyName: 'Lovelace' })).toBe('Ada King');
    expect(displayName({ givenName: 'Ada', familyName: 'Lovelace' })).toBe('Ada Lovelace');
    expect(displayName({ givenName: 'Ada' })).toBe('Ada');
    expect(displayName({ familyName: 'Lovelace' })).toBe('Lovelace');
    expect(displayName({})).toBeNull();
  });

  it('trims each part, treats blank and non-text as absent, and cuts to the display-name length', () => {
    expect(displayName({ name: '   ', givenName: '  Ada ', familyName: '\tLovelace\n' })).toBe('Ada Lovelace');
    expect(displayName({ name: 42, givenName: ' ', familyName: 'Lovelace' })).toBe('Lovelace');
    const long = personNames({ givenName: 'A'.repeat(200), familyName: 'B'.repeat(200) });
    expect(Array.from(long.name!)).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
    expect(long.givenName).toBe('A'.repeat(200));
    // A surrogate pair is one character and is never split.
    expect(Array.from(personNames({ givenName: '😀'.repeat(300) }).givenName!)).toHaveLength(MAX_DISPLAY_NAME_LENGTH);
  });
});

describe('names from tokens (end to end)', () => {
  const suite = useOrgSuite();

  it('given_name / family_name become givenName / familyName, and name when the token has none', async () => {
    const token = await suite.userToken({ given_name: ' Ada ', family_name: 'Lovelace' });
    const viewer = await suite.gql(NAMES, { token });
    expect(viewer.body.data.viewer).toMatchObject({ name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace' });
  });

  it("the token's own name stays the name", async () => {
    const viewer = await suite.gql(NAMES, { token: await suite.userToken({ name: 'Countess of Lovelace', given_name: 'Ada', family_name: 'Lovelace' }) });
    expect(viewer.body.data.viewer).toMatchObject({ name: 'Countess of Lovelace', givenName: 'Ada', familyName: 'Lovelace' });
  });

  it('one alone when only one exists; neither: all null', async () => {
    expect((await suite.gql(NAMES, { token: await suite.userToken({ family_name: 'Hopper' }) })).body.data.viewer).toMatchObject({ name: 'Hopper', givenName: null, familyName: 'Hopper' });
    expect((await suite.gql(NAMES, { token: await suite.userToken() })).body.data.viewer).toMatchObject({ name: null, givenName: null, familyName: null });
  });

  it('a later sign-in with changed names updates them, as for name; one without names keeps them', async () => {
    const sub = `user|${randomUUID()}`;
    const email = `${randomUUID()}@example.com`;
    await suite.gql(NAMES, { token: await suite.issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, given_name: 'Grace', family_name: 'Brewster' }) });
    const changed = await suite.gql(NAMES, { token: await suite.issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true, given_name: 'Grace', family_name: 'Hopper' }) });
    expect(changed.body.data.viewer).toMatchObject({ name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' });
    const without = await suite.gql(NAMES, { token: await suite.issuer.sign({ sub, aud: AUDIENCE, email, email_verified: true }) });
    expect(without.body.data.viewer).toMatchObject({ name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' });
    const audit = await suite.database.db.query<{ n: number }>(
      "select count(*)::int as n from audit_events where action = 'user.updated' and target_id = $1 and details->>'nameChanged' = 'true'",
      [changed.body.data.viewer.id],
    );
    expect(audit[0]!.n).toBe(1);
  });

  it('visible to whoever may see name: another user resolving the entity sees them', async () => {
    const ada = await suite.signIn({ given_name: 'Ada', family_name: 'Lovelace' });
    const stranger = await suite.userToken();
    const entity = await suite.gql('query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name givenName familyName email } } }', {
      token: stranger,
      variables: { r: [{ __typename: 'User', id: ada.id }] },
    });
    expect(entity.body.data._entities).toEqual([{ id: ada.id, name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace', email: null }]);
  });

  it('a NUL in a name claim refuses the token (401), never a 500', async () => {
    const refused = await suite.gql(NAMES, { token: await suite.userToken({ given_name: 'A\u0000da' }) });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.['reason']).toBe('invalid_given_name');
  });
});

describe('names from userinfo profiles', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer();
  });
  afterAll(() => idp?.close());

  function verifierFor(kind: 'oidc' | 'workos') {
    const config =
      kind === 'workos'
        ? issuerConfig(idp, { kind: 'workos', clientId: 'client_1', audience: null, userinfoUrl: idp.userinfoUserUrl, userinfoApiKey: 'sk_test' })
        : issuerConfig(idp, { kind: 'auth0', userinfoUrl: idp.userinfoUrl });
    const keys = remoteKeySetFor(idp, { issuerName: config.name });
    return createTokenVerifier({ issuers: [config], keySources: new Map([[config.name, keys]]), userinfo: createUserinfoClient({ timeoutMs: 1000 }) });
  }

  it('Auth0 /userinfo: given_name / family_name', async () => {
    const sub = `auth0|${randomUUID()}`;
    idp.setUserinfo(sub, { email: 'ada@example.com', given_name: 'Ada', family_name: 'Lovelace' });
    const principal = await verifierFor('oidc').verify(await idp.sign({ sub, aud: AUDIENCE }));
    expect(principal.kind === 'user' && principal.claims).toMatchObject({ name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace' });
  });

  it('WorkOS user: first_name / last_name', async () => {
    const sub = `user_${randomUUID()}`;
    idp.setUserinfo(sub, { email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' });
    const principal = await verifierFor('workos').verify(await idp.sign({ sub, client_id: 'client_1' }));
    expect(principal.kind === 'user' && principal.claims).toMatchObject({ name: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' });
  });

  it("the token's own names win over the profile's", async () => {
    const sub = `auth0|${randomUUID()}`;
    idp.setUserinfo(sub, { email: 'x@example.com', given_name: 'Profile', family_name: 'Name' });
    const principal = await verifierFor('oidc').verify(await idp.sign({ sub, aud: AUDIENCE, given_name: 'Token' }));
    expect(principal.kind === 'user' && principal.claims).toMatchObject({ name: 'Token', givenName: 'Token', familyName: null, email: 'x@example.com' });
  });
});

describe('names from the import', () => {
  const suite = useOrgSuite({ issuers: (issuer) => [issuerConfig(issuer, { name: 'test' })] });

  async function importLines(...lines: unknown[]) {
    const problems: { line: number; reason: string }[] = [];
    const summary = await runImport({
      db: suite.database.db,
      input: Readable.from([Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n'))]),
      issuers: new Map([['test', suite.issuer.url]]),
      onProblem: (p) => problems.push({ line: p.line, reason: p.reason }),
    });
    return { summary, problems };
  }

  it('givenName / familyName are stored, name composed when the line has none; the user signs in and sees them', async () => {
    const sub = `legacy|${randomUUID()}`;
    const { summary, problems } = await importLines({ email: `${randomUUID()}@example.com`, emailVerified: true, givenName: 'Ada', familyName: 'Lovelace', identities: [{ issuer: 'test', subject: sub }] });
    expect(problems).toEqual([]);
    expect(summary.created).toBe(1);
    const viewer = await suite.gql(NAMES, { token: await suite.issuer.sign({ sub, aud: AUDIENCE }) });
    expect(viewer.body.data.viewer).toMatchObject({ name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace' });
  });

  it('completes missing names of an existing user, never overwrites them; idempotent', async () => {
    const id = randomUUID();
    const email = `${randomUUID()}@example.com`;
    await importLines({ id, email, name: 'Grace' });
    const again = await importLines({ id, email, givenName: 'Grace', familyName: 'Hopper', name: 'Other' });
    expect(again.summary.updated).toBe(1);
    const [row] = await suite.database.db.query<{ name: string; given_name: string; family_name: string }>('select name, given_name, family_name from users where id = $1', [id]);
    expect(row).toEqual({ name: 'Grace', given_name: 'Grace', family_name: 'Hopper' });
    expect((await importLines({ id, email, givenName: 'Grace', familyName: 'Hopper', name: 'Other' })).summary.unchanged).toBe(1);
  });

  it('a NUL in a name is a malformed line, not a failed batch', async () => {
    const { problems } = await importLines({ email: `${randomUUID()}@example.com`, givenName: 'A\u0000' });
    expect(problems).toEqual([{ line: 1, reason: 'malformed' }]);
  });
});
