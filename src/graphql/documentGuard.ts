// The HTTP edge's check of a client's document before Apollo validates it (one of graphql-js's
// rules is quadratic in same-named fields): parsed with a token limit, then measured
// (documentCost.ts); a document that passed is remembered by its text.
import { parse, type DocumentNode } from 'graphql';
import { AppError } from '../errors.js';
import { LRUCache } from 'lru-cache';
import { measureDocument, type CostLimits } from './documentCost.js';

export interface DocumentLimits extends CostLimits {
  /** Lexical tokens the parser reads before it gives up (QUERY_TOO_COMPLEX). */
  maxTokens: number;
}

// Same-named fields merged at one response path, in pairs: a client's fragments repeating
// `id` and `__typename` stay in the hundreds; graphql-js's merge check takes about a
// millisecond per few thousand.
const MAX_SAME_PATH_PAIRS = 5000;

/**
 * The limits of a document from the configured ones: its inlined size is bounded by the token
 * limit too (a fragment spread many times asks for no more than its text could).
 */
export function documentLimits(config: { maxTokens: number; maxDepth: number; maxAliases: number }): DocumentLimits {
  return { ...config, maxExpandedSelections: config.maxTokens, maxSamePathPairs: MAX_SAME_PATH_PAIRS };
}

export interface DocumentGuard {
  /**
   * @throws AppError QUERY_TOO_COMPLEX, QUERY_TOO_DEEP. A document with a syntax error passes:
   * Apollo reports it in its own words.
   */
  check(query: string): void;
}

// Texts above this size are checked every time rather than held (the cache stays small).
const MAX_REMEMBERED_LENGTH = 16_384;
const REMEMBERED_DOCUMENTS = 512;

/** graphql-js's parser error when `maxTokens` is reached (16 words it "more that", 17 "more than"). */
export function isTokenLimitError(error: unknown): boolean {
  return error instanceof Error && /Document contains more th(?:at|an) \d+ tokens/.test(error.message);
}

function tooComplex(message: string): AppError {
  return new AppError('QUERY_TOO_COMPLEX', { message });
}

/** The document, null for a syntax error; @throws AppError QUERY_TOO_COMPLEX past the token limit. */
function parseLimited(query: string, maxTokens: number): DocumentNode | null {
  try {
    return parse(query, { maxTokens, noLocation: true });
  } catch (error) {
    if (isTokenLimitError(error)) throw tooComplex(`The document has more than ${maxTokens} tokens.`);
    // Nesting deep enough to exhaust the parser's stack.
    if (error instanceof RangeError) throw tooComplex('The document is nested too deeply to be read.');
    return null;
  }
}

export function createDocumentGuard(limits: DocumentLimits): DocumentGuard {
  const passed = new LRUCache<string, true>({ max: REMEMBERED_DOCUMENTS });
  return {
    check(query) {
      if (passed.get(query) === true) return;
      const document = parseLimited(query, limits.maxTokens);
      if (document === null) return;
      let refusal;
      try {
        refusal = measureDocument(document, limits);
      } catch (error) {
        if (error instanceof RangeError) throw tooComplex('The document is nested too deeply to be read.');
        throw error;
      }
      if (refusal !== null) throw new AppError(refusal.code, { message: refusal.message });
      if (query.length <= MAX_REMEMBERED_LENGTH) passed.set(query, true);
    },
  };
}
