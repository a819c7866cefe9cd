// Per-request DataLoaders: every entity lookup of one request is batched into one SQL
// statement per type, whatever the number of `_entities` representations.
import DataLoader from 'dataloader';
import { isUuid } from '../domain/ids.js';
import type { ExternalIdentity, Invitation, Membership, Organization, OrganizationSso, User } from '../domain/types.js';
import { findIdentitiesByUserIds } from '../db/identities.js';
import { findPendingByEmails, findPendingByOrganizationIds } from '../db/invitations.js';
import { findMembershipsByIds, findMembershipsByOrganizationIds, findMembershipsByUserIds, findUsersSharingOrganization } from '../db/memberships.js';
import { findOrganizationsByIds } from '../db/organizations.js';
import type { Queryable } from '../db/queryable.js';
import { findSsoByDomains, findSsoByOrganizationIds } from '../db/sso.js';
import type { UserRowCache } from '../db/userCache.js';
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

/**
 * The user rows one request holds, by id: one slot (the viewer, every request) before a map.
 */
class HeldUsers {
  #one: User | undefined;
  #more: Map<string, User> | undefined;

  get(id: string): User | undefined {
    return this.#one?.id === id ? this.#one : this.#more?.get(id);
  }

  hold(user: User): void {
    if (this.#one === undefined || this.#one.id === user.id) this.#one = user;
    else (this.#more ??= new Map()).set(user.id, user);
  }

  drop(id: string): void {
    if (this.#one?.id === id) this.#one = undefined;
    this.#more?.delete(id);
  }
}

/**
 * One request's loaders, each created on first use: most operations touch one or two of them,
 * and every request (anonymous ones included) builds this object.
 */
export class Loaders {
  readonly #db: Queryable;
  readonly #userRows: UserRowCache;
  // The one place a user row lives during a request: what the loader, the process's row cache
  // or identity resolution handed it, so every field of the request sees one copy.
  readonly #users = new HeldUsers();
  readonly #viewerId: string | null;
  readonly #now: () => number;
  #user?: DataLoader<string, User | null>;
  #membership?: DataLoader<string, Membership | null>;
  #organization?: DataLoader<string, Organization | null>;
  #identitiesByUser?: DataLoader<string, ExternalIdentity[]>;
  #membershipsByUser?: DataLoader<string, Membership[]>;
  #membershipsByOrganization?: DataLoader<string, Membership[]>;
  #ssoByOrganization?: DataLoader<string, OrganizationSso | null>;
  #ssoByDomain?: DataLoader<string, OrganizationSso | null>;
  #sharesOrganizationWithViewer?: DataLoader<string, boolean>;
  #invitationsByOrganization?: DataLoader<string, Invitation[]>;
  #invitationsByEmail?: DataLoader<string, Invitation[]>;
  #lastSeen?: DataLoader<string, Date | null>;

  /** `now`: the clock invitations expire by (default Date.now). */
  constructor(db: Queryable, userRows: UserRowCache, viewerId: string | null, now: () => number = Date.now) {
    this.#db = db;
    this.#userRows = userRows;
    this.#viewerId = viewerId;
    this.#now = now;
  }

  get user(): DataLoader<string, User | null> {
    return (this.#user ??= byId<User>(async (ids) => {
      const found: User[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const held = this.#users.get(id);
        if (held !== undefined) found.push(held);
        else missing.push(id);
      }
      if (missing.length > 0) {
        for (const user of await this.#userRows.findByIds(missing)) {
          this.#users.hold(user);
          found.push(user);
        }
      }
      return found;
    }));
  }

  /**
   * The user's row when this request or the process's row cache holds a current one, else
   * undefined: resolvers answer synchronously then, without a DataLoader tick (the viewer, every request).
   */
  cachedUser(id: string): User | undefined {
    const held = this.#users.get(id);
    if (held !== undefined) return held;
    const cached = this.#userRows.peek(id);
    if (cached !== undefined) this.#users.hold(cached);
    return cached;
  }

  /** A row this request read or wrote elsewhere (identity resolution, a mutation): its fields answer from it. */
  holdUser(user: User): void {
    this.#users.hold(user);
    this.#user?.clear(user.id);
  }

  /** After a membership was added or changed: its lists and the viewer's shared-organization answers are read again. */
  membershipChanged(membership: Membership): void {
    this.membership.clear(membership.id).prime(membership.id, membership);
    this.membershipsByOrganization.clear(membership.organizationId);
    this.membershipsByUser.clear(membership.userId);
    this.sharesOrganizationWithViewer.clearAll();
  }

  /** After a change to a user, this request reads the row again. */
  forgetUser(id: string): void {
    this.#users.drop(id);
    this.#user?.clear(id);
  }

  get membership(): DataLoader<string, Membership | null> {
    return (this.#membership ??= byId<Membership>((ids) => findMembershipsByIds(this.#db, ids)));
  }

  get organization(): DataLoader<string, Organization | null> {
    return (this.#organization ??= byId<Organization>((ids) => findOrganizationsByIds(this.#db, ids)));
  }

  get identitiesByUser(): DataLoader<string, ExternalIdentity[]> {
    return (this.#identitiesByUser ??= groupedBy<ExternalIdentity>((ids) => findIdentitiesByUserIds(this.#db, ids), (row) => row.userId));
  }

  get membershipsByUser(): DataLoader<string, Membership[]> {
    return (this.#membershipsByUser ??= groupedBy<Membership>((ids) => findMembershipsByUserIds(this.#db, ids), (row) => row.userId));
  }

  get membershipsByOrganization(): DataLoader<string, Membership[]> {
    return (this.#membershipsByOrganization ??= groupedBy<Membership>(
      (ids) => findMembershipsByOrganizationIds(this.#db, ids),
      (row) => row.organizationId,
    ));
  }

  get ssoByOrganization(): DataLoader<string, OrganizationSso | null> {
    return (this.#ssoByOrganization ??= new DataLoader<string, OrganizationSso | null>(async (keys) => {
      const rows = await findSsoByOrganizationIds(this.#db, keys.filter(isUuid));
      const found = new Map(rows.map((row) => [row.organizationId, row]));
      return keys.map((key) => found.get(key) ?? null);
    }));
  }

  /** SSO bindings by normalised email domain (authDiscovery: one statement however many aliases ask). */
  get ssoByDomain(): DataLoader<string, OrganizationSso | null> {
    return (this.#ssoByDomain ??= new DataLoader<string, OrganizationSso | null>(async (keys) => {
      const found = await findSsoByDomains(this.#db, [...new Set(keys)]);
      return keys.map((key) => found.get(key) ?? null);
    }));
  }

  /** Pending, unexpired invitations of an organization. */
  get invitationsByOrganization(): DataLoader<string, Invitation[]> {
    return (this.#invitationsByOrganization ??= groupedBy<Invitation>(
      (ids) => findPendingByOrganizationIds(this.#db, ids, new Date(this.#now())),
      (row) => row.organizationId,
    ));
  }

  /** Pending, unexpired invitations to a (normalised) email address. */
  get invitationsByEmail(): DataLoader<string, Invitation[]> {
    return (this.#invitationsByEmail ??= new DataLoader<string, Invitation[]>(async (emails) => {
      const rows = await findPendingByEmails(this.#db, emails, new Date(this.#now()));
      return emails.map((email) => rows.filter((row) => row.email === email));
    }));
  }

  /** When each user was last seen (User.lastSeenAt). */
  get lastSeen(): DataLoader<string, Date | null> {
    return (this.#lastSeen ??= new DataLoader<string, Date | null>(async (keys) => {
      const seen = await findLastSeen(this.#db, keys.filter(isUuid));
      return keys.map((key) => seen.get(key) ?? null);
    }));
  }

  /** Whether a user shares an organization with the viewer (email visibility). */
  get sharesOrganizationWithViewer(): DataLoader<string, boolean> {
    return (this.#sharesOrganizationWithViewer ??= new DataLoader<string, boolean>(async (keys) => {
      const viewerId = this.#viewerId;
      if (viewerId === null) return keys.map(() => false);
      const sharing = await findUsersSharingOrganization(this.#db, viewerId, keys.filter(isUuid));
      return keys.map((key) => sharing.has(key));
    }));
  }
}
