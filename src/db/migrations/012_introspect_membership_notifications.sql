-- Replicas keep users' scopes (`user`, `org:<id>:<role>`) in memory for the Router coprocessor
-- and token introspection (src/services/scopes.ts). Every change to memberships is announced at
-- commit on the channel user-row changes use (migration 002), so every replica drops what it
-- holds; several changes in one transaction are one notification.

create trigger memberships_changed
  after insert or update or delete on memberships
  for each statement
  execute function identity_announce_users_changed();

create trigger memberships_truncated
  after truncate on memberships
  for each statement
  execute function identity_announce_users_changed();
