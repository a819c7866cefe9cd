// A user's scopes, from this database only: `user`, then `org:<organizationId>:<role>` per
// membership. One implementation for the Router coprocessor's claims and platform tokens.
import { findMembershipsByUserIds } from '../db/memberships.js';
import type { Queryable } from '../db/queryable.js';

export async function findUserScopes(db: Queryable, userId: string): Promise<string[]> {
  const memberships = await findMembershipsByUserIds(db, [userId]);
  return ['user', ...memberships.map((m) => `org:${m.organizationId}:${m.role}`)];
}
