// One WorkOS environment, several clients (callers.md): a `workos` entry's clientId may be a list,
// and the same WorkOS user (`sub`) is one identity whichever client signed them in; an `audience`
// (RFC 8707 resource indicator, as MCP clients registered dynamically receive) may pin the entry
// instead of, or beside, clientId. On the suite's database (PGlite, or PostgreSQL).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { refusal } from '../helpers/config.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

const DASHBOARD = 'client_dashboard';
const CLI = 'client_cli';
const MCP_RESOURCE = 'https://mcp.example.test/';
const VIEWER = '{ viewer { id email identities { provider subject } } }';

let listed: TestIssuer; // clientId: [dashboard, cli]
let mcp: TestIssuer; // audience alone
let both: TestIssuer; // clientId and audience
let database: TestDatabase;
let api: TestApp;

beforeAll(async () => {
  [listed, mcp, both] = await Promise.all([startTestIssuer(), startTestIssuer(), startTestIssuer()]);
  database = await openTestDatabase();
  // Parsed from the JSON an operator writes, as at start-up.
  const env = {
    AUTH_ISSUERS: JSON.stringify([
      { name: 'workos', kind: 'workos', issuer: listed.url, clientId: [DASHBOARD, CLI], jwksUri: listed.jwksUri, emailTrust: 'always' },
      { name: 'mcp', kind: 'workos', issuer: mcp.url, audience: MCP_RESOURCE, jwksUri: mcp.jwksUri, emailTrust: 'always' },
      { name: 'both', kind: 'workos', issuer: both.url, clientId: DASHBOARD, audience: [MCP_RESOURCE], jwksUri: both.jwksUri },
    ]),
  };
  const { issuers } = loadConfig(env);
  api = await startTestApp({ issuers, database: database.db });
});
afterAll(async () => {
  await api?.close();
  await database?.close();
  await Promise.all([listed, mcp, both].map((i) => i?.close()));
});

async function viewer(token: string) {
  const response = await api.gql(VIEWER, { token });
  return { status: response.status, viewer: response.body.data?.viewer, reason: response.body.errors?.[0]?.extensions?.['reason'] };
}

describe('a workos entry listing several clients', () => {
  it('a dashboard token and a CLI token of one WorkOS user resolve to one user, with one identity', async () => {
    const sub = `user_${randomUUID()}`;
    const email = `${randomUUID()}@example.com`;
    const dashboard = await viewer(await listed.sign({ sub, client_id: DASHBOARD, email }));
    const cli = await viewer(await listed.sign({ sub, client_id: CLI, email }));
    expect(dashboard.status).toBe(200);
    expect(cli.viewer.id).toBe(dashboard.viewer.id);
    expect(cli.viewer.identities).toEqual([{ provider: 'workos', subject: sub }]);
  });

  it("refuses a client not listed, and a token without client_id (401 client_id_mismatch)", async () => {
    expect(await viewer(await listed.sign({ sub: `user_${randomUUID()}`, client_id: 'client_other' }))).toMatchObject({ status: 401, reason: 'client_id_mismatch' });
    expect(await viewer(await listed.sign({ sub: `user_${randomUUID()}` }))).toMatchObject({ status: 401, reason: 'client_id_mismatch' });
  });

  it('a client-credentials token of any listed client is a service principal (viewer null)', async () => {
    const service = await viewer(await listed.sign({ sub: CLI, client_id: CLI, scope: 'users:read' }));
    expect(service).toMatchObject({ status: 200, viewer: null });
  });
});

