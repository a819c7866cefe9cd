// Production mode at the HTTP edge: introspection off but `_service` kept, no landing page,
// masked errors carrying the request id, CSRF prevention, body/depth/representation limits,
// no "did you mean", and the subgraph secret guarding /graphql only.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { openTestDatabase, type TestDatabase } from '../helpers/database.js';
import { issuerConfig, startTestIssuer, type TestIssuer } from '../helpers/issuer.js';

let issuer: TestIssuer;
let database: TestDatabase;
let prod: TestApp;
let dev: TestApp;

const MAX_REPRESENTATIONS = 5;

beforeAll(async () => {
  issuer = await startTestIssuer();
  database = await openTestDatabase();
  const issuers = [issuerConfig(issuer)];
  prod = await startTestApp({
    issuers,
    database: database.db,
    production: true,
    config: { maxEntityRepresentations: MAX_REPRESENTATIONS, maxBodyBytes: 4096 },
  });
  dev = await startTestApp({ issuers, database: database.db, production: false });
});
afterAll(async () => {
  await prod?.close();
  await dev?.close();
  await database?.close();
  await issuer?.close();
});

function userToken(): Promise<string> {
  return issuer.sign({ sub: `user-${randomUUID()}`, aud: 'https://api.test', email: `${randomUUID()}@example.com`, email_verified: true });
}

/** `viewer { memberships { organization { members { user { … id } } } } }` nested to `depth` fields. */
function nestedQuery(depth: number): string {
  const cycle = ['memberships', 'organization', 'members', 'user'];
  let inner = 'id';
  // viewer is level 1 and `id` the last level; the cycle fills the levels between.
  const middle = depth - 2;
  const fields: string[] = [];
  for (let i = 0; i < middle; i += 1) fields.push(cycle[i % 4]!);
  // The innermost field must be an object with `id`: trim to end on organization or user.
  for (const field of fields.reverse()) inner = `${field} { ${inner} }`;
  return `{ viewer { ${inner} } }`;
}

