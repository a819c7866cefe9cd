-- Operators and personal workspaces (api-keys.md). The status itself is users.is_operator
-- (migration 007b); replicas keep user rows in memory, so a change to it is announced at commit
-- like a profile change (migration 002's channel): granting and revoking reach every replica's
-- requests within the heartbeat. `npm run operators -- list` reads the partial index.

create trigger users_operator_changed
  after update on users
  for each row
  when (old.is_operator is distinct from new.is_operator)
  execute function identity_announce_users_changed();

create index users_operators_idx on users (id) where is_operator;
