// emailTrust "ssoDomain" (callers.md): Auth0's Azure AD and ADFS connections send
// `email_verified: false` for addresses the enterprise vouches for. On such an issuer a token's
// email counts as verified when its org_id is bound (SSO) on this issuer AND the email's domain is
// one of that binding's domains; any other email follows `claim`. End to end, on the suite's
// database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIENCE, errorCode, setSso, useOrgSuite, type SignedInUser } from '../helpers/organizations.js';

let other: TestIssuer;
beforeAll(async () => {
  other = await startTestIssuer();
});
afterAll(async () => {
  await other?.close();
});

// `test`: the enterprise connection (ssoDomain), which also serves /userinfo; `other`: a second
// ssoDomain issuer whose tokens may carry the same org_id; `plain`: the same IdP under `claim`.
const statements: string[] = [];
const suite = useOrgSuite({
  onQuery: (text) => void statements.push(text),
  issuers: (issuer) => [
    issuerConfig(issuer, { name: 'test', emailTrust: 'ssoDomain', userinfoUrl: issuer.userinfoUrl }),
    issuerConfig(other, { name: 'other', emailTrust: 'ssoDomain' }),
  ],
});

const VIEWER = '{ viewer { id email emailVerified } }';
const domain = (): string => `corp-${randomBytes(4).toString('hex')}.example`;

/** An organization bound on `issuer` to a fresh external organization, with these domains. */
async function bound(domains: string[], issuer = 'test') {
  const owner = await suite.signIn();
  const organizationId = await suite.createOrg(owner);
  const external = `org_${randomUUID()}`;
  const result = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId, issuer, externalOrganizationId: external, domains });
  expect(result.body.errors).toBeUndefined();
  return { organizationId, external };
}

/** A user holding `email` verified (signed in through another connection that verified it). */
function verifiedHolder(email: string): Promise<SignedInUser> {
  return suite.signIn({ email, email_verified: true });
}

/** An Azure AD token: a new subject, the email unverified by its claim. */
function azureToken(claims: Record<string, unknown>, issuer: TestIssuer = suite.issuer): Promise<string> {
  return issuer.sign({ sub: `waad|${randomUUID()}`, aud: AUDIENCE, email_verified: false, ...claims });
}

