// Per-request DataLoaders: every entity lookup of one request is batched into one SQL
// statement per type, whatever the number of `_entities` representations.
import DataLoader from 'dataloader';
import { isUuid } from '../domain/ids.js';
import type { ExternalIdentity, Invitation, Membership, Organization, OrganizationSso } from '../domain/types.js';
import { findIdentitiesByUserIds } from '../db/identities.js';
import { findPendingByEmails, findPendingByOrganizationIds } from '../db/invitations.js';
import { findMembershipsByIds, findMembershipsByOrganizationIds, findMembershipsByUserIds, findUsersSharingOrganization } from '../db/memberships.js';
import { findOrganizationsByIds } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { findSsoByDomains, findSsoByExternalOrganization, findSsoByOrganizationIds } from '../db/sso.js';
import { findLastSeen } from '../db/userDirectory.js';

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

/** The loaders one request has made so far (each on first use). */
interface Made {
  membership?: DataLoader<string, Membership | null>;
  organization?: DataLoader<string, Organization | null>;
  identitiesByUser?: DataLoader<string, ExternalIdentity[]>;
  membershipsByUser?: DataLoader<string, Membership[]>;
  membershipsByOrganization?: DataLoader<string, Membership[]>;
  ssoByOrganization?: DataLoader<string, OrganizationSso | null>;
  ssoByDomain?: DataLoader<string, OrganizationSso | null>;
  ssoBySignIn?: DataLoader<string, OrganizationSso | null>;
  sharesOrganizationWithViewer?: DataLoader<string, boolean>;
  invitationsByOrganization?: DataLoader<string, Invitation[]>;
  invitationsByEmail?: DataLoader<string, Invitation[]>;
  lastSeen?: DataLoader<string, Date | null>;
}

/**
 * One request's loaders, each created on first use: most operations touch one or two of them,
 * and every request (anonymous ones included) builds this object. User rows are the user
 * store's (its view, in the context). What they hold is the request's reading of the database:
 * the GraphQL layer resets it after each mutation (resolvers/index.ts), never a resolver.
 */
export class Loaders {
  readonly #db: Queryable;
  readonly #viewerId: string | null;
  readonly #now: () => number;
  #made: Made = {};

  /** `now`: the clock invitations expire by (default Date.now). */
  constructor(db: Queryable, viewerId: string | null, now: () => number = Date.now) {
    this.#db = db;
    this.#viewerId = viewerId;
    this.#now = now;
  }

  /** Forgets everything read so far: what follows reads the database again (after a mutation). */
  reset(): void {
    this.#made = {};
  }

  get membership(): DataLoader<string, Membership | null> {
    return (this.#made.membership ??= byId<Membership>((ids) => findMembershipsByIds(this.#db, ids)));
  }

  get organization(): DataLoader<string, Organization | null> {
    return (this.#made.organization ??= byId<Organization>((ids) => findOrganizationsByIds(this.#db, ids)));
  }

  get identitiesByUser(): DataLoader<string, ExternalIdentity[]> {
    return (this.#made.identitiesByUser ??= groupedBy<ExternalIdentity>((ids) => findIdentitiesByUserIds(this.#db, ids), (row) => row.userId));
  }

  get membershipsByUser(): DataLoader<string, Membership[]> {
    return (this.#made.membershipsByUser ??= groupedBy<Membership>((ids) => findMembershipsByUserIds(this.#db, ids), (row) => row.userId));
  }

  get membershipsByOrganization(): DataLoader<string, Membership[]> {
    return (this.#made.membershipsByOrganization ??= groupedBy<Membership>(
      (ids) => findMembershipsByOrganizationIds(this.#db, ids),
      (row) => row.organizationId,
    ));
  }

  get ssoByOrganization(): DataLoader<string, OrganizationSso | null> {
    return (this.#made.ssoByOrganization ??= new DataLoader<string, OrganizationSso | null>(async (keys) => {
      const rows = await findSsoByOrganizationIds(this.#db, keys.filter(isUuid));
      const found = new Map(rows.map((row) => [row.organizationId, row]));
      return keys.map((key) => found.get(key) ?? null);
    }));
  }

  /** SSO bindings by normalised email domain (authDiscovery: one statement however many aliases ask). */
  get ssoByDomain(): DataLoader<string, OrganizationSso | null> {
    return (this.#made.ssoByDomain ??= new DataLoader<string, OrganizationSso | null>(async (keys) => {
      const found = await findSsoByDomains(this.#db, [...new Set(keys)]);
      return keys.map((key) => found.get(key) ?? null);
    }));
  }

  /**
   * The SSO binding a sign-in's organization claim names, by `issuerName + '\0' + externalOrganizationId`
   * (currentOrganization: one key per request, read once however many aliases ask).
   */
  get ssoBySignIn(): DataLoader<string, OrganizationSso | null> {
    return (this.#made.ssoBySignIn ??= new DataLoader<string, OrganizationSso | null>((keys) =>
      Promise.all(
        keys.map((key) => {
          const at = key.indexOf('\0');
          return findSsoByExternalOrganization(this.#db, key.slice(0, at), key.slice(at + 1));
        }),
      ),
    ));
  }

  /** Pending, unexpired invitations of an organization. */
  get invitationsByOrganization(): DataLoader<string, Invitation[]> {
    return (this.#made.invitationsByOrganization ??= groupedBy<Invitation>(
      (ids) => findPendingByOrganizationIds(this.#db, ids, new Date(this.#now())),
      (row) => row.organizationId,
    ));
  }

  /** Pending, unexpired invitations to a (normalised) email address. */
  get invitationsByEmail(): DataLoader<string, Invitation[]> {
    return (this.#made.invitationsByEmail ??= new DataLoader<string, Invitation[]>(async (emails) => {
      const rows = await findPendingByEmails(this.#db, emails, new Date(this.#now()));
      return emails.map((email) => rows.filter((row) => row.email === email));
    }));
  }

  /** When each user was last seen (User.lastSeenAt). */
  get lastSeen(): DataLoader<string, Date | null> {
    return (this.#made.lastSeen ??= new DataLoader<string, Date | null>(async (keys) => {
      const seen = await findLastSeen(this.#db, keys.filter(isUuid));
      return keys.map((key) => seen.get(key) ?? null);
    }));
  }

  /** Whether a user shares an organization with the viewer (email visibility). */
  get sharesOrganizationWithViewer(): DataLoader<string, boolean> {
    return (this.#made.sharesOrganizationWithViewer ??= new DataLoader<string, boolean>(async (keys) => {
      const viewerId = this.#viewerId;
      if (viewerId === null) return keys.map(() => false);
      const sharing = await findUsersSharingOrganization(this.#db, viewerId, keys.filter(isUuid));
      return keys.map((key) => sharing.has(key));
    }));
  }
}
