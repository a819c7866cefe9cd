// Emails and domains are trimmed and lower-cased A-Z only (interface.md, identity rules): the
// Kelvin sign (U+212A), which toLowerCase() and PostgreSQL's lower() under C.UTF-8 turn into
// `k`, stays itself on every path that stores or compares an address: sign-in, userByEmail,
// users(query), invitations, addMember by email, SSO domains and authDiscovery, import.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { asciiLowerCase, isValidDomain, normalizeDomain, normalizeEmail } from '../../src/domain/email.js';
import { runImport } from '../../src/import/run.js';
import { acceptInvitation, addMember, errorCode, errorReason, setSso, useOrgSuite } from '../helpers/organizations.js';

const KELVIN = '\u212A';
const suite = useOrgSuite();
const admin = (scopes = ['users:admin', 'organizations:admin']) => suite.serviceToken(scopes);

/** kate-TAG@example.com and its Kelvin-sign twin, each signed in with a verified token. */
async function twins() {
  const tag = randomUUID().slice(0, 8);
  const kate = await suite.signIn({ email: `kate-${tag}@example.com` });
  const kelvin = await suite.signIn({ email: `${KELVIN}ate-${tag}@example.com` });
  expect(kelvin.id).not.toBe(kate.id);
  return { tag, kate, kelvin };
}

describe('normalisation (pure)', () => {
  it('lower-cases A-Z and nothing else', () => {
    expect(normalizeEmail(`  ${KELVIN}ate@Example.COM \t`)).toBe(`${KELVIN}ate@example.com`);
    expect(normalizeEmail('ＡＤＡ@Example.com')).toBe('ＡＤＡ@example.com');
    expect(asciiLowerCase('ÀÉİΣẞ ABC xyz')).toBe('ÀÉİΣẞ abc xyz');
    expect(normalizeEmail('   ')).toBeNull();
    expect(normalizeDomain(` Exa${KELVIN}ple.COM. `)).toBe(`exa${KELVIN}ple.com`);
    expect(isValidDomain(normalizeDomain(`Exa${KELVIN}ple.COM`))).toBe(false);
    expect(normalizeDomain(' BigCorp.COM. ')).toBe('bigcorp.com');
  });
});

