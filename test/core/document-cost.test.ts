// The document measure's bound, counted in steps rather than timed: checking any document costs
// at most a few steps per token plus the inlined-size cap, whatever its fragment graph (cycles,
// diamonds, long chains, bombs). The fragment graph's rules come before any spread is followed.
import { describe, expect, it } from 'vitest';
import type { CostLimits } from '../../src/graphql/documentCost.js';
import { createDocumentGuard, documentLimits } from '../../src/graphql/documentGuard.js';
import { cyclicFragments, fragmentBomb, hostileDocuments, measured as measuredUnder, stepBound } from '../helpers/documents.js';

const limits: CostLimits = documentLimits({ maxTokens: 5000, maxDepth: 12, maxAliases: 100 });

const measured = (document: string) => measuredUnder(document, limits);

/** Fragments F0…F(n-1), each spreading the next `width` times (directly and in inline fragments). */
function diamonds(n: number, width: number): string {
  let document = '{ ...F0 }';
  for (let i = 0; i < n; i += 1) document += ` fragment F${i} on Query { __typename ${Array.from({ length: width }, () => `... on Query { ...F${i + 1} }`).join(' ')} }`;
  return `${document} fragment F${n} on Query { __typename }`;
}

/** A chain F0 → F1 → … → F(n-1), each adding one field. */
function chain(n: number): string {
  let document = '{ viewer { ...F0 } }';
  for (let i = 0; i < n; i += 1) document += ` fragment F${i} on User { id ${i + 1 < n ? `...F${i + 1}` : ''} }`;
  return document;
}

describe('the document measure', () => {
  it('refuses the cyclic document (issue 23) as a validation failure in steps linear in its size', () => {
    for (const n of [13, 17, 25, 40, 60]) {
      const { code, steps, tokens } = measured(cyclicFragments(n));
      expect(code, `n = ${n}`).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(steps, `n = ${n}`).toBeLessThanOrEqual(2 * tokens);
    }
  });

  it('measures diamonds, chains and bombs in at most a few steps per token plus the inlined-size cap', () => {
    const documents = [diamonds(10, 2), diamonds(30, 2), diamonds(20, 5), chain(30), chain(400), fragmentBomb(30), fragmentBomb(6), ...Object.values(hostileDocuments)];
    let checked = 0;
    for (const document of documents) {
      let result;
      try {
        result = measured(document);
      } catch {
        continue; // too deep for a recursive parse: the guard's scan refuses it before parsing
      }
      checked += 1;
      expect(result.steps, document.slice(0, 80)).toBeLessThanOrEqual(stepBound(result, limits));
    }
    expect(checked).toBeGreaterThan(documents.length - 4);
  });

  it('refuses unknown, unused and twice-defined fragments before following a spread', () => {
    for (const document of [
      '{ ...A } fragment A on Query { ...B }',
      '{ __typename } fragment A on Query { ...A }',
      '{ ...A } fragment A on Query { __typename } fragment A on Query { ...A }',
    ]) {
      expect(measured(document).code, document).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  it('answers a 30-deep chain within the depth limit as written, and counts depth through spreads', () => {
    expect(measured(chain(30)).code).toBeNull();
    const deep = `{ viewer { ...F0 } } ${Array.from({ length: 12 }, (_, i) => `fragment F${i} on User { memberships { user { ...F${i + 1} } } }`).join(' ')} fragment F12 on User { id }`;
    expect(measured(deep).code).toBe('QUERY_TOO_DEEP');
  });
});

describe('the document guard', () => {
  const guard = createDocumentGuard(documentLimits({ maxTokens: 5000, maxDepth: 12, maxAliases: 100 }));
  const codeOf = (document: string) => {
    try {
      guard.check(document);
      return null;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('refuses brackets nested past 128, in lists, objects, selections and types, without reading them recursively', () => {
    const nested = (open: string, close: string, n: number, inner = '1') => open.repeat(n) + inner + close.repeat(n);
    expect(codeOf(`{ authDiscovery(email: ${nested('[', ']', 2000)}) { method } }`)).toBe('QUERY_TOO_DEEP');
    expect(codeOf(`{ authDiscovery(email: ${nested('{a: ', '}', 2000)}) { method } }`)).toBe('QUERY_TOO_DEEP');
    expect(codeOf(`query ($v: ${nested('[', ']', 2000, 'Int')}) { __typename }`)).toBe('QUERY_TOO_DEEP');
    expect(codeOf(`{ ${nested('... on Query { ', ' }', 2000, '__typename')} }`)).toBe('QUERY_TOO_DEEP');
    expect(codeOf(`{ authDiscovery(email: ${nested('[', ']', 120)}) { method } }`)).toBeNull();
  });

  it('counts tokens as the parser does: 5,000 pass, 5,001 are refused', () => {
    const fields = (n: number) => `{ ${Array.from({ length: n - 2 }, (_, i) => `f${i}`).join(' ')} }`;
    expect(codeOf(fields(5000))).toBeNull();
    expect(codeOf(fields(5001))).toBe('QUERY_TOO_COMPLEX');
  });

  it('leaves a syntax error to Apollo', () => {
    expect(codeOf('{ viewer { id }')).toBeNull();
    expect(codeOf('{ "unterminated }')).toBeNull();
  });
});
