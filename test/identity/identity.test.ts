// Spec "Identity rules", over HTTP against a production-mode app with auth0, workos and oidc
// issuers: canonical ids, (issuer, sub) pairs, provisioning by any first request, email
// normalisation and linking, emailTrust and custom claims, races, machine tokens,
// impersonation, the userinfo fallback and profile sync. The database is checked by SQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/queryable.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE, countIdentities, countUsers, expectNoLeak, unique, uniqueEmail, userIdOf, usersWithEmail, UUID_V4 } from '../helpers/battery.js';

const WORKOS_CLIENT = 'client_01TESTWORKOS';
const NS = 'https://example.com/';

let auth0: TestIssuer; // kind auth0, emailTrust claim
let namespaced: TestIssuer; // kind auth0 with Action-namespaced email claims
let workos: TestIssuer; // kind workos, emailTrust always
let never: TestIssuer; // kind oidc, emailTrust never
let info: TestIssuer; // kind oidc with a userinfo endpoint
let database: TestDatabase;
let api: TestApp;

const VIEWER = '{ viewer { id email emailVerified name impersonator identities { provider issuer subject } } }';

beforeAll(async () => {
  [auth0, namespaced, workos, never, info] = await Promise.all([
    startTestIssuer(),
    startTestIssuer(),
    startTestIssuer(),
    startTestIssuer(),
    startTestIssuer(),
  ]);
  database = await openTestDatabase();
  api = await startTestApp({
    production: true,
    database: database.db,
    issuers: [
      issuerConfig(auth0, { name: 'auth0', kind: 'auth0' }),
      issuerConfig(namespaced, { name: 'auth0-ns', kind: 'auth0', emailClaim: `${NS}email`, emailVerifiedClaim: `${NS}email_verified` }),
      issuerConfig(workos, { name: 'workos', kind: 'workos', audience: null, clientId: WORKOS_CLIENT, emailTrust: 'always' }),
      issuerConfig(never, { name: 'never', kind: 'oidc', emailTrust: 'never' }),
      issuerConfig(info, { name: 'info', kind: 'oidc', userinfoUrl: info.userinfoUrl }),
    ],
  });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await Promise.all([auth0, namespaced, workos, never, info].map((i) => i?.close()));
});

function sign(issuer: TestIssuer, claims: Record<string, unknown>): Promise<string> {
  const base = issuer === workos ? { client_id: WORKOS_CLIENT } : { aud: AUDIENCE };
  return issuer.sign({ ...base, ...claims });
}

async function viewerOf(token: string) {
  const response = await api.gql(VIEWER, { token });
  expect(response.status, JSON.stringify(response.body.errors)).toBe(200);
  return response.body.data.viewer;
}

