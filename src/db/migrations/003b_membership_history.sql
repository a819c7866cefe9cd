-- Every (organization, user) pair that has ever had a membership, whatever created it. JIT
-- membership creates a membership only for a pair not listed here: it adds a member once, and
-- a membership removed by an admin or left by the member is never re-created by a sign-in.
-- The trigger records every insert, so no path that creates memberships can forget it.

create table membership_history (
  organization_id uuid not null references organizations (id) on delete cascade,
  user_id         uuid not null references users (id) on delete cascade,
  first_joined_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
create index membership_history_user_idx on membership_history (user_id);

create function identity_record_membership() returns trigger
language plpgsql as $$
begin
  insert into membership_history (organization_id, user_id)
  values (new.organization_id, new.user_id)
  on conflict do nothing;
  return null;
end
$$;

create trigger memberships_recorded
  after insert on memberships
  for each row
  execute function identity_record_membership();

-- Pairs from before this migration: current members, and members the audit log shows added
-- (and since removed), so that nobody removed earlier comes back at their next sign-in.
insert into membership_history (organization_id, user_id)
select organization_id, user_id from memberships
union
select added.organization_id, added.user_id
  from (select a.organization_id,
               case when (a.details ->> 'userId') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                    then (a.details ->> 'userId')::uuid end as user_id
          from audit_events a
         where a.action = 'membership.added' and a.organization_id is not null) added
 where added.user_id is not null
   and exists (select 1 from organizations o where o.id = added.organization_id)
   and exists (select 1 from users u where u.id = added.user_id)
on conflict do nothing;
