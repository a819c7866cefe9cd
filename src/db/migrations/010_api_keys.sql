-- API keys (api-keys.md): personal keys (organization_id null) act as their creator; organization
-- keys act for that organization. Only an HMAC-SHA256 of the secret is stored, with the kid of
-- the pepper it was made under (re-hashed under the newest pepper on use). Every revocation and
-- removal is announced at commit on `identity_lifecycle`, so that every replica forgets the key.

create table api_keys (
  id              uuid primary key,
  public_id       text not null unique,
  name            text not null,
  organization_id uuid references organizations (id) on delete cascade,
  created_by      uuid not null references users (id) on delete cascade,
  scopes          text[] not null,
  secret_hmac     bytea not null,
  pepper_kid      text not null,
  created_at      timestamptz not null default now(),
  expires_at      timestamptz,
  revoked_at      timestamptz,
  last_used_at    timestamptz
);
create index api_keys_personal_idx on api_keys (created_by, created_at) where organization_id is null;
create index api_keys_organization_idx on api_keys (organization_id, created_at) where organization_id is not null;
create index api_keys_pepper_idx on api_keys (pepper_kid);

-- A personal key's audit rows belong to its user's securityEvents.
create index audit_events_api_key_user_idx on audit_events ((details ->> 'userId'), id desc) where target_type = 'api_key';

create function identity_announce_api_key() returns trigger
language plpgsql as $$
declare
  changed api_keys;
begin
  if tg_op = 'DELETE' then changed := old; else changed := new; end if;
  perform pg_notify('identity_lifecycle', current_schema() || ' ' || json_build_object(
    'type', 'api_key', 'publicId', changed.public_id, 'createdBy', changed.created_by)::text);
  return null;
end
$$;

create trigger api_keys_revoked
  after update on api_keys
  for each row
  when (old.revoked_at is distinct from new.revoked_at)
  execute function identity_announce_api_key();

create trigger api_keys_removed
  after delete on api_keys
  for each row
  execute function identity_announce_api_key();

-- A deleted creator's keys are revoked in the transaction that deletes them (lifecycle.md).
create function identity_revoke_deleted_creators_keys() returns trigger
language plpgsql as $$
begin
  update api_keys set revoked_at = now() where created_by = new.id and revoked_at is null;
  return null;
end
$$;

create trigger users_deleted_revoke_api_keys
  after update on users
  for each row
  when (new.status = 'deleted' and old.status is distinct from new.status)
  execute function identity_revoke_deleted_creators_keys();
