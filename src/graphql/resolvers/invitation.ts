// Invitation, and the mutations that answer or manage one: thin wrappers over the invitation
// service, which holds the rules; here only per-request loader caches are refreshed.
import { AppError } from '../../errors.js';
import type { InvitationResolvers, MutationResolvers } from '../generated/resolvers-types.js';

export const Invitation: InvitationResolvers = {
  async organization(invitation, _args, { loaders }) {
    const organization = await loaders.organization.load(invitation.organizationId);
    if (organization === null) throw new AppError('NOT_FOUND');
    return organization;
  },
  expiresAt: (invitation) => invitation.expiresAt.toISOString(),
};

export const invitationMutations: MutationResolvers = {
  async inviteMember(_parent, { input }, { principal, loaders, services }) {
    const invitation = await services.invitations.invite(principal, input);
    loaders.invitationsByOrganization.clear(invitation.organizationId);
    loaders.invitationsByEmail.clear(invitation.email);
    return invitation;
  },
  async acceptInvitation(_parent, { id }, { principal, loaders, services }) {
    const membership = await services.invitations.accept(principal, id);
    loaders.membershipChanged(membership);
    loaders.invitationsByOrganization.clear(membership.organizationId);
    loaders.invitationsByEmail.clearAll();
    return membership;
  },
  async declineInvitation(_parent, { id }, { principal, loaders, services }) {
    const declined = await services.invitations.decline(principal, id);
    loaders.invitationsByOrganization.clearAll();
    loaders.invitationsByEmail.clearAll();
    return declined;
  },
  async revokeInvitation(_parent, { id }, { principal, loaders, services }) {
    const revoked = await services.invitations.revoke(principal, id);
    loaders.invitationsByOrganization.clearAll();
    loaders.invitationsByEmail.clearAll();
    return revoked;
  },
};
