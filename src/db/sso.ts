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

const SSO_COLUMNS = `s.organization_id, s.issuer_name, s.external_organization_id, s.connection, s.jit_role,
         coalesce((select array_agg(d.domain order by d.domain) from organization_domains d
                    where d.organization_id = s.organization_id), '{}') as domains`;
const SELECT_SSO = `select ${SSO_COLUMNS} from organization_sso s`;

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

/** The bindings of these email domains, by domain (absent: no binding), in one statement. */
export async function findSsoByDomains(db: Queryable, domains: readonly string[]): Promise<Map<string, OrganizationSso>> {
  if (domains.length === 0) return new Map();
  const rows = await db.query<SsoRow & { matched_domain: string }>(
    `select m.domain as matched_domain, ${SSO_COLUMNS}
       from organization_domains m join organization_sso s on s.organization_id = m.organization_id
      where m.domain = any($1::text[])`,
    [domains],
  );
  return new Map(rows.map((row) => [row.matched_domain, toOrganizationSso(row)]));
}

/**
 * The domains of every binding of these issuers that names an external organization, keyed
 * `issuerName\0externalOrganizationId` (emailTrust "ssoDomain"): one statement.
 */
export async function findBoundDomains(db: Queryable, issuerNames: readonly string[]): Promise<Map<string, Set<string>>> {
  const bound = new Map<string, Set<string>>();
  if (issuerNames.length === 0) return bound;
  const rows = await db.query<{ issuer_name: string; external_organization_id: string; domain: string }>(
    `select s.issuer_name, s.external_organization_id, d.domain
       from organization_sso s join organization_domains d on d.organization_id = s.organization_id
      where s.external_organization_id is not null and s.issuer_name = any($1::text[])`,
    [issuerNames],
  );
  for (const row of rows) {
    const key = bindingKey(row.issuer_name, row.external_organization_id);
    let domains = bound.get(key);
    if (domains === undefined) bound.set(key, (domains = new Set()));
    domains.add(row.domain);
  }
  return bound;
}

/** The key of a binding by (issuer name, external organization id). */
export function bindingKey(issuerName: string, externalOrganizationId: string): string {
  return `${issuerName}\u0000${externalOrganizationId}`;
}

/**
 * Creates or replaces an organization's SSO binding. The unique key
 * (issuer_name, external_organization_id) refuses a pair bound to another organization.
 */
export async function upsertSso(
  db: Queryable,
  binding: { organizationId: string; issuerName: string; externalOrganizationId: string | null; connection: string | null; jitRole: MembershipRole },
): Promise<void> {
  await db.query(
    `insert into organization_sso (organization_id, issuer_name, external_organization_id, connection, jit_role)
     values ($1, $2, $3, $4, $5)
     on conflict (organization_id) do update set
       issuer_name = excluded.issuer_name,
       external_organization_id = excluded.external_organization_id,
       connection = excluded.connection,
       jit_role = excluded.jit_role,
       updated_at = now()`,
    [binding.organizationId, binding.issuerName, binding.externalOrganizationId, binding.connection, binding.jitRole],
  );
}

/**
 * Replaces an organization's domain set. The primary key on `domain` refuses a domain bound
 * to another organization (unique violation on organization_domains_pkey), also under a race.
 */
export async function replaceDomains(db: Queryable, organizationId: string, domains: readonly string[]): Promise<void> {
  await db.query('delete from organization_domains where organization_id = $1', [organizationId]);
  if (domains.length === 0) return;
  await db.query(
    'insert into organization_domains (domain, organization_id) select unnest($1::text[]), $2',
    [domains, organizationId],
  );
}
