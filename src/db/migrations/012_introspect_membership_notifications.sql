-- Replicas keep users' scopes (`user`, `org:<id>:<role>`) in memory for the Router coprocessor
-- and token introspection (src/services/scopes.ts). Every change to memberships is announced at
-- commit on a channel of its own (user rows keep theirs, migration 002), with the schema as
-- payload, so every replica drops the scopes it holds (src/db/userChanges.ts); several changes in
-- one transaction are one notification.

create function identity_announce_memberships_changed() returns trigger
language plpgsql as $$
begin
  perform pg_notify('identity_memberships_changed', current_schema());
  return null;
end
$$;

create trigger memberships_changed
  after insert or update or delete on memberships
  for each statement
  execute function identity_announce_memberships_changed();

create trigger memberships_truncated
  after truncate on memberships
  for each statement
  execute function identity_announce_memberships_changed();
