// Request limits against hostile documents (spec: "Request limits"): a real server in
// production mode, anonymous callers. Every document is refused or answered, whatever its shape;
// the fragment bomb never holds the process, /healthz included. (How much work each costs is
// counted in steps in test/core/document-cost.test.ts, not timed here.)
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cyclicFragments, fragmentBomb, hostileDocuments } from '../helpers/documents.js';
import { useHardeningSuite } from '../helpers/hardening.js';

// Operations compiled from their first run, as hot ones are in production: graphql-jit
// expands fragments as written, so an unrefused bomb would hold the process here.
const suite = useHardeningSuite({ config: { compileOperationsAfter: 1 } });

const codeOf = (result: { body: { errors?: { extensions?: Record<string, unknown> }[] } }) => result.body.errors?.[0]?.extensions?.['code'];

describe('the fragment bomb', () => {
  it('is refused 400 QUERY_TOO_COMPLEX while /healthz keeps answering', async () => {
    // How much work the refusal takes is counted, not timed: test/core/document-cost.test.ts
    // bounds this very bomb's measure at a few steps per token.
    const bomb = fragmentBomb(30);
    expect(bomb.length).toBeLessThan(1500);
    const [refused, health] = await Promise.all([suite.api.gql(bomb), fetch(`${suite.api.url}/healthz`)]);
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe('QUERY_TOO_COMPLEX');
    expect(health.status).toBe(200);
  });

  it('is refused the same way over GET, and again (nothing is remembered of it)', async () => {
    const bomb = fragmentBomb(30);
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(`${suite.api.url}/graphql?query=${encodeURIComponent(bomb)}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    }
  });

  it('of a small depth is answered: a fragment spread a few times costs its size, not a refusal', async () => {
    const result = await suite.api.gql(fragmentBomb(6));
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ viewer: null });
  });
});

describe('fragment cycles, unknown and unused fragments (refused before any walk over fragments)', () => {
  it('refuses the cyclic document of issue 23 (n = 17…25) with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    for (const n of [17, 21, 25]) {
      const document = cyclicFragments(n);
      expect(document.length).toBeLessThan(3000);
      const [refused, health] = await Promise.all([suite.api.gql(document), fetch(`${suite.api.url}/healthz`)]);
      expect(refused.status, `n = ${n}`).toBe(400);
      expect(codeOf(refused)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(health.status).toBe(200);
    }
  });

  it('refuses a spread of an undefined fragment, an unused fragment and a fragment defined twice', async () => {
    const documents = [
      '{ ...Missing }',
      '{ viewer { ...U } } fragment U on User { id ...Nowhere }',
      '{ __typename } fragment Unused on Query { __typename }',
      '{ ...A } fragment A on Query { __typename } fragment B on Query { ...A }',
      '{ ...A } fragment A on Query { __typename } fragment A on Query { __typename }',
      '{ ...A } fragment A on Query { ...A }',
      'fragment A on Query { __typename }',
    ];
    for (const document of documents) {
      const refused = await suite.api.gql(document);
      expect(refused.status, document).toBe(400);
      expect(codeOf(refused), document).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  /** Fragments D0…D(n-1), each spreading the next twice (directly and in an inline fragment): 2^n paths. */
  const diamonds = (n: number) => {
    let document = '{ ...D0 }';
    for (let i = 0; i < n; i += 1) document += ` fragment D${i} on Query { t${i}: __typename ...D${i + 1} ... on Query { ...D${i + 1} } }`;
    return `${document} fragment D${n} on Query { t${n}: __typename }`;
  };

  it('answers a chain of diamonds within the limits and refuses a longer one (2^24 paths) with 400 QUERY_TOO_COMPLEX', async () => {
    const answered = await suite.api.gql(diamonds(5));
    expect(answered.status).toBe(200);
    expect(answered.body.data).toEqual(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`t${i}`, 'Query'])));
    const refused = await suite.api.gql(diamonds(24));
    expect(refused.status).toBe(400);
    expect(codeOf(refused)).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('MAX_QUERY_TOKENS', () => {
  // `query Qi { viewer { id } }` is 8 tokens: 625 of them are 5,000 (the default limit).
  const operations = (n: number) => Array.from({ length: n }, (_, i) => `query Q${i} { viewer { id } }`).join('\n');

  it('answers a document of exactly 5,000 tokens', async () => {
    const response = await fetch(`${suite.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: operations(625), operationName: 'Q624' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { viewer: null } });
  });

  it('refuses one token more with 400 QUERY_TOO_COMPLEX', async () => {
    const result = await suite.api.gql(`${operations(625)} query Extra { __typename }`);
    expect(result.status).toBe(400);
    expect(codeOf(result)).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('MAX_ALIASES', () => {
  const aliased = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ');

  it('answers 100 aliased fields and refuses 101 with 400 QUERY_TOO_COMPLEX', async () => {
    const atLimit = await suite.api.gql(`{ ${aliased(100)} }`);
    expect(atLimit.status).toBe(200);
    expect(Object.keys(atLimit.body.data ?? {})).toHaveLength(100);
    const over = await suite.api.gql(`{ ${aliased(101)} }`);
    expect(over.status).toBe(400);
    expect(codeOf(over)).toBe('QUERY_TOO_COMPLEX');
  });

  it("counts a fragment's aliases once, however often it is spread", async () => {
    // 99 in the fragment, spread twice, and one more: 100 as written (199 if spreads multiplied).
    const result = await suite.api.gql(`{ ...A v: __typename ... on Query { ...A } } fragment A on Query { ${aliased(99)} }`);
    expect(result.status).toBe(200);
    expect(Object.keys(result.body.data ?? {})).toHaveLength(100);
  });
});

describe('MAX_ENTITY_REPRESENTATIONS', () => {
  it('counts a fragment spread twice at the root once, as execution merges it', async () => {
    const representations = Array.from({ length: 600 }, () => ({ __typename: 'User', id: randomUUID() }));
    const query = 'query ($r: [_Any!]!) { ...E ...E } fragment E on Query { _entities(representations: $r) { __typename } }';
    const result = await suite.api.gql(query, { variables: { r: representations } });
    expect(result.status).toBe(200);
    expect(result.body.data._entities).toHaveLength(600);
  });
});

describe('hostile documents', () => {
  for (const [name, document] of Object.entries(hostileDocuments)) {
    // "Quickly" is counted, not timed: test/core/document-cost.test.ts bounds each of these
    // documents' measure in steps per token; the CPU figures live in the bench.
    it(`${name}: refused or answered, never a 5xx`, async () => {
      const result = await suite.api.gql(document);
      expect(result.status).toBeLessThan(500);
      expect(result.status === 200 || result.status === 400).toBe(true);
    });
  }

  it('leaves the server answering', async () => {
    const health = await fetch(`${suite.api.url}/healthz`);
    expect(health.status).toBe(200);
    const result = await suite.api.gql('{ viewer { id } }');
    expect(result.status).toBe(200);
  });
});
