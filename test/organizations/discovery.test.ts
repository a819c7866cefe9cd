// authDiscovery: public; SSO with the binding's organization, issuer name and connection when
// the email's domain is bound, PASSWORDLESS otherwise; BAD_USER_INPUT for a malformed email.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCode, setSso, useOrgSuite } from '../helpers/organizations.js';

const suite = useOrgSuite();
const DISCOVER = 'query ($e: String!) { authDiscovery(email: $e) { method organizationId issuer connection } }';
const bound = `bigcorp-${randomUUID().slice(0, 8)}.example`;
let orgId: string;

beforeAll(async () => {
  const owner = await suite.signIn();
  orgId = await suite.createOrg(owner);
  const result = await setSso(suite, await suite.serviceToken(['organizations:admin']), { organizationId: orgId, issuer: 'test', connection: 'bigcorp-okta', domains: [bound] });
  expect(result.body.errors).toBeUndefined();
});

describe('authDiscovery', () => {
  it('answers SSO with organization, issuer name and connection for a bound domain, anonymously', async () => {
    const result = await suite.gql(DISCOVER, { variables: { e: `ada@${bound}` } });
    expect(result.status).toBe(200);
    expect(result.body.data.authDiscovery).toEqual({ method: 'SSO', organizationId: orgId, issuer: 'test', connection: 'bigcorp-okta' });
  });

  it('normalises the address (spaces, case, trailing dot) before looking the domain up', async () => {
    const result = await suite.gql(DISCOVER, { variables: { e: `  Ada.Lovelace@${bound.toUpperCase()}.  ` } });
    expect(result.body.data.authDiscovery.method).toBe('SSO');
  });

  it('answers PASSWORDLESS for an unbound domain, and for a subdomain of a bound one', async () => {
    for (const email of ['ada@elsewhere.example', `ada@eu.${bound}`]) {
      const result = await suite.gql(DISCOVER, { variables: { e: email } });
      expect(result.body.data.authDiscovery).toEqual({ method: 'PASSWORDLESS', organizationId: null, issuer: null, connection: null });
    }
  });

  it('answers BAD_USER_INPUT for a malformed email', async () => {
    for (const email of ['', 'no-at-sign', `@${bound}`, 'two@@signs.example']) {
      const result = await suite.gql(DISCOVER, { variables: { e: email } });
      expect(errorCode(result), email).toBe('BAD_USER_INPUT');
    }
  });

  it('does not fold full-width characters into a bound domain', async () => {
    const lookalike = `ada@${bound.replace('b', 'ｂ')}`;
    const result = await suite.gql(DISCOVER, { variables: { e: lookalike } });
    expect(result.body.data.authDiscovery.method).toBe('PASSWORDLESS');
  });
});
