// setOrganizationSso: services holding organizations:admin only; a configured issuer name;
// normalised, validated domains; a domain belongs to one organization (the primary key decides).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issuerConfig } from '../helpers/issuer.js';
import { errorCode, errorReason, setSso, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite({ issuers: (issuer) => [issuerConfig(issuer, { name: 'test' }), issuerConfig(issuer, { name: 'corp', issuer: `${issuer.url}corp/` })] });

const domain = () => `d${randomUUID().slice(0, 8)}.example.com`;

describe('setOrganizationSso', () => {
  it('binds with normalised domains and jitRole MEMBER by default, audited as sso.set', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const base = domain();
    const admin = await suite.serviceToken(['organizations:admin']);
    const result = await setSso(suite, admin, { organizationId: orgId, issuer: 'corp', externalOrganizationId: ' org_123 ', connection: 'bigcorp-saml', domains: [`  ${base.toUpperCase()}. `, base, `eu.${base}`] });
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.setOrganizationSso.sso).toEqual({ issuer: 'corp', externalOrganizationId: 'org_123', connection: 'bigcorp-saml', domains: [base, `eu.${base}`].sort(), jitRole: 'MEMBER' });
    const audit = await suite.database.db.query<{ actor_type: string; details: any }>("select actor_type, details from audit_events where organization_id = $1 and action = 'sso.set'", [orgId]);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_type).toBe('service');
    expect(audit[0]!.details.domains).toEqual([base, `eu.${base}`].sort());
  });

  it('refuses users, OWNERs included, and services without organizations:admin', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const input = { organizationId: orgId, issuer: 'test', domains: [domain()] };
    expect(errorCode(await setSso(suite, owner.token, input))).toBe('FORBIDDEN');
    expect(errorCode(await setSso(suite, await suite.serviceToken(['organizations:read', 'users:write']), input))).toBe('FORBIDDEN');
    expect(errorCode(await setSso(suite, undefined as unknown as string, input))).toBe('UNAUTHENTICATED');
    expect(await suite.database.db.query('select 1 from organization_sso where organization_id = $1', [orgId])).toHaveLength(0);
  });

  it('refuses an issuer that is not a configured issuer name', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const result = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, issuer: suite.issuer.url, domains: [domain()] });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(errorReason(result)).toBe('unknown_issuer');
  });

  it('refuses malformed domains', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const admin = await suite.serviceToken(['organizations:admin']);
    for (const bad of ['', 'localhost', 'has space.com', '@bigcorp.com', 'bigcorp..com', '-x.com', 'a.123', 'user@bigcorp.com']) {
      const result = await setSso(suite, admin, { organizationId: orgId, issuer: 'test', domains: [bad] });
      expect(errorCode(result), bad).toBe('BAD_USER_INPUT');
    }
  });

  it('answers NOT_FOUND for an unknown organization', async () => {
    const result = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: randomUUID(), issuer: 'test', domains: [domain()] });
    expect(errorCode(result)).toBe('NOT_FOUND');
  });

  it('refuses a domain bound to another organization (CONFLICT, domain_taken), changing nothing', async () => {
    const owner = await suite.signIn();
    const first = await suite.createOrg(owner);
    const second = await suite.createOrg(owner);
    const admin = await suite.serviceToken(['organizations:admin']);
    const taken = domain();
    const own = domain();
    expect((await setSso(suite, admin, { organizationId: first, issuer: 'test', domains: [taken] })).body.errors).toBeUndefined();
    expect((await setSso(suite, admin, { organizationId: second, issuer: 'test', domains: [own] })).body.errors).toBeUndefined();
    const result = await setSso(suite, admin, { organizationId: second, issuer: 'corp', domains: [own, taken.toUpperCase()] });
    expect(errorCode(result)).toBe('CONFLICT');
    expect(errorReason(result)).toBe('domain_taken');
    const rows = await suite.database.db.query<{ domain: string; organization_id: string }>(
      'select domain, organization_id from organization_domains where domain = any($1::text[]) order by domain',
      [[taken, own]],
    );
    expect(rows).toEqual([{ domain: taken, organization_id: first }, { domain: own, organization_id: second }].sort((a, b) => a.domain.localeCompare(b.domain)));
    const sso = await suite.database.db.query<{ issuer_name: string }>('select issuer_name from organization_sso where organization_id = $1', [second]);
    expect(sso).toEqual([{ issuer_name: 'test' }]);
  });

  it('lets two services racing for one domain bind it to exactly one organization', async () => {
    const owner = await suite.signIn();
    const orgs = await Promise.all([suite.createOrg(owner), suite.createOrg(owner), suite.createOrg(owner), suite.createOrg(owner)]);
    const admin = await suite.serviceToken(['organizations:admin']);
    const contested = domain();
    const results = await Promise.all(orgs.map((organizationId) => setSso(suite, admin, { organizationId, issuer: 'test', domains: [contested] })));
    expect(results.filter((r) => r.body.errors === undefined)).toHaveLength(1);
    expect(results.filter((r) => errorReason(r) === 'domain_taken')).toHaveLength(orgs.length - 1);
    expect(await suite.database.db.query('select 1 from organization_domains where domain = $1', [contested])).toHaveLength(1);
  });

  it('refuses an external organization bound to another organization', async () => {
    const owner = await suite.signIn();
    const first = await suite.createOrg(owner);
    const second = await suite.createOrg(owner);
    const admin = await suite.serviceToken(['organizations:admin']);
    const external = `org_${randomUUID()}`;
    expect((await setSso(suite, admin, { organizationId: first, issuer: 'test', externalOrganizationId: external, domains: [] })).body.errors).toBeUndefined();
    const result = await setSso(suite, admin, { organizationId: second, issuer: 'test', externalOrganizationId: external, domains: [] });
    expect(errorCode(result)).toBe('CONFLICT');
    expect(errorReason(result)).toBe('external_organization_taken');
  });

  it('re-binding the same organization replaces its binding and its domain set', async () => {
    const owner = await suite.signIn();
    const orgId = await suite.createOrg(owner);
    const admin = await suite.serviceToken(['organizations:admin']);
    const [a, b, c] = [domain(), domain(), domain()];
    await setSso(suite, admin, { organizationId: orgId, issuer: 'test', connection: 'one', domains: [a, b], jitRole: 'ADMIN' });
    const result = await setSso(suite, admin, { organizationId: orgId, issuer: 'corp', domains: [b, c] });
    expect(result.body.data.setOrganizationSso.sso).toEqual({ issuer: 'corp', externalOrganizationId: null, connection: null, domains: [b, c].sort(), jitRole: 'MEMBER' });
    const discovery = await suite.gql('query ($e: String!) { authDiscovery(email: $e) { method } }', { variables: { e: `x@${a}` } });
    expect(discovery.body.data.authDiscovery.method).toBe('PASSWORDLESS');
  });

  it('shows Organization.sso to OWNER and ADMIN, not to a MEMBER', async () => {
    const { orgId, owner, admin, member } = await suite.staffedOrg();
    await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, issuer: 'test', domains: [domain()], jitRole: 'ADMIN' });
    const query = 'query ($id: ID!) { organization(id: $id) { sso { issuer jitRole } } }';
    for (const user of [owner, admin]) {
      const result = await suite.gql(query, { token: user.token, variables: { id: orgId } });
      expect(result.body.data.organization.sso).toEqual({ issuer: 'test', jitRole: 'ADMIN' });
    }
    const asMember = await suite.gql(query, { token: member.token, variables: { id: orgId } });
    expect(asMember.body.data.organization.sso).toBeNull();
  });
});
