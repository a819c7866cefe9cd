// Per-request DataLoaders: every entity lookup of one request is batched into one SQL
// statement per type, whatever the number of `_entities` representations.
import DataLoader from 'dataloader';
import { isUuid } from '../domain/ids.js';
import type { ExternalIdentity, Membership, Organization, OrganizationSso, User } from '../domain/types.js';
import { findIdentitiesByUserIds } from '../db/identities.js';
import { findMembershipsByIds, findMembershipsByOrganizationIds, findMembershipsByUserIds, findUsersSharingOrganization } from '../db/memberships.js';
import { findOrganizationsByIds } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { findSsoByOrganizationIds } from '../db/sso.js';
import { userRowCacheFor } from '../db/userCache.js';

/** A loader of rows by id: malformed ids resolve to null without reaching the database. */
function byId<T extends { id: string }>(fetch: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    async (keys) => {
      const ids = [...new Set(keys.filter(isUuid).map((k) => k.toLowerCase()))];
      const rows = ids.length === 0 ? [] : await fetch(ids);
      const found = new Map(rows.map((row) => [row.id, row]));
      return keys.map((key) => (isUuid(key) ? (found.get(key.toLowerCase()) ?? null) : null));
    },
    { maxBatchSize: 1000 },
  );
}

/** A loader of lists grouped by a foreign key. */
function groupedBy<T>(fetch: (ids: string[]) => Promise<T[]>, keyOf: (row: T) => string): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const ids = [...new Set(keys.filter(isUuid))];
    const rows = ids.length === 0 ? [] : await fetch(ids);
    const groups = new Map<string, T[]>();
    for (const row of rows) {
      const list = groups.get(keyOf(row));
      if (list) list.push(row);
      else groups.set(keyOf(row), [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}

export function createLoaders(db: Queryable, viewerId: string | null) {
  return {
    user: byId<User>((ids) => userRowCacheFor(db).findByIds(ids)),
    membership: byId<Membership>((ids) => findMembershipsByIds(db, ids)),
    organization: byId<Organization>((ids) => findOrganizationsByIds(db, ids)),
    identitiesByUser: groupedBy<ExternalIdentity>((ids) => findIdentitiesByUserIds(db, ids), (row) => row.userId),
    membershipsByUser: groupedBy<Membership>((ids) => findMembershipsByUserIds(db, ids), (row) => row.userId),
    membershipsByOrganization: groupedBy<Membership>((ids) => findMembershipsByOrganizationIds(db, ids), (row) => row.organizationId),
    ssoByOrganization: new DataLoader<string, OrganizationSso | null>(async (keys) => {
      const rows = await findSsoByOrganizationIds(db, keys.filter(isUuid));
      const found = new Map(rows.map((row) => [row.organizationId, row]));
      return keys.map((key) => found.get(key) ?? null);
    }),
    /** Whether a user shares an organization with the viewer (email visibility). */
    sharesOrganizationWithViewer: new DataLoader<string, boolean>(async (keys) => {
      if (viewerId === null) return keys.map(() => false);
      const sharing = await findUsersSharingOrganization(db, viewerId, keys.filter(isUuid));
      return keys.map((key) => sharing.has(key));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
