-- Erased users stay erased, emails are compared as stored, and opaque sessions without `iat`
-- count from their first acceptance.
--
-- 1. A tombstone (status 'deleted') holds no email, name, identity or membership, whatever path
--    writes: an import that once completed a tombstone by its id gave it back its email and
--    identity, so that the person signing in afresh was refused and another identity with the
--    email was taken for that user. Rows such an import wrote are erased again here.

delete from identities i using users u where u.id = i.user_id and u.status = 'deleted';
delete from memberships m using users u where u.id = m.user_id and u.status = 'deleted';
update users set email = null, email_verified = false, name = null, updated_at = now()
 where status = 'deleted' and (email is not null or email_verified or name is not null);

alter table users add constraint users_tombstone_erased
  check (status <> 'deleted' or (email is null and not email_verified and name is null));

-- A row binding a tombstone is refused with foreign_key_violation (23503: the user it names is
-- gone). Checked per statement, after the foreign key's own check: that check waits for a
-- deletion in progress (it holds the user's row lock), and this query, a new snapshot, then
-- sees the tombstone it committed.
create function identity_refuse_tombstone_rows() returns trigger
language plpgsql as $$
begin
  if exists (select 1 from added a join users u on u.id = a.user_id where u.status = 'deleted') then
    raise exception 'a deleted user holds no %', tg_table_name using errcode = '23503';
  end if;
  return null;
end
$$;

create trigger identities_not_on_tombstones
  after insert on identities
  referencing new table as added
  for each statement
  execute function identity_refuse_tombstone_rows();

create trigger memberships_not_on_tombstones
  after insert on memberships
  referencing new table as added
  for each statement
  execute function identity_refuse_tombstone_rows();

-- 2. users(query) matched names through lower(), whose result depends on the database's locale
--    (under C.UTF-8 it turns the Kelvin sign into `k`): names are matched lower-casing `A`-`Z`
--    only, as emails are stored (src/db/userDirectory.ts uses the same expression).
drop index if exists users_name_prefix_idx;
create index users_name_ascii_prefix_idx
  on users (translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') text_pattern_ops);

-- 3. An opaque session whose introspection answer carries no `iat` counts as issued when this
--    service first accepted it: recorded once, by the token's SHA-256 digest (never the token),
--    so every replica compares revocations with the same time. A row lives while the session is
--    accepted again within MAX_TOKEN_AGE_SECONDS (expires_at moves on, accepted_at never does).
create table opaque_session_acceptances (
  digest      text primary key,
  accepted_at timestamptz not null,
  expires_at  timestamptz not null
);
create index opaque_session_acceptances_expires_idx on opaque_session_acceptances (expires_at);
