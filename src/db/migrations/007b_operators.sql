-- Operators (api-keys.md, "Operators"): staff who act as users:admin and organizations:admin.
-- The status lives here, never in a token. A tombstone is no operator.

alter table users add column is_operator boolean not null default false;

alter table users drop constraint users_tombstone_erased;
alter table users add constraint users_tombstone_erased
  check (status <> 'deleted'
         or (email is null and not email_verified and name is null
             and given_name is null and family_name is null and not is_operator));