describe('production mode', () => {
  it('turns introspection off but keeps federation’s _service { sdl }', async () => {
    const introspection = await prod.gql('{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.body.data).toBeUndefined();

    const service = await prod.gql('{ _service { sdl } }');
    expect(service.status).toBe(200);
    expect(service.body.data._service.sdl).toContain('type User');

    const devIntrospection = await dev.gql('{ __schema { queryType { name } } }');
    expect(devIntrospection.body.data.__schema.queryType.name).toBe('Query');
  });

  it('serves no landing page (the development server does)', async () => {
    const prodPage = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    const prodText = await prodPage.text();
    expect(prodPage.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(prodText).not.toMatch(/<html|sandbox/i);

    const devPage = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(devPage.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('gives no "did you mean" suggestions (development does)', async () => {
    const prodResult = await prod.gql('{ viewr { id } }');
    expect(prodResult.status).toBe(400);
    expect(prodResult.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(prodResult.body)).not.toMatch(/did you mean/i);
    const devResult = await dev.gql('{ viewr { id } }');
    expect(JSON.stringify(devResult.body)).toMatch(/did you mean/i);
  });

  it('refuses a GET query without a CSRF preflight header (400) and serves it with one', async () => {
    const query = encodeURIComponent('{ __typename }');
    const bare = await fetch(`${prod.url}/graphql?query=${query}`);
    expect(bare.status).toBe(400);
    const preflighted = await fetch(`${prod.url}/graphql?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE, declared or streamed', async () => {
    const big = JSON.stringify({ query: `{ __typename } # ${'x'.repeat(5000)}` });
    const declared = await fetch(`${prod.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    const chunks = [big.slice(0, 3000), big.slice(3000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await fetch(`${prod.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as any).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');

    const small = await prod.gql('{ __typename }');
    expect(small.status).toBe(200);
  });

  it('refuses a query deeper than MAX_QUERY_DEPTH with 400 QUERY_TOO_DEEP', async () => {
    const token = await userToken();
    const limit = prod.app.config.maxQueryDepth;
    const atLimit = await prod.gql(nestedQuery(limit), { token });
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.errors).toBeUndefined();
    const tooDeep = await prod.gql(nestedQuery(limit + 1), { token });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    // Through a fragment too.
    const viaFragment = await prod.gql(`query { ...Deep } fragment Deep on Query ${nestedQuery(limit + 1).slice(1, -1).replace(/^\s*/, '{ ')} }`, { token });
    expect(viaFragment.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
  });

  it('lets a gateway’s _entities query through the default depth limit', async () => {
    const token = await userToken();
    const viewer = await prod.gql('{ viewer { id } }', { token });
    const id = viewer.body.data.viewer.id as string;
    const query = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on User { id email memberships { id role organization { id name members { id role user { id email name } } } } }
      }
    }`;
    const result = await prod.gql(query, { token, variables: { representations: [{ __typename: 'User', id }] } });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data._entities).toEqual([expect.objectContaining({ id, memberships: [] })]);
  });

  it('refuses more _entities representations than MAX_ENTITY_REPRESENTATIONS, inline or from variables', async () => {
    const reps = (n: number) => Array.from({ length: n }, () => ({ __typename: 'User', id: randomUUID() }));
    const query = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id } } }';
    const atLimit = await prod.gql(query, { variables: { representations: reps(MAX_REPRESENTATIONS) } });
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.data._entities).toEqual(Array(MAX_REPRESENTATIONS).fill(null));

    const overVariables = await prod.gql(query, { variables: { representations: reps(MAX_REPRESENTATIONS + 1) } });
    expect(overVariables.status).toBe(400);
    expect(overVariables.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REPRESENTATIONS');
    expect(overVariables.body.data).toBeUndefined();

    const inline = reps(MAX_REPRESENTATIONS + 1)
      .map((r) => `{ __typename: "User", id: "${r.id}" }`)
      .join(', ');
    const overInline = await prod.gql(`{ _entities(representations: [${inline}]) { ... on User { id } } }`);
    expect(overInline.status).toBe(400);
    expect(overInline.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REPRESENTATIONS');

    // Split across two aliased _entities calls, the total counts.
    const half = 'query ($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } b: _entities(representations: $b) { __typename } }';
    const split = await prod.gql(half, { variables: { a: reps(3), b: reps(3) } });
    expect(split.body.errors?.[0]?.extensions?.code).toBe('TOO_MANY_REPRESENTATIONS');
  });
});

describe('unexpected errors', () => {
  let broken: TestDatabase;
  let api: TestApp;
  const logLines: string[] = [];

  let signedIn: string;

  beforeAll(async () => {
    broken = await openTestDatabase();
    const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => void logLines.push(line) });
    api = await startTestApp({ issuers: [issuerConfig(issuer)], database: broken.db, production: true, logger });
    signedIn = await userToken();
    expect((await api.gql('{ viewer { id } }', { token: signedIn })).status).toBe(200);
    // A schema the code does not expect: every memberships query fails inside the database
    // (and so does a first sign-in, which may add a JIT membership).
    await broken.db.exec('alter table memberships rename to memberships_elsewhere');
  });

  function loggedFor(requestId: string): Record<string, any> | undefined {
    return logLines.map((line) => JSON.parse(line) as Record<string, any>).find((r) => r['msg'] === 'unexpected error' && r['requestId'] === requestId);
  }
  afterAll(async () => {
    await api?.close();
    await broken?.close();
  });

  it('are masked as INTERNAL_SERVER_ERROR with the request id, no stack, no driver text', async () => {
    const requestId = `req-${randomUUID()}`;
    const result = await api.gql('{ viewer { id memberships { id } } }', { token: signedIn, headers: { 'x-request-id': requestId } });
    expect(result.headers.get('x-request-id')).toBe(requestId);
    const error = result.body.errors?.[0];
    expect(error?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
    expect(error?.message).toBe('Internal server error.');
    const text = JSON.stringify(result.body);
    expect(text).not.toMatch(/memberships_elsewhere|relation|does not exist|stacktrace|\n\s+at /);

    // The cause is logged with the same request id, reduced to its type and SQLSTATE.
    const logged = loggedFor(requestId);
    expect(logged?.['level']).toBe(50);
    expect(JSON.stringify(logged?.['err'])).toContain('42P01'); // undefined_table
    expect(logLines.join('')).not.toMatch(/does not exist|select /i);
  });

  it('are masked the same when they happen before GraphQL runs (a first sign-in that fails)', async () => {
    const requestId = `req-${randomUUID()}`;
    const result = await api.gql('{ viewer { id } }', { token: await userToken(), headers: { 'x-request-id': requestId } });
    expect(result.status).toBe(500);
    expect(result.body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
    expect(result.body.errors?.[0]?.message).toBe('Internal server error.');
    expect(JSON.stringify(result.body)).not.toMatch(/memberships_elsewhere|relation|does not exist|stacktrace|\n\s+at /);
    const logged = loggedFor(requestId);
    expect(logged?.['level']).toBe(50);
    expect(JSON.stringify(logged?.['err'])).toContain('42P01');
    expect(logLines.join('')).not.toMatch(/does not exist|insert /i);
  });
});

describe('SUBGRAPH_SECRET', () => {
  const secret = `s3cret-${randomUUID()}`;
  let guarded: TestApp;

  beforeAll(async () => {
    guarded = await startTestApp({ issuers: [issuerConfig(issuer)], database: database.db, production: true, config: { subgraphSecret: secret } });
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it('refuses /graphql without the header or with a wrong one (403), serves the right one', async () => {
    const missing = await guarded.gql('{ __typename }');
    expect(missing.status).toBe(403);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const wrong = await guarded.gql('{ __typename }', { headers: { 'x-subgraph-secret': `${secret}x` } });
    expect(wrong.status).toBe(403);
    const empty = await guarded.gql('{ __typename }', { headers: { 'x-subgraph-secret': '' } });
    expect(empty.status).toBe(403);
    const right = await guarded.gql('{ __typename }', { headers: { 'x-subgraph-secret': secret } });
    expect(right.status).toBe(200);
    expect(right.body.data).toEqual({ __typename: 'Query' });
    expect(JSON.stringify(missing.body)).not.toContain(secret);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${guarded.url}${path}`);
      expect(response.status, path).toBe(200);
    }
  });
});
