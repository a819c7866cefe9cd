// Issuer-controlled oddities in a correctly signed token answer 401, never a 500: a NUL
// (PostgreSQL's text refuses it) in `sub`, `org_id`, `sid`, `name` (or the parts it is built
// from), `act.sub` or the userinfo profile's name, and identifiers over 255 bytes. On PGlite and
// PostgreSQL (TEST_DATABASE_URL).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issuerConfig } from '../helpers/issuer.js';
import { AUDIENCE, useHardeningSuite } from '../helpers/hardening.js';

const suite = useHardeningSuite({ issuer: (issuer) => issuerConfig(issuer, { userinfoUrl: issuer.userinfoUrl }) });

const sign = (claims: Record<string, unknown>) => suite.userToken(claims);

async function viewer(token: string) {
  return suite.api.gql('{ viewer { id name } }', { token });
}

describe('claims the database cannot hold', () => {
  const refused: Record<string, Record<string, unknown>> = {
    'a NUL in sub': { sub: `user-${randomUUID()}\u0000x` },
    'a sub of 4 KB': { sub: `user-${'x'.repeat(4096)}` },
    'a sub of 256 bytes (multibyte)': { sub: 'é'.repeat(128) },
    'a NUL in org_id': { org_id: 'org_\u0000abc' },
    'an org_id of 4 KB': { org_id: `org_${'x'.repeat(4096)}` },
    'a NUL in name': { name: 'Ada\u0000Lovelace' },
    'a NUL in given_name': { given_name: 'Ada\u0000', family_name: 'Lovelace' },
    'a NUL in act.sub': { act: { sub: 'admin\u0000' } },
    'a NUL in sid': { sid: 'session\u0000x' },
    'a sid of 256 bytes (multibyte)': { sid: 'é'.repeat(128) },
    'a sid of 4 KB': { sid: `s-${'x'.repeat(4096)}` },
    'a NUL in a machine token sub': { sub: 'client\u0000@clients', gty: 'client-credentials', email: undefined },
  };
  for (const [name, claims] of Object.entries(refused)) {
    it(`${name}: 401 UNAUTHENTICATED`, async () => {
      const result = await viewer(await sign(claims));
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    });
  }

  it('accepts a sub of exactly 255 bytes, and a name over the cap (trimmed, as before)', async () => {
    const sub = `u${'x'.repeat(254)}`;
    const result = await viewer(await sign({ sub, name: 'N'.repeat(1000) }));
    expect(result.status).toBe(200);
    expect(result.body.data.viewer.name).toHaveLength(256);
    const [row] = await suite.database.db.query<{ subject: string }>('select subject from identities where subject = $1', [sub]);
    expect(row?.subject).toBe(sub);
  });

  it("refuses a NUL in the userinfo profile's name: 401", async () => {
    const sub = `user-${randomUUID()}`;
    suite.issuer.setUserinfo(sub, { email: `${randomUUID()}@example.com`, email_verified: true, name: 'Bad\u0000Name' });
    const result = await viewer(await suite.issuer.sign({ aud: AUDIENCE, sub }));
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('leaves no row behind for a refused token', async () => {
    const sub = `user-${randomUUID()}`;
    await viewer(await sign({ sub, org_id: 'org_\u0000' }));
    const rows = await suite.database.db.query('select 1 from identities where subject = $1', [sub]);
    expect(rows).toHaveLength(0);
  });
});
