// The email and its verified flag come from one source. An Auth0 Action often fills a namespaced
// email claim from user-editable metadata; the standard email_verified speaks for the standard
// email only, so it must never let a namespaced address take over the account that owns it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIssuers } from '../../src/config/issuers.js';
import type { TestApp } from '../helpers/app.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';
import { useTestBed } from '../helpers/testBed.js';
import { AUDIENCE, unique, uniqueEmail } from '../helpers/battery.js';

const NS = 'https://example.com/';
const VIEWER = '{ viewer { id email emailVerified } }';

const bed = useTestBed();
let auth0: TestIssuer; // the victim's issuer (the bed's): standard claims
let editable: TestIssuer; // emailClaim configured, no emailVerifiedClaim
let paired: TestIssuer; // emailClaim with its own emailVerifiedClaim
let api: TestApp;

beforeAll(async () => {
  auth0 = bed.issuer;
  [editable, paired] = await Promise.all([startTestIssuer(), startTestIssuer()]);
  api = await bed.start({
    production: true,
    issuers: [
      issuerConfig(auth0, { name: 'auth0', kind: 'auth0' }),
      // Parsed as AUTH_ISSUERS entries, as the contract's own example configures them.
      ...parseIssuers(
        JSON.stringify([
          { name: 'editable', kind: 'auth0', issuer: editable.url, audience: AUDIENCE, jwksUri: editable.jwksUri, emailClaim: `${NS}email` },
          { ...{ name: 'paired', kind: 'auth0', issuer: paired.url, audience: AUDIENCE, jwksUri: paired.jwksUri }, emailClaim: `${NS}email`, emailVerifiedClaim: `${NS}email_verified` },
        ]),
        'AUTH_ISSUERS',
        {},
      ),
    ],
  });
});
afterAll(async () => {
  await Promise.all([editable, paired].map((issuer) => issuer?.close()));
});

async function viewer(issuer: TestIssuer, claims: Record<string, unknown>) {
  const response = await api.gql(VIEWER, { token: await issuer.sign({ aud: AUDIENCE, sub: unique('auth0|'), ...claims }) });
  return { status: response.status, code: response.body.errors?.[0]?.extensions?.code, viewer: response.body.data?.viewer };
}

describe('email sources', () => {
  it("a namespaced email with the standard email_verified cannot join the victim's verified account", async () => {
    const victimEmail = uniqueEmail('victim');
    const victim = await viewer(auth0, { email: victimEmail, email_verified: true });
    expect(victim.viewer).toMatchObject({ email: victimEmail, emailVerified: true });

    // The attacker's own (verified) email in the standard claims, the victim's in the editable one.
    const attack = await viewer(editable, { [`${NS}email`]: victimEmail, email: uniqueEmail('attacker'), email_verified: true });
    expect(attack.status).toBe(403);
    expect(attack.code).toBe('EMAIL_NOT_VERIFIED');
  });

  it('a namespaced email is unverified without its own flag, verified with it', async () => {
    const email = uniqueEmail('ns');
    expect((await viewer(editable, { [`${NS}email`]: email, email_verified: true })).viewer).toMatchObject({ email, emailVerified: false });
    const other = uniqueEmail('ns2');
    expect((await viewer(paired, { [`${NS}email`]: other, [`${NS}email_verified`]: true, email_verified: false })).viewer).toMatchObject({
      email: other,
      emailVerified: true,
    });
  });

  it('the standard email keeps the standard flag', async () => {
    const email = uniqueEmail('std');
    expect((await viewer(editable, { email, email_verified: true })).viewer).toMatchObject({ email, emailVerified: true });
    const other = uniqueEmail('std2');
    expect((await viewer(paired, { email: other, [`${NS}email_verified`]: true })).viewer).toMatchObject({ email: other, emailVerified: false });
  });
});
