-- Replicas keep recently read user rows in memory. Every change to what they keep (email,
-- email_verified, name; a deleted row) is announced at commit on one channel, with the schema
-- as payload, so every replica drops what it holds (src/db/userChanges.ts). last_seen_at stamps
-- are not announced: no replica keeps them. Several changes in one transaction are one
-- notification (PostgreSQL folds identical ones).

create function identity_announce_users_changed() returns trigger
language plpgsql as $$
begin
  perform pg_notify('identity_users_changed', current_schema());
  return null;
end
$$;

create trigger users_profile_changed
  after update on users
  for each row
  when (old.email is distinct from new.email
        or old.email_verified is distinct from new.email_verified
        or old.name is distinct from new.name
        or old.id is distinct from new.id)
  execute function identity_announce_users_changed();

create trigger users_deleted
  after delete on users
  for each statement
  execute function identity_announce_users_changed();

create trigger users_truncated
  after truncate on users
  for each statement
  execute function identity_announce_users_changed();
