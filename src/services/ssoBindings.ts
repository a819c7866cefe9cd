// SSO bindings (issuer, external organization, connection, domains, JIT role), set by services
// only, and the public discovery of how an email signs in.
import { AppError, authenticationRequired, badInput } from '../errors.js';
import { isUuid } from '../domain/ids.js';
import { emailDomain, normalizeDomain, requireEmail } from '../domain/email.js';
import { isOrganizationAdmin } from '../domain/policy.js';
import type { MembershipRole, Organization, OrganizationSso, Principal } from '../domain/types.js';
import { appendAudit } from '../db/audit.js';
import { isUniqueViolation } from '../db/errors.js';
import { lockOrganization } from '../db/organizations.js';
import type { Database } from '../db/queryable.js';
import { replaceDomains, upsertSso } from '../db/sso.js';
import { actorOf, cleanDomains, optionalText, organizationNotFound } from './guards.js';

export interface AuthDiscoveryResult {
  method: 'SSO' | 'PASSWORDLESS';
  organizationId: string | null;
  issuer: string | null;
  connection: string | null;
}

export interface SetSsoInput {
  organizationId: string;
  issuer: string;
  externalOrganizationId?: string | null;
  connection?: string | null;
  domains: readonly string[];
  jitRole?: MembershipRole | null;
}

export interface SsoService {
  /** Services holding organizations:admin. @throws FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, CONFLICT (domain_taken, external_organization_taken) */
  setOrganizationSso(principal: Principal, input: SetSsoInput): Promise<Organization>;
  /**
   * Public. `findByDomain` is the request's batched lookup (one statement per request).
   * @throws BAD_USER_INPUT for a malformed email.
   */
  discover(email: string, findByDomain: (domain: string) => Promise<OrganizationSso | null>): Promise<AuthDiscoveryResult>;
}

export interface SsoServiceDeps {
  db: Database;
  issuerNames: ReadonlySet<string>;
  /** Told after a binding change commits (emailTrust "ssoDomain" drops the bindings it holds). */
  onSsoChanged?: () => void;
}

export function createSsoService(deps: SsoServiceDeps): SsoService {
  const { db } = deps;
  return {
    async setOrganizationSso(principal, input) {
      if (principal.kind === 'anonymous') throw authenticationRequired();
      // Users never bind domains, owners included (policy.ts says why).
      if (!isOrganizationAdmin(principal)) {
        throw new AppError('FORBIDDEN', { message: 'Only a service holding organizations:admin can bind SSO.', reason: 'missing_scope' });
      }
      if (!deps.issuerNames.has(input.issuer)) throw badInput('issuer is not the name of a configured issuer.', 'unknown_issuer');
      const domains = cleanDomains(input.domains);
      const binding = {
        organizationId: input.organizationId,
        issuerName: input.issuer,
        externalOrganizationId: optionalText(input.externalOrganizationId),
        connection: optionalText(input.connection),
        jitRole: input.jitRole ?? 'MEMBER',
      };
      if (!isUuid(input.organizationId)) throw organizationNotFound();
      const actor = actorOf(principal);
      try {
        const organization = await db.transaction(async (tx) => {
          const organization = await lockOrganization(tx, input.organizationId);
          if (organization === null) throw organizationNotFound();
          await upsertSso(tx, binding);
          await replaceDomains(tx, organization.id, domains);
          await appendAudit(tx, actor, {
            action: 'sso.set',
            targetType: 'Organization',
            targetId: organization.id,
            organizationId: organization.id,
            details: { issuer: binding.issuerName, externalOrganizationId: binding.externalOrganizationId, connection: binding.connection, domains, jitRole: binding.jitRole },
          });
          return organization;
        });
        deps.onSsoChanged?.();
        return organization;
      } catch (error) {
        // The keys are the last word, also when two services bind the same domain at once.
        if (isUniqueViolation(error, 'organization_domains_pkey')) {
          throw new AppError('CONFLICT', { message: 'A domain is already bound to another organization.', reason: 'domain_taken', cause: error });
        }
        if (isUniqueViolation(error, 'organization_sso_external_key')) {
          throw new AppError('CONFLICT', {
            message: 'This external organization is already bound to another organization.',
            reason: 'external_organization_taken',
            cause: error,
          });
        }
        throw error;
      }
    },

    async discover(raw, findByDomain) {
      const email = requireEmail(raw);
      const binding = await findByDomain(normalizeDomain(emailDomain(email)));
      if (binding === null) return { method: 'PASSWORDLESS', organizationId: null, issuer: null, connection: null };
      return { method: 'SSO', organizationId: binding.organizationId, issuer: binding.issuerName, connection: binding.connection };
    },
  };
}
