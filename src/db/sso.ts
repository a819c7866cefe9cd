// SQL of SSO bindings: organization_sso (issuer, external organization, connection, JIT role)
// and organization_domains (a domain belongs to at most one organization).
import type { MembershipRole, OrganizationSso } from '../domain/types.js';
import type { Queryable } from './queryable.js';

interface SsoRow {
  organization_id: string;
  issuer_name: string;
  external_organization_id: string | null;
  connection: string | null;
  jit_role: MembershipRole;
  domains: string[] | null;
}

const SELECT_SSO = `select s.organization_id, s.issuer_name, s.external_organization_id, s.connection, s.jit_role,
         coalesce((select array_agg(d.domain order by d.domain) from organization_domains d
                    where d.organization_id = s.organization_id), '{}') as domains
    from organization_sso s`;

export function toOrganizationSso(row: SsoRow): OrganizationSso {
  return {
    organizationId: row.organization_id,
    issuerName: row.issuer_name,
    externalOrganizationId: row.external_organization_id,
    connection: row.connection,
    jitRole: row.jit_role,
    domains: row.domains ?? [],
  };
}

/** The binding for a token's organization claim (same issuer, same external organization). */
export async function findSsoByExternalOrganization(
  db: Queryable,
  issuerName: string,
  externalOrganizationId: string,
): Promise<OrganizationSso | null> {
  const rows = await db.query<SsoRow>(
    `${SELECT_SSO} where s.issuer_name = $1 and s.external_organization_id = $2`,
    [issuerName, externalOrganizationId],
  );
  return rows[0] ? toOrganizationSso(rows[0]) : null;
}

export async function findSsoByOrganizationIds(db: Queryable, organizationIds: readonly string[]): Promise<OrganizationSso[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db.query<SsoRow>(`${SELECT_SSO} where s.organization_id = any($1::uuid[])`, [organizationIds]);
  return rows.map(toOrganizationSso);
}

export async function findSsoByDomain(db: Queryable, domain: string): Promise<OrganizationSso | null> {
  const rows = await db.query<SsoRow>(
    `${SELECT_SSO} join organization_domains d on d.organization_id = s.organization_id where d.domain = $1`,
    [domain],
  );
  return rows[0] ? toOrganizationSso(rows[0]) : null;
}
