// SQL of a first sign-in: binding a never-seen external identity, each outcome in ONE statement
// (atomic on its own: user, identity, audit rows and JIT membership commit together, without
// BEGIN/COMMIT round trips). A lost race fails it with a unique violation; the caller retries.
import type { User, UserClaims } from '../domain/types.js';
import type { Queryable } from './queryable.js';
import { toUser, userColumnsOf, type NewUser, type UserRow } from './users.js';

/**
 * The identity to bind: the token's claims (recorded on the identity; `provider` is also the
 * SSO binding's issuer name, `externalOrganizationId` the binding's organization) and the ids
 * of the rows it may create.
 */
export type NewIdentity = Pick<
  UserClaims,
  'provider' | 'issuer' | 'subject' | 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName' | 'externalOrganizationId'
> & {
  identityId: string;
  /** Id of the JIT membership, if one is created. */
  membershipId: string;
};

/**
 * JIT membership, following from a CTE `identity(id, user_id)`: the CTEs `binding` (the SSO
 * binding the token's organization claim names), `membership` and its audit row. A membership is
 * created only for an (organization, user) pair that never had one (membership_history): JIT
 * adds a member once, and a removed or departed member is never re-created by a sign-in. The
 * arguments are the statement's placeholders.
 */
function jitMembership(p: { provider: string; externalOrganizationId: string; membershipId: string; via: string }): string {
  return `
  binding as (
    select organization_id, jit_role from organization_sso
     where ${p.externalOrganizationId}::text is not null and issuer_name = ${p.provider} and external_organization_id = ${p.externalOrganizationId}
  ),
  membership as (
    insert into memberships (id, organization_id, user_id, role)
    select ${p.membershipId}, binding.organization_id, identity.user_id, binding.jit_role from binding cross join identity
     where not exists (select 1 from membership_history h
                        where h.organization_id = binding.organization_id and h.user_id = identity.user_id)
    on conflict (organization_id, user_id) do nothing
    returning id, organization_id, user_id, role
  ),
  membership_audit as (
    insert into audit_events (actor_type, actor_id, action, target_type, target_id, organization_id, details)
    select 'user', user_id, 'membership.added', 'Membership', id, organization_id,
           jsonb_build_object('userId', user_id, 'role', role, 'via', ${p.via}::text)
      from membership
  )`;
}

// The identity, its `identity.linked` audit row and the JIT membership (with its audit row),
// all following from the CTE `bound(user_id, joined_by_email)` that the statements below define.
// Parameters $1-$12 are the identity's (identityParams); the callers' own start at $13.
const BIND_IDENTITY = `
  identity as (
    insert into identities (id, user_id, provider, issuer, subject, email, email_verified, name, given_name, family_name)
    select $1, bound.user_id, $2, $3, $4, $5, $6, $7, $11, $12 from bound
    returning id, user_id
  ),
  identity_audit as (
    insert into audit_events (actor_type, actor_id, action, target_type, target_id, details)
    select 'user', identity.user_id, 'identity.linked', 'User', identity.user_id,
           jsonb_build_object('provider', $2::text, 'identityId', identity.id, 'joinedByEmail', bound.joined_by_email)
      from identity cross join bound
  ),${jitMembership({ provider: '$2', externalOrganizationId: '$8', membershipId: '$9', via: '$10' })}`;

function identityParams(identity: NewIdentity): unknown[] {
  return [
    identity.identityId,
    identity.provider,
    identity.issuer,
    identity.subject,
    identity.email,
    identity.emailVerified,
    identity.name,
    identity.externalOrganizationId,
    identity.membershipId,
    'sso_jit',
    identity.givenName,
    identity.familyName,
  ];
}

export type CreateOutcome = { created: true; user: User } | { created: false; holder: User };

/**
 * A personal workspace (PERSONAL_ORGANIZATIONS): an organization the new user OWNs, created by
 * the statement that creates the user, so exactly once, whichever request wins the race.
 */
export interface NewWorkspace {
  organizationId: string;
  membershipId: string;
  name: string;
}

