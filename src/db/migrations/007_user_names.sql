-- Given and family names (callers.md, "Names"): from tokens, userinfo profiles, introspection
-- answers, WorkOS user.updated events and the import. Nullable; a tombstone holds neither.

alter table users add column given_name text;
alter table users add column family_name text;

alter table users drop constraint users_tombstone_erased;
alter table users add constraint users_tombstone_erased
  check (status <> 'deleted'
         or (email is null and not email_verified and name is null
             and given_name is null and family_name is null));
