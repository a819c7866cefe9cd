// The document fuzzer's generator: seeded, so a failure names the seed and index that replay it.
// Each case is a request body (JSON text) of one hostile shape, within the limits or just over:
// fragment graphs with cycles, diamonds and 30-deep chains, undefined and unused fragments,
// inline fragments, repeated directives, aliases at and over MAX_ALIASES, variables (good and
// bad), long strings, deeply nested literals, `_entities` representations at and over the
// limit, unknown operation names, deep selections and token soup. Used by the suite
// (test/hardening/document-fuzz.test.ts) and by `npm run fuzz` (scripts/fuzz.ts).
import { randomUUID } from 'node:crypto';
import { seededRandom } from './mutations.js';

export interface FuzzLimits {
  maxAliases: number;
  maxEntityRepresentations: number;
  maxDepth: number;
}

export const DEFAULT_FUZZ_LIMITS: FuzzLimits = { maxAliases: 100, maxEntityRepresentations: 1000, maxDepth: 12 };

export interface FuzzCase {
  kind: string;
  body: string;
}

type Random = () => number;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const USER_FIELDS = ['id', 'email', 'name', 'emailVerified', '__typename'];
const QUERY_LEAVES = ['viewer { id }', 'viewer { email name }', '__typename', 'authDiscovery(email: "a@example.com") { method }'];
const DIRECTIVES = ['@include(if: true)', '@skip(if: false)', '@include(if: $on)', '@skip(if: $off)'];

function directives(random: Random): string {
  if (random() < 0.6) return '';
  const count = random() < 0.1 ? int(random, 20, 200) : int(random, 1, 4);
  return ' ' + Array.from({ length: count }, () => pick(random, DIRECTIVES.slice(0, 2))).join(' ');
}

/** Fragments on Query spreading each other: cycles, diamonds, long chains, missing and unused ones. */
function fragmentGraph(random: Random): FuzzCase {
  const n = int(random, 2, 30);
  const shape = pick(random, ['cycle', 'dense', 'diamond', 'chain', 'undefined', 'unused', 'acyclic'] as const);
  const edges: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (shape === 'chain' || shape === 'cycle') {
      if (i + 1 < n) edges[i]!.push(i + 1);
    } else if (shape === 'dense') {
      // Each spreads every earlier one and the next (the exponential shape of the report).
      for (let j = 0; j < i; j++) edges[i]!.push(j);
      if (i + 1 < n) edges[i]!.push(i + 1);
    } else if (shape === 'diamond') {
      if (i + 1 < n) edges[i]!.push(i + 1);
      if (i + 2 < n) edges[i]!.push(i + 2);
    } else {
      for (let j = i + 1; j < n; j++) if (random() < 0.3) edges[i]!.push(j);
    }
  }
  if (shape === 'cycle') edges[n - 1]!.push(int(random, 0, n - 1));
  const names = Array.from({ length: n }, (_, i) => `F${i}`);
  const fragments = names.map((name, i) => {
    const spreads = edges[i]!.map((j) => `...${names[j]}${directives(random)}`);
    if (shape === 'undefined' && i === n - 1) spreads.push('...Missing');
    return `fragment ${name} on Query { ${pick(random, QUERY_LEAVES)} ${spreads.join(' ')} }`;
  });
  if (shape === 'unused') fragments.push('fragment Unused on Query { __typename }');
  const roots = shape === 'dense' ? names.map((name) => `...${name}`).join(' ') : `...F0`;
  return { kind: `fragments:${shape}`, body: JSON.stringify({ query: `query Q($on: Boolean = true, $off: Boolean = false) { ${roots} } ${fragments.join(' ')}` }) };
}

function inlineFragments(random: Random): FuzzCase {
  const depth = int(random, 1, 40);
  let selection = 'id';
  for (let i = 0; i < depth; i++) selection = `... on User${directives(random)} { ${pick(random, USER_FIELDS)} ${selection} }`;
  return { kind: 'inline', body: JSON.stringify({ query: `query Q($on: Boolean = true, $off: Boolean = false) { viewer { ${selection} } }` }) };
}

