// The HTTP edge's check of a client's document before Apollo parses and validates it (graphql-js's
// rules run on whatever Apollo parsed, and some are quadratic): one pass over the tokens (their
// count and how deep brackets nest), a parse, then the measure (documentCost.ts: the fragment
// graph first, then each fragment once). A document that passed is remembered by its text.
import { Lexer, parse, Source, TokenKind, type DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import { measureDocument, type CostLimits } from './documentCost.js';

export interface DocumentLimits extends CostLimits {
  /** Lexical tokens the parser reads before it gives up (QUERY_TOO_COMPLEX). */
  maxTokens: number;
  /** Brackets (`{`, `[`, `(`) open at once (QUERY_TOO_DEEP). */
  maxNesting: number;
}

// Same-named fields merged at one response path, in pairs: a client's fragments repeating
// `id` and `__typename` stay in the hundreds; graphql-js's merge check takes about a
// millisecond per few thousand.
const MAX_SAME_PATH_PAIRS = 5000;

// Far below what any recursive reader of a document (graphql-js's parser, value coercion,
// printing, graphql-jit's compiler) needs of the stack, far above any real document: the
// introspection query nests 13 deep, MAX_QUERY_DEPTH fields with arguments about 30.
const MAX_NESTING = 128;

/**
 * The limits of a document from the configured ones: its inlined size is bounded by the token
 * limit too (a fragment spread many times asks for no more than its text could).
 */
export function documentLimits(config: { maxTokens: number; maxDepth: number; maxAliases: number }): DocumentLimits {
  return { ...config, maxExpandedSelections: config.maxTokens, maxSamePathPairs: MAX_SAME_PATH_PAIRS, maxNesting: MAX_NESTING };
}

export interface DocumentGuard {
  /**
   * @throws AppError QUERY_TOO_COMPLEX, QUERY_TOO_DEEP, GRAPHQL_VALIDATION_FAILED (a fragment
   * cycle, an unknown or unused fragment). A document with a syntax error passes: Apollo
   * reports it in its own words.
   */
  check(query: string): void;
}

// Texts above this size are checked every time rather than held (the cache stays small).
const MAX_REMEMBERED_LENGTH = 16_384;
const REMEMBERED_DOCUMENTS = 512;

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Counts tokens as graphql-js's parser does (comments excluded) and bracket nesting, without
 * recursion. @returns false for a lexical error (Apollo reports it).
 * @throws AppError QUERY_TOO_COMPLEX past `maxTokens`, QUERY_TOO_DEEP past `maxNesting`.
 */
function scan(query: string, limits: DocumentLimits): boolean {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      tokens += 1;
      if (tokens > limits.maxTokens) throw new AppError('QUERY_TOO_COMPLEX', { message: `The document has more than ${limits.maxTokens} tokens.` });
      if (OPENING.has(token.kind)) {
        nesting += 1;
        if (nesting > limits.maxNesting) {
          throw new AppError('QUERY_TOO_DEEP', { message: `The document nests brackets more than ${limits.maxNesting} deep.` });
        }
      } else if (CLOSING.has(token.kind)) {
        nesting -= 1;
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    return false;
  }
  return true;
}

/** The document, null for a syntax error. */
function parseScanned(query: string): DocumentNode | null {
  try {
    return parse(query, { noLocation: true });
  } catch (error) {
    // Unreachable once scanned (nesting is bounded); kept so that no stack is ever a 500.
    if (error instanceof RangeError) throw new AppError('QUERY_TOO_DEEP', { message: 'The document is nested too deeply to be read.' });
    return null;
  }
}

export function createDocumentGuard(limits: DocumentLimits): DocumentGuard {
  const passed = new LRUCache<string, true>({ max: REMEMBERED_DOCUMENTS });
  return {
    check(query) {
      if (passed.get(query) === true) return;
      if (!scan(query, limits)) return;
      const document = parseScanned(query);
      if (document === null) return;
      const refusal = measureDocument(document, limits);
      if (refusal !== null) throw new AppError(refusal.code, { message: refusal.message });
      if (query.length <= MAX_REMEMBERED_LENGTH) passed.set(query, true);
    },
  };
}
