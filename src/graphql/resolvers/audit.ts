// AuditEvent and OrganizationSso: domain values mapped to their GraphQL shapes.
import type { AuditEventResolvers, OrganizationSsoResolvers } from '../generated/resolvers-types.js';

export const AuditEvent: AuditEventResolvers = {
  occurredAt: (event) => event.occurredAt.toISOString(),
  actorType: (event) => event.actor.type,
  actorId: (event) => event.actor.id,
  impersonator: (event) => event.actor.impersonator,
  details: (event) => JSON.stringify(event.details),
};

export const OrganizationSso: OrganizationSsoResolvers = {
  issuer: (sso) => sso.issuerName,
};