/** Fullwidth form of an ASCII string (U+FF01..U+FF5E): looks alike, is another mailbox. */
function fullwidth(text: string): string {
  return Array.from(text, (c) => (c >= '!' && c <= '~' && c !== '@' && c !== '.' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
}

describe('canonical ids', () => {
  it('gives a UUID generated here, never the sub, even when the sub is itself a UUID', async () => {
    const sub = randomUUID();
    const viewer = await viewerOf(await sign(auth0, { sub }));
    expect(viewer.id).toMatch(UUID_V4);
    expect(viewer.id).not.toBe(sub);
    expect(viewer.identities).toEqual([{ provider: 'auth0', issuer: auth0.url, subject: sub }]);
    expect(await userIdOf(database.db, auth0.url, sub)).toBe(viewer.id);
  });

  it('treats (issuer, sub) as the identity: one sub on two issuers is two users', async () => {
    const sub = unique('shared');
    const a = await viewerOf(await sign(auth0, { sub }));
    const b = await viewerOf(await sign(never, { sub }));
    expect(a.id).not.toBe(b.id);
    expect(await countIdentities(database.db, auth0.url, sub)).toBe(1);
    expect(await countIdentities(database.db, never.url, sub)).toBe(1);
  });

  it('returns the same id on every later request of the identity', async () => {
    const sub = unique('auth0|again');
    const first = await viewerOf(await sign(auth0, { sub }));
    const second = await viewerOf(await sign(auth0, { sub }));
    expect(second.id).toBe(first.id);
  });
});

describe('the first request provisions, whatever it asks', () => {
  it('{ __typename }', async () => {
    const sub = unique('auth0|typename');
    const token = await sign(auth0, { sub });
    const response = await api.gql('{ __typename }', { token });
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({ __typename: 'Query' });
    const id = await userIdOf(database.db, auth0.url, sub);
    expect(id).toMatch(UUID_V4);
    expect((await viewerOf(token)).id).toBe(id);
  });

  it('ensureUser', async () => {
    const sub = unique('auth0|ensure');
    const token = await sign(auth0, { sub, email: uniqueEmail('ensure'), email_verified: true });
    const response = await api.gql('mutation { ensureUser { created user { id } } }', { token });
    expect(response.status).toBe(200);
    expect(response.body.data.ensureUser.created).toBe(true);
    expect(response.body.data.ensureUser.user.id).toBe(await userIdOf(database.db, auth0.url, sub));
    expect((await viewerOf(token)).id).toBe(response.body.data.ensureUser.user.id);
  });

  it('_entities', async () => {
    const sub = unique('auth0|entities');
    const token = await sign(auth0, { sub });
    const response = await api.gql('query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }', {
      token,
      variables: { r: [{ __typename: 'User', id: randomUUID() }] },
    });
    expect(response.status).toBe(200);
    expect(response.body.data._entities).toEqual([null]);
    const id = await userIdOf(database.db, auth0.url, sub);
    expect(id).toMatch(UUID_V4);
    expect((await viewerOf(token)).id).toBe(id);
  });
});

describe('emails', () => {
  it('are trimmed and lower-cased', async () => {
    const local = `Ada.Lovelace-${randomUUID().slice(0, 6)}`;
    const viewer = await viewerOf(await sign(auth0, { sub: unique('auth0|trim'), email: `  ${local}@Example.COM \t`, email_verified: true }));
    expect(viewer.email).toBe(`${local.toLowerCase()}@example.com`);
    expect(await usersWithEmail(database.db, `${local.toLowerCase()}@example.com`)).toHaveLength(1);
  });

  it('are compared without Unicode folding: fullwidth ａｄａ@ is not ada@', async () => {
    const ascii = uniqueEmail('ada');
    const wide = fullwidth(ascii);
    expect(wide).not.toBe(ascii);
    const holder = await viewerOf(await sign(auth0, { sub: unique('auth0|ascii'), email: ascii, email_verified: true }));
    const other = await viewerOf(await sign(namespaced, { sub: unique('auth0|wide'), email: wide, [`${NS}email_verified`]: true }));
    expect(other.id).not.toBe(holder.id);
    expect(other.email).toBe(wide);
    expect(holder.email).toBe(ascii);
    // Unverified, the lookalike of a verified address is not "the same email": no EMAIL_NOT_VERIFIED.
    const ascii2 = uniqueEmail('ada');
    const holder2 = await viewerOf(await sign(auth0, { sub: unique('auth0|ascii2'), email: ascii2, email_verified: true }));
    const unverified = await api.gql(VIEWER, { token: await sign(auth0, { sub: unique('auth0|wide2'), email: fullwidth(ascii2.toUpperCase()), email_verified: false }) });
    expect(unverified.status).toBe(200);
    expect(unverified.body.data.viewer.id).not.toBe(holder2.id);
    // Only A-Z are lower-cased: fullwidth capitals stay as written.
    expect(unverified.body.data.viewer.email).toBe(fullwidth(ascii2.toUpperCase()));
  });

  it('lower-case A-Z only: the Kelvin sign (U+212A) is not k, two verified tokens are two users', async () => {
    const tag = randomUUID().slice(0, 8);
    const kate = `kate-${tag}@example.com`;
    const kelvin = `\u212Aate-${tag}@example.com`;
    // toLowerCase() would turn the Kelvin sign into k, making the two addresses one.
    expect(kelvin.toLowerCase()).toBe(kate);
    const plain = await viewerOf(await sign(auth0, { sub: unique('auth0|kate'), email: `KATE-${tag}@Example.com`, email_verified: true }));
    const kelvinUser = await viewerOf(await sign(auth0, { sub: unique('auth0|kelvin'), email: kelvin, email_verified: true }));
    expect(plain.email).toBe(kate);
    expect(kelvinUser.email).toBe(kelvin);
    expect(kelvinUser.id).not.toBe(plain.id);
    expect(await usersWithEmail(database.db, kate)).toHaveLength(1);
    expect(await usersWithEmail(database.db, kelvin)).toHaveLength(1);
    // Either order: the Kelvin address signing in first does not capture kate@ either.
    const kelvinFirst = `\u212Aim-${tag}@example.com`;
    const first = await viewerOf(await sign(auth0, { sub: unique('auth0|kelvin2'), email: kelvinFirst, email_verified: true }));
    const second = await viewerOf(await sign(auth0, { sub: unique('auth0|kim'), email: `kim-${tag}@example.com`, email_verified: true }));
    expect(second.id).not.toBe(first.id);
    expect(second.email).toBe(`kim-${tag}@example.com`);
  });
});

describe('an identity, once bound, stays bound', () => {
  it("keeps resolving to its user when the token's email becomes another user's verified email, without taking it", async () => {
    const mine = uniqueEmail('mine');
    const theirs = uniqueEmail('theirs');
    const sub = unique('auth0|moved');
    const me = await viewerOf(await sign(auth0, { sub, email: mine, email_verified: true }));
    const them = await viewerOf(await sign(namespaced, { sub: unique('auth0|holder'), [`${NS}email`]: theirs, [`${NS}email_verified`]: true }));
    const later = await viewerOf(await sign(auth0, { sub, email: theirs, email_verified: true, name: 'Changed' }));
    expect(later.id).toBe(me.id);
    expect(later.email).toBe(mine);
    expect(later.identities).toHaveLength(1);
    const holders = await usersWithEmail(database.db, theirs);
    expect(holders).toEqual([{ id: them.id, email_verified: true }]);
    expect(await userIdOf(database.db, auth0.url, sub)).toBe(me.id);
  });

  it('keeps name and email in sync on later logins when the new email is free', async () => {
    const sub = unique('auth0|sync');
    const first = await viewerOf(await sign(auth0, { sub, email: uniqueEmail('old'), email_verified: true, name: 'Ada' }));
    const next = uniqueEmail('new');
    const later = await viewerOf(await sign(auth0, { sub, email: next.toUpperCase(), email_verified: true, name: 'Ada Lovelace' }));
    expect(later).toMatchObject({ id: first.id, email: next, emailVerified: true, name: 'Ada Lovelace' });
    // And back: a second change is also picked up (no stale profile cache).
    const again = await viewerOf(await sign(auth0, { sub, email: next, email_verified: true, name: 'Countess' }));
    expect(again.name).toBe('Countess');
  });
});

describe('a new identity joins an existing user by email only when both are verified', () => {
  it('both verified: the new identity joins the same user', async () => {
    const email = uniqueEmail('join');
    const holder = await viewerOf(await sign(auth0, { sub: unique('auth0|first'), email, email_verified: true }));
    const joined = await viewerOf(await sign(namespaced, { sub: unique('auth0|second'), [`${NS}email`]: email, [`${NS}email_verified`]: true }));
    expect(joined.id).toBe(holder.id);
    expect(joined.identities.map((i: { provider: string }) => i.provider).sort()).toEqual(['auth0', 'auth0-ns']);
    expect(await usersWithEmail(database.db, email)).toHaveLength(1);
  });

  it('token unverified, holder verified: 403 EMAIL_NOT_VERIFIED and nothing bound', async () => {
    const email = uniqueEmail('refuse');
    await viewerOf(await sign(auth0, { sub: unique('auth0|holder'), email, email_verified: true }));
    const sub = unique('auth0|intruder');
    const before = await countUsers(database.db);
    for (const verifiedClaim of [false, undefined, 'true']) {
      const token = await sign(auth0, { sub, email: email.toUpperCase(), email_verified: verifiedClaim });
      const response = await api.gql(VIEWER, { token });
      expect(response.status).toBe(403);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('EMAIL_NOT_VERIFIED');
      expect(response.body.data ?? null).toBeNull();
      expectNoLeak(JSON.stringify(response.body), [token, email]);
    }
    expect(await countIdentities(database.db, auth0.url, sub)).toBe(0);
    expect(await countUsers(database.db)).toBe(before);
  });

  it('token verified, holder unverified: a new user', async () => {
    const email = uniqueEmail('unverified-holder');
    const holder = await viewerOf(await sign(auth0, { sub: unique('auth0|weak'), email, email_verified: false }));
    expect(holder.emailVerified).toBe(false);
    const fresh = await viewerOf(await sign(namespaced, { sub: unique('auth0|strong'), [`${NS}email`]: email, [`${NS}email_verified`]: true }));
    expect(fresh.id).not.toBe(holder.id);
    expect(fresh).toMatchObject({ email, emailVerified: true });
    const holderAgain = await viewerOf(await sign(auth0, { sub: (holder.identities[0] as { subject: string }).subject, email, email_verified: false }));
    expect(holderAgain.id).toBe(holder.id);
  });

  it('neither verified: a new user', async () => {
    const email = uniqueEmail('neither');
    const a = await viewerOf(await sign(auth0, { sub: unique('auth0|n1'), email, email_verified: false }));
    const b = await viewerOf(await sign(auth0, { sub: unique('auth0|n2'), email, email_verified: false }));
    expect(b.id).not.toBe(a.id);
  });
});

describe('emailTrust and custom email claims', () => {
  it('always: an email without email_verified is verified and joins a verified holder', async () => {
    const email = uniqueEmail('always');
    const holder = await viewerOf(await sign(auth0, { sub: unique('auth0|h'), email, email_verified: true }));
    const viaWorkos = await viewerOf(await sign(workos, { sub: unique('user_'), email }));
    expect(viaWorkos.id).toBe(holder.id);
    const alone = await viewerOf(await sign(workos, { sub: unique('user_'), email: uniqueEmail('wos'), email_verified: false }));
    expect(alone.emailVerified).toBe(true);
  });

  it('never: email_verified true is ignored (new user unverified; verified holder → EMAIL_NOT_VERIFIED)', async () => {
    const alone = await viewerOf(await sign(never, { sub: unique('never'), email: uniqueEmail('never'), email_verified: true }));
    expect(alone.emailVerified).toBe(false);
    const email = uniqueEmail('never-holder');
    await viewerOf(await sign(auth0, { sub: unique('auth0|h'), email, email_verified: true }));
    const response = await api.gql(VIEWER, { token: await sign(never, { sub: unique('never'), email, email_verified: true }) });
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('claim: only a JSON true verifies', async () => {
    for (const claim of ['true', 1, null]) {
      const viewer = await viewerOf(await sign(auth0, { sub: unique('auth0|claim'), email: uniqueEmail('claim'), email_verified: claim }));
      expect(viewer.emailVerified, String(claim)).toBe(false);
    }
  });

  it('emailClaim and emailVerifiedClaim: the namespaced claims win over the standard ones', async () => {
    const custom = uniqueEmail('custom');
    const viewer = await viewerOf(
      await sign(namespaced, { sub: unique('auth0|ns'), [`${NS}email`]: ` ${custom.toUpperCase()} `, [`${NS}email_verified`]: true, email: uniqueEmail('standard'), email_verified: false }),
    );
    expect(viewer).toMatchObject({ email: custom, emailVerified: true });
    // The standard email_verified does not count for an issuer configured with a custom claim.
    const notVerified = await viewerOf(await sign(namespaced, { sub: unique('auth0|ns'), [`${NS}email`]: uniqueEmail('c2'), email_verified: true }));
    expect(notVerified.emailVerified).toBe(false);
    // Without the custom email claim, the standard `email` is read.
    const fallback = uniqueEmail('fallback');
    expect((await viewerOf(await sign(namespaced, { sub: unique('auth0|ns'), email: fallback }))).email).toBe(fallback);
  });
});

describe('races', () => {
  it('20 concurrent first requests for one identity create exactly one user', async () => {
    const sub = unique('auth0|race');
    const email = uniqueEmail('race');
    const before = await countUsers(database.db);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => sign(auth0, { sub, email, email_verified: true, jti: randomUUID() })));
    const responses = await Promise.all(tokens.map((token) => api.gql('{ viewer { id } }', { token })));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const ids = new Set(responses.map((r) => r.body.data.viewer.id));
    expect(ids.size).toBe(1);
    expect(await countIdentities(database.db, auth0.url, sub)).toBe(1);
    expect(await usersWithEmail(database.db, email)).toHaveLength(1);
    expect(await countUsers(database.db)).toBe(before + 1);
  });

  it('concurrent first sign-ins of two identities with one verified email create one user', async () => {
    const email = uniqueEmail('race2');
    const subA = unique('auth0|ra');
    const subB = unique('auth0|rb');
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? sign(auth0, { sub: subA, email, email_verified: true, jti: randomUUID() })
          : sign(namespaced, { sub: subB, [`${NS}email`]: email, [`${NS}email_verified`]: true, jti: randomUUID() }),
      ),
    );
    const responses = await Promise.all(tokens.map((token) => api.gql('{ viewer { id } }', { token })));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((r) => r.body.data.viewer.id)).size).toBe(1);
    expect(await usersWithEmail(database.db, email)).toHaveLength(1);
    expect(await userIdOf(database.db, auth0.url, subA)).toBe(await userIdOf(database.db, namespaced.url, subB));
  });

  it('concurrent ensureUser first requests answer created true exactly once', async () => {
    const sub = unique('auth0|ensure-race');
    const tokens = await Promise.all(Array.from({ length: 8 }, () => sign(auth0, { sub, jti: randomUUID() })));
    const responses = await Promise.all(tokens.map((token) => api.gql('mutation { ensureUser { created user { id } } }', { token })));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(responses.filter((r) => r.body.data.ensureUser.created === true)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.data.ensureUser.user.id)).size).toBe(1);
  });
});