describe('the Kelvin sign across every path', () => {
  it('userByEmail finds each address only', async () => {
    const { tag, kate, kelvin } = await twins();
    const lookup = await suite.gql('query ($a: String!, $b: String!) { a: userByEmail(email: $a) { id email } b: userByEmail(email: $b) { id email } }', {
      token: await admin(['users:read']),
      variables: { a: ` KATE-${tag}@EXAMPLE.com`, b: `${KELVIN}ATE-${tag}@example.com` },
    });
    expect(lookup.body.errors).toBeUndefined();
    expect(lookup.body.data.a).toEqual({ id: kate.id, email: kate.email });
    expect(lookup.body.data.b).toEqual({ id: kelvin.id, email: kelvin.email });
  });

  it('users(query) matches A-Z case-insensitively, never the Kelvin sign as k (emails and names)', async () => {
    const { tag, kate, kelvin } = await twins();
    const search = async (query: string) => {
      const result = await suite.gql('query ($q: String!) { users(first: 100, query: $q) { edges { node { id } } } }', { token: await admin(), variables: { q: query } });
      expect(result.body.errors).toBeUndefined();
      return result.body.data.users.edges.map((edge: { node: { id: string } }) => edge.node.id).sort();
    };
    expect(await search(`KATE-${tag}`)).toEqual([kate.id]);
    expect(await search(`${KELVIN}ate-${tag}`)).toEqual([kelvin.id]);
    const named = await suite.signIn({ name: `${KELVIN}arl ${tag}` });
    const plain = await suite.signIn({ name: `Karl ${tag}` });
    expect(await search(`karl ${tag}`)).toEqual([plain.id]);
    expect(await search(`${KELVIN}ARL ${tag}`)).toEqual([named.id]);
  });

  it('an invitation to the Kelvin address is not kate@’s to see or accept', async () => {
    const { kate, kelvin } = await twins();
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const invitationId = await suite.invite(owner, orgId, kelvin.email.toUpperCase(), 'MEMBER');
    const seen = async (token: string) => (await suite.gql('{ viewer { invitations { id } } }', { token })).body.data.viewer.invitations.map((i: { id: string }) => i.id);
    expect(await seen(kate.token)).toEqual([]);
    expect(await seen(kelvin.token)).toEqual([invitationId]);
    const refused = await acceptInvitation(suite, kate.token, invitationId);
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorReason(refused)).toBe('not_invitee');
    const accepted = await acceptInvitation(suite, kelvin.token, invitationId);
    expect(accepted.body.errors).toBeUndefined();
    expect(accepted.body.data.acceptInvitation.user.id).toBe(kelvin.id);
  });

  it('addMember by the Kelvin address adds (or creates) its own user, not kate@', async () => {
    const { tag, kate } = await twins();
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const fresh = `${KELVIN}ay-${tag}@example.com`;
    await suite.signIn({ email: `kay-${tag}@example.com` });
    const added = await addMember(suite, await admin(), { organizationId: orgId, email: fresh, role: 'MEMBER' });
    expect(added.body.errors).toBeUndefined();
    const rows = await suite.database.db.query<{ email: string }>('select email from users where id = $1', [added.body.data.addMember.user.id]);
    expect(rows).toEqual([{ email: fresh }]);
    const twin = await addMember(suite, await admin(), { organizationId: orgId, email: `${KELVIN}ate-${tag}@example.com`, role: 'MEMBER' });
    expect(twin.body.errors).toBeUndefined();
    expect(twin.body.data.addMember.user.id).not.toBe(kate.id);
  });

  it('an SSO domain with the Kelvin sign is refused; discovery never folds it into a bound domain', async () => {
    const tag = randomUUID().slice(0, 8);
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const token = await admin();
    const refused = await setSso(suite, token, { organizationId: orgId, issuer: 'test', domains: [`${KELVIN}elvin-${tag}.example`] });
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(errorReason(refused)).toBe('invalid_domain');
    const bound = await setSso(suite, token, { organizationId: orgId, issuer: 'test', domains: [`KELVIN-${tag}.example`] });
    expect(bound.body.errors).toBeUndefined();
    expect(bound.body.data.setOrganizationSso.sso.domains).toEqual([`kelvin-${tag}.example`]);
    const discover = async (email: string) =>
      (await suite.gql('query ($e: String!) { authDiscovery(email: $e) { method organizationId } }', { variables: { e: email } })).body.data.authDiscovery;
    expect(await discover(`ada@Kelvin-${tag}.EXAMPLE`)).toEqual({ method: 'SSO', organizationId: orgId });
    expect(await discover(`ada@${KELVIN}elvin-${tag}.example`)).toEqual({ method: 'PASSWORDLESS', organizationId: null });
  });

  it('an imported Kelvin address is its own user, never joined to kate@', async () => {
    const { tag, kate } = await twins();
    const summary = await runImport({
      db: suite.database.db,
      input: Readable.from([Buffer.from(JSON.stringify({ email: `${KELVIN}ATE-${tag}@example.com`, emailVerified: true, name: 'Imported' }))]),
      issuers: new Map([['test', suite.issuer.url]]),
    });
    // The signed-in Kelvin user holds it already (verified): the line completes that user's name.
    expect(summary).toMatchObject({ created: 0, updated: 1, skipped: {} });
    const holders = await suite.database.db.query<{ id: string; name: string | null }>('select id, name from users where email = $1', [`${KELVIN}ate-${tag}@example.com`]);
    expect(holders).toHaveLength(1);
    expect(holders[0]!.id).not.toBe(kate.id);
    const other = await runImport({
      db: suite.database.db,
      input: Readable.from([Buffer.from(JSON.stringify({ email: `${KELVIN}IM-${tag}@example.com`, emailVerified: true }))]),
      issuers: new Map([['test', suite.issuer.url]]),
    });
    expect(other).toMatchObject({ created: 1, updated: 0 });
    await suite.signIn({ email: `kim-${tag}@example.com` });
    expect(await suite.database.db.query('select 1 from users where email = $1', [`${KELVIN}im-${tag}@example.com`])).toHaveLength(1);
    expect(await suite.database.db.query('select 1 from users where email = $1', [`kim-${tag}@example.com`])).toHaveLength(1);
  });
});
