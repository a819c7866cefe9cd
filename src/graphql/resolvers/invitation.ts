// Invitation, and the mutations that answer or manage one: thin wrappers over the invitation
// service, which holds the rules.
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
  inviteMember: (_parent, { input }, { principal, services }) => services.invitations.invite(principal, input),
  acceptInvitation: (_parent, { id }, { principal, services }) => services.invitations.accept(principal, id),
  declineInvitation: (_parent, { id }, { principal, services }) => services.invitations.decline(principal, id),
  revokeInvitation: (_parent, { id }, { principal, services }) => services.invitations.revoke(principal, id),
};
