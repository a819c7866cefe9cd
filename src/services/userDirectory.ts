// Read-only user lookups for services (never create a user), and a user's security events.
// Authorization is the resolvers' (lifecycle.md, "Who may do what"); this validates input.
import { AppError } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { readEmailAddress } from '../domain/email.js';
import type { AuditEvent, User } from '../domain/types.js';
import { listAuditEventsForUser } from '../db/audit.js';
import type { Queryable } from '../db/queryable.js';
import { searchUsers } from '../db/userDirectory.js';
import type { UserView } from '../db/userStore.js';
import { decodeCursor, encodeCursor } from './organizations.js';

const MAX_PAGE = 100;
const MAX_QUERY_LENGTH = 320;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

function badInput(message: string, reason: string): AppError {
  return new AppError('BAD_USER_INPUT', { message, reason });
}

function pageSize(first: number | null | undefined, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 0) throw badInput('first must be a non-negative integer.', 'INVALID_FIRST');
  return Math.min(value, MAX_PAGE);
}

function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: cursorOf(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

const userCursor = (user: User) => Buffer.from(`user:${user.id}`, 'utf8').toString('base64url');

function decodeUserCursor(cursor: string): string {
  const match = /^user:(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null || !isUuid(match[1]!)) throw badInput('after is not a cursor from this list.', 'INVALID_CURSOR');
  return match[1]!.toLowerCase();
}

/** The user holding this email (a verified holder first), held by the request's view; null when none or malformed. */
export async function lookUpUserByEmail(users: UserView, email: string): Promise<User | null> {
  const address = readEmailAddress(email);
  return address === null ? null : users.findByEmail(address);
}

/** Users by id, filtered by an email or name prefix (case-insensitive); first <= 100. */
export async function listUsers(db: Queryable, args: { first?: number | null; after?: string | null; query?: string | null }): Promise<Page<User>> {
  const limit = pageSize(args.first, 50);
  const afterId = args.after ? decodeUserCursor(args.after) : null;
  const query = args.query?.trim() || null;
  if (query !== null && query.length > MAX_QUERY_LENGTH) throw badInput('query is too long.', 'INVALID_QUERY');
  const rows = await searchUsers(db, { query, afterId, limit: limit + 1 });
  return toPage(rows, limit, userCursor);
}

/** The events whose target is the user, newest first; first <= 100. */
export async function listSecurityEvents(db: Queryable, userId: string, args: { first?: number | null; after?: string | null }): Promise<Page<AuditEvent>> {
  const limit = pageSize(args.first, 20);
  const before = args.after ? decodeCursor(args.after) : null;
  const rows = await listAuditEventsForUser(db, userId, { limit: limit + 1, before });
  return toPage(rows, limit, (event) => encodeCursor(event.id));
}
