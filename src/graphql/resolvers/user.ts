// User: the canonical person. Fields enforce visibility: email, identities, memberships. The
// others (id, name, emailVerified) are the row's own: no resolver, so compiled execution reads them
// directly (a resolver costs a resolve-info object per user, and a router asks for hundreds).
import { canSeeAllMemberships, canSeeEmail, canSeeIdentities, isKeyLimited, isSelf } from '../../domain/policy.js';
import { viewerOrganizations } from './organization.js';
import type { UserResolvers } from '../generated/resolvers-types.js';
import type { LoaderContext } from '../context.js';

/** Reads only through the request's view and loaders (LoaderContext): outside the operation's scope (resolvers/index.ts). */
export const User: UserResolvers<LoaderContext> = {
  __resolveReference: (reference, { users }) => users.get(String((reference as { id?: unknown }).id ?? '')),
  // Synchronous when no lookup is needed (self, users:read): no promise for the common case.
  email(user, _args, { principal, loaders, emailSuppliedFor }) {
    if (user.email === null) return null;
    if (canSeeEmail(principal, user.id, false, emailSuppliedFor.has(user.id))) return user.email;
    // Through an API key: only the organizations the key reaches count.
    if (isKeyLimited(principal)) {
      return Promise.all([viewerOrganizations(principal, loaders), loaders.membershipsByUser.load(user.id)]).then(([mine, theirs]) =>
        canSeeEmail(principal, user.id, theirs.some((m) => mine.has(m.organizationId))) ? user.email : null,
      );
    }
    // Sharing an organization decides only for another user: a service shares none.
    if (principal.kind !== 'user') return null;
    return loaders.sharesOrganizationWithViewer.load(user.id).then((shares) => (canSeeEmail(principal, user.id, shares) ? user.email : null));
  },
  impersonator: (user, _args, { principal }) => (isSelf(principal, user.id) && principal.kind === 'user' ? principal.impersonator : null),
  async identities(user, _args, { principal, loaders }) {
    if (!canSeeIdentities(principal, user.id)) return [];
    return loaders.identitiesByUser.load(user.id);
  },
  // The viewer's own, by their verified address only: an unproved copy of an email sees nothing.
  async invitations(user, _args, { principal, loaders }) {
    if (!isSelf(principal, user.id) || !user.emailVerified || user.email === null) return [];
    return loaders.invitationsByEmail.load(user.email);
  },
  async memberships(user, _args, { principal, loaders }) {
    const memberships = await loaders.membershipsByUser.load(user.id);
    if (canSeeAllMemberships(principal, user.id)) return memberships;
    // Others see only memberships in organizations they belong to themselves (through an API
    // key: those it reaches); services none.
    const mine = await viewerOrganizations(principal, loaders);
    return memberships.filter((m) => mine.has(m.organizationId));
  },
};