describe('emailTrust ssoDomain: the Azure AD case end to end', () => {
  it('org bound and domain bound: the email is verified, and joins the user holding it verified', async () => {
    const corp = domain();
    const { external } = await bound([corp]);
    const holder = await verifiedHolder(`ada@${corp}`);
    const viewer = await suite.gql(VIEWER, { token: await azureToken({ email: `Ada@${corp.toUpperCase()}`, org_id: external }) });
    expect(viewer.body.errors).toBeUndefined();
    expect(viewer.body.data.viewer).toEqual({ id: holder.id, email: `ada@${corp}`, emailVerified: true });
  });

  it('org bound and domain bound, nobody holds the email: a new user whose email is verified', async () => {
    const corp = domain();
    const { external } = await bound([corp]);
    const viewer = await suite.gql(VIEWER, { token: await azureToken({ email: `grace@${corp}`, org_id: external }) });
    expect(viewer.body.data.viewer).toMatchObject({ email: `grace@${corp}`, emailVerified: true });
  });

  it('domain not bound to that organization: claim rules (403 EMAIL_NOT_VERIFIED against a verified holder)', async () => {
    const corp = domain();
    const elsewhere = domain();
    const { external } = await bound([corp]);
    await verifiedHolder(`bob@${elsewhere}`);
    const refused = await suite.gql(VIEWER, { token: await azureToken({ email: `bob@${elsewhere}`, org_id: external }) });
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('EMAIL_NOT_VERIFIED');
    // Nobody holding it: a new user, its email unverified.
    const fresh = await suite.gql(VIEWER, { token: await azureToken({ email: `carol@${elsewhere}`, org_id: external }) });
    expect(fresh.body.data.viewer).toMatchObject({ email: `carol@${elsewhere}`, emailVerified: false });
  });

  it("a domain bound to ANOTHER organization does not count for this token's organization", async () => {
    const theirs = domain();
    await bound([theirs]);
    const { external: mine } = await bound([domain()]);
    await verifiedHolder(`dan@${theirs}`);
    const refused = await suite.gql(VIEWER, { token: await azureToken({ email: `dan@${theirs}`, org_id: mine }) });
    expect(errorCode(refused)).toBe('EMAIL_NOT_VERIFIED');
  });

  it('a subdomain is not its bound parent', async () => {
    const corp = domain();
    const { external } = await bound([corp]);
    await verifiedHolder(`eve@mail.${corp}`);
    expect(errorCode(await suite.gql(VIEWER, { token: await azureToken({ email: `eve@mail.${corp}`, org_id: external }) }))).toBe('EMAIL_NOT_VERIFIED');
  });

  it('no org_id, or an org_id bound to nothing: claim rules', async () => {
    const corp = domain();
    await bound([corp]);
    await verifiedHolder(`fay@${corp}`);
    expect(errorCode(await suite.gql(VIEWER, { token: await azureToken({ email: `fay@${corp}` }) }))).toBe('EMAIL_NOT_VERIFIED');
    expect(errorCode(await suite.gql(VIEWER, { token: await azureToken({ email: `fay@${corp}`, org_id: `org_${randomUUID()}` }) }))).toBe('EMAIL_NOT_VERIFIED');
  });

  it('the org_id bound on another issuer does not count (same org_id, same domain, other iss)', async () => {
    const corp = domain();
    const { external } = await bound([corp], 'test');
    await verifiedHolder(`gus@${corp}`);
    const refused = await suite.gql(VIEWER, { token: await azureToken({ email: `gus@${corp}`, org_id: external }, other) });
    expect(errorCode(refused)).toBe('EMAIL_NOT_VERIFIED');
  });

  it('email_verified: true still verifies on its own (claim rules), bound or not', async () => {
    const elsewhere = domain();
    const holder = await verifiedHolder(`hal@${elsewhere}`);
    const viewer = await suite.gql(VIEWER, { token: await azureToken({ email: `hal@${elsewhere}`, email_verified: true, org_id: `org_${randomUUID()}` }) });
    expect(viewer.body.data.viewer.id).toBe(holder.id);
  });

  it('an email from the userinfo profile is settled as one in the token', async () => {
    const corp = domain();
    const { external } = await bound([corp]);
    const holder = await verifiedHolder(`ivy@${corp}`);
    const sub = `waad|${randomUUID()}`;
    suite.issuer.setUserinfo(sub, { sub, email: `ivy@${corp}`, email_verified: false });
    const viewer = await suite.gql(VIEWER, { token: await suite.issuer.sign({ sub, aud: AUDIENCE, org_id: external }) });
    expect(viewer.body.errors).toBeUndefined();
    expect(viewer.body.data.viewer.id).toBe(holder.id);
    // And with the domain unbound: claim rules.
    const sub2 = `waad|${randomUUID()}`;
    const elsewhere = domain();
    await verifiedHolder(`jay@${elsewhere}`);
    suite.issuer.setUserinfo(sub2, { sub: sub2, email: `jay@${elsewhere}`, email_verified: false });
    expect(errorCode(await suite.gql(VIEWER, { token: await suite.issuer.sign({ sub: sub2, aud: AUDIENCE, org_id: external }) }))).toBe('EMAIL_NOT_VERIFIED');
  });

  it('a binding changed takes effect at once: a domain removed no longer vouches, one added does', async () => {
    const corp = domain();
    const { organizationId, external } = await bound([corp]);
    const admin = await suite.serviceToken(['organizations:admin']);
    // Warm the bindings with a first settlement.
    const first = await suite.gql(VIEWER, { token: await azureToken({ email: `kim@${corp}`, org_id: external }) });
    expect(first.body.data.viewer.emailVerified).toBe(true);
    expect((await setSso(suite, admin, { organizationId, issuer: 'test', externalOrganizationId: external, domains: [] })).body.errors).toBeUndefined();
    await verifiedHolder(`lee@${corp}`);
    expect(errorCode(await suite.gql(VIEWER, { token: await azureToken({ email: `lee@${corp}`, org_id: external }) }))).toBe('EMAIL_NOT_VERIFIED');
    expect((await setSso(suite, admin, { organizationId, issuer: 'test', externalOrganizationId: external, domains: [corp] })).body.errors).toBeUndefined();
    const joined = await suite.gql(VIEWER, { token: await azureToken({ email: `lee@${corp}`, org_id: external }) });
    expect(joined.body.errors).toBeUndefined();
  });

  it('a warm token of an enterprise connection costs no statement (the bindings are in memory)', async () => {
    const corp = domain();
    const { external } = await bound([corp]);
    const token = await azureToken({ email: `max@${corp}`, org_id: external });
    const first = await suite.gql(VIEWER, { token });
    expect(first.body.data.viewer.emailVerified).toBe(true);
    // On PostgreSQL the user row is read once more after the first request's own commit is
    // announced back (the user store's cache, not the bindings): warm until a request costs nothing.
    await eventually(async () => {
      const before = statements.length;
      await suite.gql(VIEWER, { token });
      return statements.length === before;
    });
    const before = statements.length;
    for (let i = 0; i < 5; i += 1) expect((await suite.gql(VIEWER, { token })).body.data.viewer.id).toBe(first.body.data.viewer.id);
    expect(statements.slice(before)).toEqual([]);
  });

  it('only a service holding organizations:admin binds the domains that vouch (an OWNER cannot)', async () => {
    const owner = await suite.signIn();
    const organizationId = await suite.createOrg(owner);
    const refused = await setSso(suite, owner.token, { organizationId, issuer: 'test', externalOrganizationId: `org_${randomUUID()}`, domains: [domain()] });
    expect(errorCode(refused)).toBe('FORBIDDEN');
  });
});