describe('races between replicas sharing one database', () => {
  let replica: TestApp;
  let replicaDb: Database | null = null;
  beforeAll(async () => {
    // A second process's view: its own pool on PostgreSQL (its own PGlite handle is the same
    // single database), its own in-process caches. Only the database can settle races here.
    replicaDb = database.url === null ? null : createPostgresDatabase({ url: database.url, max: 10, connectTimeoutMs: 3000, queryTimeoutMs: 10_000 });
    replica = await startTestApp({
      production: true,
      database: replicaDb ?? database.db,
      issuers: [issuerConfig(auth0, { name: 'auth0', kind: 'auth0' }), issuerConfig(namespaced, { name: 'auth0-ns', kind: 'auth0', emailClaim: `${NS}email`, emailVerifiedClaim: `${NS}email_verified` })],
    });
  });
  afterAll(async () => {
    await replica?.close();
    await replicaDb?.close();
  });

  it('first requests for one identity spread over two replicas create one user', async () => {
    const sub = unique('auth0|replicas');
    const tokens = await Promise.all(Array.from({ length: 16 }, () => sign(auth0, { sub, email: uniqueEmail('rep'), email_verified: true, jti: randomUUID() })));
    const responses = await Promise.all(tokens.map((token, i) => (i % 2 === 0 ? api : replica).gql('{ viewer { id } }', { token })));
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(new Set(responses.map((r) => r.body.data.viewer.id)).size).toBe(1);
    expect(await countIdentities(database.db, auth0.url, sub)).toBe(1);
  });

  it('two identities with one verified email, one per replica, converge on one user', async () => {
    const email = uniqueEmail('rep-email');
    const [a, b] = await Promise.all([
      sign(auth0, { sub: unique('auth0|ra'), email, email_verified: true }),
      sign(namespaced, { sub: unique('auth0|rb'), [`${NS}email`]: email, [`${NS}email_verified`]: true }),
    ]);
    const [ra, rb] = await Promise.all([api.gql('{ viewer { id } }', { token: a }), replica.gql('{ viewer { id } }', { token: b })]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.body.data.viewer.id).toBe(rb.body.data.viewer.id);
    expect(await usersWithEmail(database.db, email)).toHaveLength(1);
  });
});