function aliases(random: Random, limits: FuzzLimits): FuzzCase {
  const count = pick(random, [1, limits.maxAliases - 1, limits.maxAliases, limits.maxAliases + 1, limits.maxAliases * 3]);
  const fields = Array.from({ length: count }, (_, i) => `a${i}: ${pick(random, ['__typename', 'viewer { id }', 'authDiscovery(email: "x@example.com") { method }'])}`);
  return { kind: `aliases:${count}`, body: JSON.stringify({ query: `{ ${fields.join(' ')} }` }) };
}

function variables(random: Random): FuzzCase {
  const values: unknown[] = ['a@example.com', 42, null, true, [1, 2], { nested: { deep: 'x' } }, 'x'.repeat(int(random, 0, 5000)), 'a\u0000b@example.com'];
  const value = pick(random, values);
  const type = pick(random, ['String!', 'String', 'Int', '[String!]!', 'Boolean!', 'Unknown']);
  const query = `query V($v: ${type}) { authDiscovery(email: $v) { method } }`;
  return { kind: `variables:${type}`, body: JSON.stringify({ query, variables: random() < 0.1 ? 'not an object' : { v: value } }) };
}

function longString(random: Random): FuzzCase {
  const length = pick(random, [1_000, 50_000, 500_000, 1_000_000]);
  const text = pick(random, ['a', '\\u0000', 'é', '"']) === '"' ? 'x'.repeat(length) : 'y'.repeat(length);
  return { kind: `string:${length}`, body: JSON.stringify({ query: `{ authDiscovery(email: "${text}@example.com") { method } }` }) };
}

function nestedLiteral(random: Random): FuzzCase {
  const depth = pick(random, [10, 100, 129, 500, 2_000, 20_000]);
  const open = pick(random, ['[', '{a:']);
  const close = open === '[' ? ']' : '}';
  const literal = open.repeat(depth) + '1' + close.repeat(depth);
  return { kind: `literal:${open}${depth}`, body: JSON.stringify({ query: `{ organization(id: ${literal}) { id } }` }) };
}

function entities(random: Random, limits: FuzzLimits): FuzzCase {
  const count = pick(random, [0, 1, 50, limits.maxEntityRepresentations, limits.maxEntityRepresentations + 1]);
  const representations = Array.from({ length: count }, () =>
    pick(random, [
      { __typename: 'User', id: randomUUID() },
      { __typename: 'Organization', id: 'not-a-uuid' },
      { __typename: 'Membership', id: 'x\u0000' },
      { __typename: 'Nope', id: '1' },
      { id: 1 },
    ]),
  );
  const spreads = random() < 0.3 ? '...E ...E' : '...E';
  const query = `query ($r: [_Any!]!) { ${spreads} } fragment E on Query { _entities(representations: $r) { __typename ... on User { id } } }`;
  return { kind: `entities:${count}`, body: JSON.stringify({ query, variables: { r: representations } }) };
}

function operationName(random: Random): FuzzCase {
  const name = pick(random, ['Missing', '', 'A', 'B', 'x'.repeat(300)]);
  return { kind: 'operationName', body: JSON.stringify({ query: 'query A { __typename } query B { viewer { id } }', operationName: name }) };
}

function deepSelection(random: Random, limits: FuzzLimits): FuzzCase {
  const depth = int(random, 1, limits.maxDepth + 3);
  let selection = 'id';
  for (let i = 0; i < depth; i++) selection = i % 2 === 0 ? `organization { members { ${selection} } }` : `user { memberships { ${selection} } }`;
  return { kind: `depth:${depth}`, body: JSON.stringify({ query: `{ viewer { memberships { ${selection} } } }` }) };
}

function soup(random: Random): FuzzCase {
  const tokens = ['{', '}', '(', ')', '[', ']', '...', 'fragment', 'on', 'query', '$', ':', '@', '"', 'x', '1', ',', '#', '\n', '\\u'];
  const length = int(random, 1, 4_000);
  const text = Array.from({ length }, () => pick(random, tokens)).join(' ');
  return { kind: 'soup', body: random() < 0.2 ? text : JSON.stringify({ query: text }) };
}

/** The `index`-th case of `seed`: the same pair always makes the same case. */
export function fuzzCase(seed: number, index: number, limits: FuzzLimits = DEFAULT_FUZZ_LIMITS): FuzzCase {
  const random = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const makers = [fragmentGraph, fragmentGraph, inlineFragments, aliases, variables, longString, nestedLiteral, entities, operationName, deepSelection, soup];
  return pick(random, makers)(random, limits);
}
