// Hostile GraphQL documents, each within the default body limit, for the request-limits suite,
// and the document measure's step count (counted, never timed).
import { Lexer, parse, Source, TokenKind } from 'graphql';
import { measureDocument, type CostLimits } from '../../src/graphql/documentCost.js';

/** The fragment bomb: every fragment spreads the next one twice (about 1 KB, 2^depth when inlined). */
export function fragmentBomb(depth = 30): string {
  let text = 'query { viewer { ...F0 } }\n';
  for (let i = 0; i < depth; i += 1) text += `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }\n`;
  return `${text}fragment F${depth} on User { id }`;
}

const times = (n: number, each: (i: number) => string, separator = ' ') => Array.from({ length: n }, (_, i) => each(i)).join(separator);

/** Shapes that stay within the token limit yet cost a naive checker, validator or compiler dearly. */
export const hostileDocuments: Record<string, string> = {
  'the fragment bomb on Query': `query { ...Q0 } ${times(30, (i) => `fragment Q${i} on Query { ...Q${i + 1} ...Q${i + 1} }`)} fragment Q30 on Query { __typename }`,
  'a fragment bomb ending in an unknown fragment': `query { viewer { ...F0 } } ${times(40, (i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`)} fragment F40 on User { ...Missing }`,
  'an unused fragment bomb': `{ __typename } ${times(40, (i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`)} fragment F40 on User { id }`,
  'one field repeated 2,400 times': `{ viewer { ${times(2400, () => 'id')} } }`,
  'a field with a selection repeated 600 times': `{ viewer { ${times(600, () => 'memberships { organization { id } }')} } }`,
  'a root field repeated 900 times': `{ ${times(900, () => 'viewer { id name email }')} }`,
  '500 fragments spread together': `{ viewer { ${times(500, (i) => `...F${i}`)} } } ${times(500, (i) => `fragment F${i} on User { id }`)}`,
  '400 fragments spread together, nested': `{ viewer { memberships { user { ${times(400, (i) => `...F${i}`)} } } } } ${times(400, (i) => `fragment F${i} on User { memberships { id } }`)}`,
  'one fragment spread in 600 places': `{ viewer { ${times(600, () => 'memberships { ...M }')} } } fragment M on Membership { id user { id } }`,
  'conflicting aliases': `{ viewer { ${times(90, (i) => (i % 2 ? 'a: name' : 'a: email'))} ${times(1500, () => 'id')} } }`,
  'inline fragments nested 900 deep': `{ viewer { ${times(900, () => '... on User {')} id ${times(900, () => '}')} } }`,
  'selections nested 1,600 deep': `{ ${times(1600, () => 'viewer {')} id ${times(1600, () => '}')} }`,
  'a list argument nested 2,400 deep': `{ authDiscovery(email: ${'['.repeat(2400)}${']'.repeat(2400)}) { method } }`,
  '1,500 arguments': `{ authDiscovery(${times(1500, (i) => `a${i}: 1`)}) { method } }`,
  '1,500 copies of one argument': `{ authDiscovery(${times(1500, () => 'email: "a@b.co"')}) { method } }`,
  '700 directives on one field': `{ viewer ${times(700, () => '@include(if: true)')} { id } }`,
  '1,200 variables': `query (${times(1200, (i) => `$v${i}: Int`)}) { viewer { id } }`,
  '600 operations': times(600, (i) => `query Q${i} { viewer { id } }`),
  '300 operations sharing a fragment chain': `${times(300, (i) => `query Q${i}($a: Boolean!) { viewer { ...F0 } }`)} ${times(120, (i) => `fragment F${i} on User { id @include(if: $a) ...F${i + 1} }`)} fragment F120 on User { id }`,
  'a 900 KB string': `{ authDiscovery(email: "${'a'.repeat(900_000)}@b.co") { method } }`,
  'a 900 KB field name': `{ ${'x'.repeat(900_000)} }`,
  '900 KB of comments': `{ viewer { id } }\n${'# comment\n'.repeat(90_000)}`,
  '4,000 unknown fields': `{ viewer { ${times(4000, (i) => `unknownField${i}`)} } }`,
  'an object argument of 1,600 fields': `{ authDiscovery(email: {${times(1600, () => 'a: 1')}}) { method } }`,
};

/**
 * `{ ...F1 … ...Fn }` where each `Fi` spreads `F1`…`F(i-1)` and `F(i+1)`: a fragment cycle whose
 * simple paths grow exponentially with n (issue 23 §1: n = 17 is 1.5 KB).
 */
export function cyclicFragments(n: number): string {
  let text = `{ ${times(n, (i) => `...F${i + 1}`)} }\n`;
  for (let i = 1; i <= n; i += 1) {
    const spreads = times(i - 1, (j) => `...F${j + 1}`);
    text += `fragment F${i} on Query { ${spreads}${i < n ? ` ...F${i + 1}` : ''} }\n`;
  }
  return text;
}

/** The document's lexical tokens (what the measure's bound counts per). */
export function tokensOf(document: string): number {
  const lexer = new Lexer(new Source(document));
  let tokens = 0;
  for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) tokens += 1;
  return tokens;
}

/** The document measure's refusal code and the steps it took, under `limits`. @throws what `parse` throws */
export function measured(document: string, limits: CostLimits): { code: string | null; steps: number; tokens: number } {
  const meter = { steps: 0 };
  const refusal = measureDocument(parse(document, { noLocation: true }), limits, meter);
  return { code: refusal?.code ?? null, steps: meter.steps, tokens: tokensOf(document) };
}

/** The measure's bound: a few steps per token plus the inlined-size cap, whatever the fragment graph. */
export const stepBound = (result: { tokens: number }, limits: CostLimits): number => 3 * result.tokens + limits.maxExpandedSelections;