describe('workos tokens', () => {
  it("are accepted only for our client_id: another client's or none is a 401", async () => {
    const sub = unique('user_cid');
    for (const clientId of ['client_01SOMEONEELSE', undefined]) {
      const response = await api.gql(VIEWER, { token: await workos.sign({ sub, client_id: clientId }) });
      expect(response.status).toBe(401);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await countIdentities(database.db, workos.url, sub)).toBe(0);
  });
});

describe('machine (client-credentials) tokens', () => {
  const cases: [string, () => Promise<string>][] = [
    ['auth0 gty client-credentials, sub = azp@clients', () => {
      const client = unique('svc');
      return sign(auth0, { sub: `${client}@clients`, azp: client, gty: 'client-credentials', email: uniqueEmail('m1'), email_verified: true });
    }],
    ['workos sub equal to client_id', () => sign(workos, { sub: WORKOS_CLIENT, email: uniqueEmail('m3') })],
  ];
  for (const [name, token] of cases) {
    it(`${name}: viewer null, never provisioned`, async () => {
      const before = await countUsers(database.db);
      const t = await token();
      for (const query of [VIEWER, '{ __typename }', 'mutation { ensureUser(input: null) { created } }']) {
        const response = await api.gql(query, { token: t });
        expect(response.status).toBe(200);
        if (query === VIEWER) expect(response.body.data.viewer).toBeNull();
      }
      expect(await countUsers(database.db)).toBe(before);
      const identities = await database.db.query<{ n: string | number }>('select count(*) as n from identities where subject like $1', ['%@clients']);
      expect(Number(identities[0]!.n)).toBe(0);
    });
  }

  it('an auth0 user whose sub merely ends in @clients (or who carries gty) is a user, its scopes ignored', async () => {
    for (const claims of [{ sub: `${unique('abc')}@clients` }, { sub: `${unique('abc')}@clients`, gty: 'client-credentials' }]) {
      const t = await sign(auth0, { ...claims, scope: 'users:read users:write', email: uniqueEmail('m2'), email_verified: true });
      const response = await api.gql(VIEWER, { token: t });
      expect(response.status).toBe(200);
      expect(response.body.data.viewer.id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('impersonation (act claim)', () => {
  it('resolves to the impersonated user with viewer.impersonator, writing nothing', async () => {
    const sub = unique('user_imp');
    const email = uniqueEmail('imp');
    const user = await viewerOf(await sign(workos, { sub, email, name: 'Target' }));
    expect(user.impersonator).toBeNull();
    const before = await countUsers(database.db);
    const audits = await database.db.query<{ n: string | number }>('select count(*) as n from audit_events');
    const token = await sign(workos, { sub, email: uniqueEmail('other'), name: 'Someone Else', act: { sub: 'admin@x' } });
    const impersonated = await viewerOf(token);
    expect(impersonated).toMatchObject({ id: user.id, impersonator: 'admin@x', email, name: 'Target' });
    const ensured = await api.gql('mutation { ensureUser { created user { id impersonator } } }', { token });
    expect(ensured.body.data.ensureUser).toEqual({ created: false, user: { id: user.id, impersonator: 'admin@x' } });
    expect(await countUsers(database.db)).toBe(before);
    const auditsAfter = await database.db.query<{ n: string | number }>('select count(*) as n from audit_events');
    expect(Number(auditsAfter[0]!.n)).toBe(Number(audits[0]!.n));
    // The user's own next request is not marked impersonated.
    expect((await viewerOf(await sign(workos, { sub, email, name: 'Target' }))).impersonator).toBeNull();
  });

  it('refuses an unknown impersonated identity: 403 IMPERSONATION_TARGET_UNKNOWN, nothing provisioned', async () => {
    const before = await countUsers(database.db);
    const sub = unique('user_ghost');
    const response = await api.gql(VIEWER, { token: await sign(workos, { sub, email: uniqueEmail('ghost'), act: { sub: 'admin@x' } }) });
    expect(response.status).toBe(403);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('IMPERSONATION_TARGET_UNKNOWN');
    expect(response.body.data ?? null).toBeNull();
    expect(await countUsers(database.db)).toBe(before);
    expect(await countIdentities(database.db, workos.url, sub)).toBe(0);
  });
});

describe('userinfo fallback', () => {
  it('fetches the profile for a token without email, once per identity (cached)', async () => {
    const sub = unique('info');
    const email = uniqueEmail('info');
    info.setUserinfo(sub, { email: email.toUpperCase(), email_verified: true, name: 'From Userinfo' });
    const before = info.userinfoRequests;
    const token = await sign(info, { sub });
    const viewer = await viewerOf(token);
    expect(viewer).toMatchObject({ email, emailVerified: true, name: 'From Userinfo' });
    expect(info.userinfoRequests).toBe(before + 1);
    expect(info.lastUserinfoAuthorization).toBe(`Bearer ${token}`);
    // A new token for the same identity: the cached profile serves, no refetch.
    const again = await viewerOf(await sign(info, { sub, jti: randomUUID() }));
    expect(again.id).toBe(viewer.id);
    expect(info.userinfoRequests).toBe(before + 1);
  });

  it('never fetches it for a token that carries an email', async () => {
    const before = info.userinfoRequests;
    const email = uniqueEmail('carried');
    const viewer = await viewerOf(await sign(info, { sub: unique('info'), email, email_verified: true }));
    expect(viewer.email).toBe(email);
    expect(info.userinfoRequests).toBe(before);
  });

  it('answers 503 AUTH_PROVIDER_UNAVAILABLE when userinfo fails, provisioning nothing', async () => {
    const sub = unique('info-down');
    info.setUserinfoMode('down');
    try {
      const before = await countUsers(database.db);
      const response = await api.gql(VIEWER, { token: await sign(info, { sub }) });
      expect(response.status).toBe(503);
      expect(response.body.errors?.[0]?.extensions?.code).toBe('AUTH_PROVIDER_UNAVAILABLE');
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await countUsers(database.db)).toBe(before);
    } finally {
      info.setUserinfoMode('up');
    }
    info.setUserinfo(sub, { email: uniqueEmail('back'), email_verified: true });
    expect((await viewerOf(await sign(info, { sub, jti: randomUUID() }))).id).toMatch(UUID_V4);
  });
});