// The workspace, its OWNER membership and their audit rows (actor `system`), following from the
// CTE `new_user`: nothing when no user is created or $19 is null. Parameters $19-$21.
const PERSONAL_WORKSPACE = `
  workspace as (
    insert into organizations (id, name)
    select $19::uuid, $20::text from new_user where $19::uuid is not null
    returning id, name
  ),
  workspace_owner as (
    insert into memberships (id, organization_id, user_id, role)
    select $21::uuid, workspace.id, new_user.id, 'OWNER' from workspace cross join new_user
    returning id, organization_id, user_id
  ),
  workspace_audit as (
    insert into audit_events (actor_type, actor_id, action, target_type, target_id, organization_id, details)
    select 'system', null, 'organization.created', 'Organization', id, id,
           jsonb_build_object('name', name, 'via', 'personal_workspace')
      from workspace
    union all
    select 'system', null, 'membership.added', 'Membership', id, organization_id,
           jsonb_build_object('userId', user_id, 'role', 'OWNER', 'via', 'personal_workspace')
      from workspace_owner
  ),`;

/**
 * Creates the user with the identity (and `workspace`, when given), unless a user already holds
 * `user.email` verified: then nothing is written and that holder is returned, for the linking
 * rule to decide.
 */
export async function createUserWithIdentity(
  db: Queryable,
  user: NewUser,
  identity: NewIdentity,
  workspace: NewWorkspace | null = null,
): Promise<CreateOutcome> {
  const rows = await db.query<UserRow & { created: boolean }>(
    `with holder as (
       select ${userColumnsOf('users')} from users
        where $14::text is not null and email = $14 and email_verified and status <> 'deleted'
     ),
     new_user as (
       insert into users (id, email, email_verified, name, given_name, family_name, last_seen_at)
       select $13, $14, $15, $16, $17, $18, now() where not exists (select 1 from holder)
       returning ${userColumnsOf('users')}
     ),
     bound as (select id as user_id, false as joined_by_email from new_user),
     user_audit as (
       insert into audit_events (actor_type, actor_id, action, target_type, target_id, details)
       select 'user', id, 'user.provisioned', 'User', id, jsonb_build_object('provider', $2::text) from new_user
     ),${PERSONAL_WORKSPACE}
     ${BIND_IDENTITY}
     select true as created, new_user.* from new_user
     union all
     select false as created, holder.* from holder`,
    [
      ...identityParams(identity),
      user.id,
      user.email,
      user.emailVerified,
      user.name,
      user.givenName ?? null,
      user.familyName ?? null,
      workspace?.organizationId ?? null,
      workspace?.name ?? null,
      workspace?.membershipId ?? null,
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('provisioning statement returned no row');
  return row.created ? { created: true, user: toUser(row) } : { created: false, holder: toUser(row) };
}

/**
 * Binds the identity to an existing user who still holds `email` verified (locked until the
 * statement commits). False when they no longer do: the caller decides again.
 */
export async function linkIdentityToHolder(db: Queryable, holder: { id: string; email: string }, identity: NewIdentity): Promise<boolean> {
  const rows = await db.query(
    `with bound as (
       select id as user_id, true as joined_by_email from users
        where id = $13 and email = $14 and email_verified and status = 'active'
        for update
     ),
     ${BIND_IDENTITY}
     select user_id from identity`,
    [...identityParams(identity), holder.id, holder.email],
  );
  return rows.length === 1;
}

/**
 * JIT membership for a known identity seen with an organization claim (a later sign-in or
 * resync): the same rule, in one statement. True when it created a membership.
 */
export async function grantJitMembership(
  db: Queryable,
  grant: { userId: string; provider: string; externalOrganizationId: string; membershipId: string },
): Promise<boolean> {
  const rows = await db.query(
    `with identity as (select null::uuid as id, $1::uuid as user_id),
     ${jitMembership({ provider: '$2', externalOrganizationId: '$3', membershipId: '$4', via: '$5' })}
     select id from membership`,
    [grant.userId, grant.provider, grant.externalOrganizationId, grant.membershipId, 'sso_jit'],
  );
  return rows.length === 1;
}
