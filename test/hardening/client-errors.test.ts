// Client mistakes (spec: "Credentials", the last rule): an unknown operation name, a persisted
// query whose hash is not its text's, bad variables, malformed bodies, and values the database
// cannot take (a NUL byte, an invalid uuid, an over-long string) answer 4xx with a code of
// their own, never INTERNAL_SERVER_ERROR, and never reach the log at error level. A real
// server in production mode, on the file's database (PGlite or PostgreSQL).
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AUDIENCE, useHardeningSuite } from '../helpers/hardening.js';
import { capturingLogger } from '../helpers/platform.js';

const lines: string[] = [];
const suite = useHardeningSuite({ logger: capturingLogger(lines), config: { compileOperationsAfter: 2 } });

/** Log records at error level or above since the last test. */
function errorRecords(): Record<string, unknown>[] {
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => (record['level'] as number) >= 50);
}
afterEach(() => {
  const errors = errorRecords();
  lines.length = 0;
  expect(errors).toEqual([]);
});

interface Answer {
  status: number;
  code: unknown;
  body: { data?: any; errors?: { extensions?: Record<string, unknown> }[] };
}

async function post(body: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${suite.api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const parsed = (await response.json()) as Answer['body'];
  return { status: response.status, code: parsed.errors?.[0]?.extensions?.['code'], body: parsed };
}

async function get(params: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${suite.api.url}/graphql?${new URLSearchParams(params)}`, { headers: { 'apollo-require-preflight': 'true' } });
  const parsed = (await response.json()) as Answer['body'];
  return { status: response.status, code: parsed.errors?.[0]?.extensions?.['code'], body: parsed };
}

const serviceToken = (scope: string) => {
  const client = `svc-${randomUUID()}`;
  return suite.issuer.sign({ sub: client, client_id: client, gty: 'client-credentials', aud: AUDIENCE, scope });
};

describe('an unknown operation name', () => {
  it('is 400 OPERATION_RESOLUTION_FAILURE, before and after the operation is compiled, over POST and GET', async () => {
    // Run twice first, so that the document is cached and its operation compiled.
    for (let i = 0; i < 2; i += 1) expect((await post({ query: 'query A { __typename }', operationName: 'A' })).status).toBe(200);
    for (const answer of [
      await post({ query: 'query A { __typename }', operationName: 'B' }),
      await post({ query: 'query Fresh { __typename }', operationName: 'Other' }),
      await post({ query: 'query A { __typename } query C { __typename }', operationName: 'B' }),
      await post({ query: '{ __typename }', operationName: 'B' }),
      await get({ query: 'query A { __typename }', operationName: 'B' }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.code).toBe('OPERATION_RESOLUTION_FAILURE');
    }
  });
});

describe('a persisted query', () => {
  const query = '{ __typename }';
  const sha256 = createHash('sha256').update(query).digest('hex');

  it('whose hash is not its text\'s is 400 PERSISTED_QUERY_HASH_MISMATCH, over POST and GET', async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) } };
    for (const answer of [await post({ query, extensions }), await get({ query, extensions: JSON.stringify(extensions) })]) {
      expect(answer.status).toBe(400);
      expect(answer.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    }
    for (const sha256Hash of [42, null, sha256.toUpperCase()]) {
      const answer = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash } } });
      expect(answer.status).toBe(400);
      expect(answer.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    }
  });

  it('of another version is 400 BAD_REQUEST; one registered with its text is answered by its hash', async () => {
    const other = await post({ query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256 } } });
    expect(other.status).toBe(400);
    expect(other.code).toBe('BAD_REQUEST');
    expect((await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256 } } })).body.data).toEqual({ __typename: 'Query' });
    expect((await post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256 } } })).body.data).toEqual({ __typename: 'Query' });
  });
});

describe('bad variables and malformed bodies', () => {
  const typed = 'query ($email: String!) { authDiscovery(email: $email) { method } }';

  it('refuses variables of the wrong shape with 400 BAD_USER_INPUT, interpreted and compiled', async () => {
    for (let run = 0; run < 3; run += 1) {
      for (const variables of [{}, { email: null }, { email: 42 }, { email: ['a@b.co'] }, { email: { a: 1 } }]) {
        const answer = await post({ query: typed, variables });
        expect(answer.status, JSON.stringify(variables)).toBe(400);
        expect(answer.code).toBe('BAD_USER_INPUT');
      }
    }
  });

  it('refuses bodies that are not a GraphQL request with 400 and a code of their own', async () => {
    const bodies: (string | object)[] = [
      '{"query": ',
      '',
      'null',
      '"{ __typename }"',
      '[]',
      [{ query: '{ __typename }' }],
      { query: 42 },
      { query: '{ __typename }', variables: 'x' },
      { query: '{ __typename }', variables: [1] },
      { query: '{ __typename }', operationName: 42 },
      { query: '{ __typename }', extensions: 'x' },
      { query: '' },
      { query: '{' },
      { query: 'query ($v: Int) { __typename }', variables: { v: 'x' } },
    ];
    for (const body of bodies) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(answer.status, JSON.stringify(body)).toBeLessThan(500);
      expect(answer.code, JSON.stringify(body)).toEqual(expect.any(String));
      expect(answer.code).not.toBe('INTERNAL_SERVER_ERROR');
    }
  });
});

describe('values the database cannot take', () => {
  const NUL = 'a\u0000b';

  it('a NUL byte in a looked-up email, an organization name or an id is 400 BAD_USER_INPUT, never 500', async () => {
    const reader = await serviceToken('users:read');
    const user = await suite.userToken();
    const cases: { query: string; variables: Record<string, unknown>; token?: string }[] = [
      { query: 'query ($e: String!) { userByEmail(email: $e) { id } }', variables: { e: `a\u0000b@example.com` }, token: reader },
      { query: 'query ($e: String!) { userByEmail(email: $e) { id } }', variables: { e: NUL }, token: reader },
      { query: 'query ($e: String!) { authDiscovery(email: $e) { method } }', variables: { e: 'x\u0000@y.example' } },
      { query: 'mutation ($n: String!) { createOrganization(input: { name: $n }) { id } }', variables: { n: `Org ${NUL}` }, token: user },
      { query: 'query ($id: ID!) { user(id: $id) { id } }', variables: { id: NUL }, token: reader },
      { query: 'query ($id: ID!) { organization(id: $id) { id } }', variables: { id: NUL }, token: user },
    ];
    for (const { query, variables, token } of cases) {
      const answer = await post({ query, variables }, token === undefined ? {} : { authorization: `Bearer ${token}` });
      expect(answer.status, query).toBeLessThan(500);
      expect(JSON.stringify(answer.body)).not.toContain('INTERNAL_SERVER_ERROR');
      if (answer.status !== 200) {
        expect(answer.status).toBe(400);
        expect(answer.code).toBe('BAD_USER_INPUT');
      }
    }
    // The name reaches the database, which refuses the byte (22021): the request fails as a whole.
    const refused = await post({ query: cases[3]!.query, variables: cases[3]!.variables }, { authorization: `Bearer ${user}` });
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.extensions?.['reason']).toBe('unstorable_value');
  });

  it('_entities with NUL bytes and malformed ids answers null for each, never an error', async () => {
    const representations = [
      { __typename: 'User', id: NUL },
      { __typename: 'Organization', id: NUL },
      { __typename: 'Membership', id: 'not-a-uuid' },
      { __typename: 'User', id: 'x'.repeat(10_000) },
      { __typename: 'User\u0000', id: randomUUID() },
    ];
    const answer = await post({ query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: representations } });
    expect(answer.status).toBe(200);
    expect(answer.body.data._entities).toEqual([null, null, null, null, null]);
  });

  it('a token whose name claim holds a NUL byte is never a 5xx', async () => {
    const token = await suite.userToken({ name: `Ada ${NUL}` });
    const answer = await post({ query: '{ viewer { id name } }' }, { authorization: `Bearer ${token}` });
    expect(answer.status).toBeLessThan(500);
  });
});
