// Every list's pages (Relay connections): one page size rule and one cursor format. A cursor is
// opaque to clients: base64url of `<list>:<key>`, where the key is where the page ended (the
// last row's id or sequence number); one from another list, or malformed, is BAD_USER_INPUT.
import { badInput } from '../errors.js';

/** The largest page a client may ask for; larger `first` values are cut to it. */
export const MAX_PAGE = 100;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A paged list: its cursors' tag, and what its keys look like. */
export interface PagedList<T> {
  name: string;
  keyOf(row: T): string;
  isKey(key: string): boolean;
}

/** How many rows to answer: `first` (else `fallback`), at most MAX_PAGE. @throws BAD_USER_INPUT (invalid_first) */
export function pageSize(first: number | null | undefined, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 0) throw badInput('first must be a non-negative integer.', 'invalid_first');
  return Math.min(value, MAX_PAGE);
}

export function encodeCursor<T>(list: PagedList<T>, key: string): string {
  return Buffer.from(`${list.name}:${key}`, 'utf8').toString('base64url');
}

/** The key a cursor of this list ends at; null for none. @throws BAD_USER_INPUT (invalid_cursor) */
export function decodeCursor<T>(list: PagedList<T>, cursor: string | null | undefined): string | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const key = text.startsWith(`${list.name}:`) ? text.slice(list.name.length + 1) : null;
  if (key === null || !list.isKey(key)) throw badInput('after is not a cursor from this list.', 'invalid_cursor');
  return key;
}

/** A page of `rows` read with `limit + 1`: the extra row only says there is a next page. */
export function toPage<T>(list: PagedList<T>, rows: readonly T[], limit: number): Page<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(list, list.keyOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}
