// callers.md: POST /oauth/introspect accepts any credential /graphql accepts, API keys included.
// A personal key answers as its user (`iss` PLATFORM_ISSUER, no `idp`, the key's scope); an
// organization key answers `principal: "api_key"` with its organization; a revoked key is inactive.
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { createKey, revokeKey } from '../helpers/apiKeys.js';
import { AUDIENCE } from '../helpers/issuer.js';
import { PLATFORM_ISSUER, platformConfig } from '../helpers/platform.js';
import { useTestBed } from '../helpers/testBed.js';
import { expectNoEmptyMembers, introspect, serviceToken } from './client.js';

const bed = useTestBed();
let api: TestApp;
let caller: string;
let owner: { token: string; id: string };

beforeAll(async () => {
  await bed.database.db.query('delete from platform_keys');
  await bed.database.db.query('delete from platform_key_marker');
  api = await bed.start({ config: { platform: platformConfig(), apiKeyPeppers: [{ kid: 'p1', key: randomBytes(32) }] } });
  caller = await serviceToken(bed.issuer, 'tokens:introspect');
  const token = await bed.issuer.sign({ sub: `auth0|${randomUUID()}`, aud: AUDIENCE, email: `${randomUUID()}@example.com`, email_verified: true });
  owner = { token, id: (await api.gql('{ viewer { id } }', { token })).body.data.viewer.id };
});

describe('API keys at the introspection endpoint', () => {
  it('a personal key: its user, iss PLATFORM_ISSUER, no idp, the key scope; revoked: inactive', async () => {
    const key = await createKey(api.gql, owner.token, { scopes: ['user'] });
    const answer = await introspect(api.url, caller, key.secret);
    expect(answer).toMatchObject({ active: true, sub: owner.id, principal: 'user', iss: PLATFORM_ISSUER, scope: 'user' });
    expect(answer).not.toHaveProperty('idp');
    expect(answer).not.toHaveProperty('exp'); // the key does not expire
    expect(expectNoEmptyMembers(answer)).toEqual([]);
    expect((await revokeKey(api.gql, owner.token, key.id)).body.data.revokeApiKey).toBe(true);
    expect(await introspect(api.url, caller, key.secret)).toEqual({ active: false });
  });

  it('an organization key: principal api_key with its organization and scope, no user', async () => {
    const created = await api.gql('mutation { createOrganization(input: { name: "Keys Inc" }) { id } }', { token: owner.token });
    const organizationId = created.body.data.createOrganization.id as string;
    const key = await createKey(api.gql, owner.token, { organizationId, scopes: [`org:${organizationId}:write`] });
    const answer = await introspect(api.url, caller, key.secret);
    expect(answer).toMatchObject({ active: true, principal: 'api_key', organization_id: organizationId, iss: PLATFORM_ISSUER, scope: `org:${organizationId}:ADMIN` });
    expect(answer['sub']).not.toBe(owner.id);
    expect(answer).not.toHaveProperty('email');
  });

  it('a mistyped key is inactive', async () => {
    expect(await introspect(api.url, caller, `idk_${'a'.repeat(12)}_${'b'.repeat(38)}`)).toEqual({ active: false });
  });
});