describe('a workos entry pinned by audience alone (MCP clients registered dynamically)', () => {
  it('accepts a token whose aud contains the resource, with any client_id or none, as one identity', async () => {
    const sub = `user_${randomUUID()}`;
    const first = await viewer(await mcp.sign({ sub, aud: [MCP_RESOURCE, 'https://other.example/'], client_id: `client_${randomUUID()}` }));
    const second = await viewer(await mcp.sign({ sub, aud: MCP_RESOURCE }));
    expect(first.status).toBe(200);
    expect(second.viewer.id).toBe(first.viewer.id);
  });

  it('refuses a token without the resource in aud', async () => {
    expect((await viewer(await mcp.sign({ sub: `user_${randomUUID()}`, aud: 'https://elsewhere.example/' }))).status).toBe(401);
    expect((await viewer(await mcp.sign({ sub: `user_${randomUUID()}` }))).status).toBe(401);
  });

  it('has no service principals: sub equal to its client_id is refused (401), never a service', async () => {
    const client = `client_${randomUUID()}`;
    const refused = await viewer(await mcp.sign({ sub: client, client_id: client, aud: MCP_RESOURCE, scope: 'users:admin' }));
    expect(refused).toMatchObject({ status: 401, reason: 'service_principal_not_allowed' });
    // …and cannot use a service-only mutation either.
    const mutation = await api.gql('mutation { ensureUser(input: { email: "x@example.com" }) { created } }', {
      token: await mcp.sign({ sub: client, client_id: client, aud: MCP_RESOURCE, scope: 'users:write' }),
    });
    expect(mutation.status).toBe(401);
  });
});

describe('a workos entry pinned by both clientId and audience', () => {
  it('a token must match both', async () => {
    const sub = `user_${randomUUID()}`;
    expect((await viewer(await both.sign({ sub, client_id: DASHBOARD, aud: MCP_RESOURCE }))).status).toBe(200);
    expect(await viewer(await both.sign({ sub, client_id: CLI, aud: MCP_RESOURCE }))).toMatchObject({ status: 401, reason: 'client_id_mismatch' });
    expect((await viewer(await both.sign({ sub, client_id: DASHBOARD }))).status).toBe(401);
    expect((await viewer(await both.sign({ sub, client_id: DASHBOARD, aud: 'https://elsewhere.example/' }))).status).toBe(401);
  });
});

describe('workos entries refused at start-up', () => {
  const at = (entry: Record<string, unknown>) => refusal({ AUTH_ISSUERS: JSON.stringify([entry]) });
  const base = { name: 'w', kind: 'workos', issuer: 'https://auth.example.com' };

  it.each([
    ['neither clientId nor audience', base, 'AUTH_ISSUERS[0].clientId'],
    ['audience alone without jwksUri', { ...base, audience: MCP_RESOURCE }, 'AUTH_ISSUERS[0].jwksUri'],
    ['audience alone with serviceScopes', { ...base, audience: MCP_RESOURCE, jwksUri: 'https://auth.example.com/jwks', serviceScopes: ['users:read'] }, 'AUTH_ISSUERS[0].serviceScopes'],
    ['an empty clientId list', { ...base, clientId: [] }, 'AUTH_ISSUERS[0].clientId'],
    ['an empty client in the list', { ...base, clientId: [DASHBOARD, ''] }, 'AUTH_ISSUERS[0].clientId'],
    ['a client listed twice', { ...base, clientId: [DASHBOARD, DASHBOARD] }, 'AUTH_ISSUERS[0].clientId'],
    ['a list of clients on an auth0 entry', { name: 'a', kind: 'auth0', issuer: 'https://t.auth0.com/', audience: 'https://api', clientId: ['a', 'b'] }, 'AUTH_ISSUERS[0].clientId'],
  ])('%s', (_label, entry, path) => {
    const message = at(entry);
    expect(message.startsWith(path)).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('accepts a list, an audience alone with jwksUri, and both; the first client names the default JWKS', () => {
    const { issuers } = loadConfig({
      AUTH_ISSUERS: JSON.stringify([
        { ...base, clientId: [DASHBOARD, CLI] },
        { ...base, name: 'm', issuer: 'https://mcp.example.com', audience: MCP_RESOURCE, jwksUri: 'https://mcp.example.com/jwks' },
      ]),
    });
    expect(issuers[0]).toMatchObject({ clientId: DASHBOARD, clientIds: [DASHBOARD, CLI], jwksUri: `https://api.workos.com/sso/jwks/${DASHBOARD}` });
    expect(issuers[1]).toMatchObject({ clientId: null, clientIds: [], audience: [MCP_RESOURCE] });
  });
});
