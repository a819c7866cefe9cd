-- Account lifecycle: a user's status (active, suspended, or a deleted tombstone), session
-- revocations (a user's, an external identity's, one IdP session's), logout-token jtis already
-- used, and the indexes user search and security events read. Every change replicas keep in
-- memory is announced at commit on `identity_lifecycle` (payload: schema, a space, JSON).

alter table users
  add column status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  add column deleted_at timestamptz;
create index users_status_idx on users (status) where status <> 'active';
-- users(query): prefix search on email (stored lower-cased) and name, case-insensitive.
create index users_email_prefix_idx on users (email text_pattern_ops);
create index users_name_prefix_idx on users (lower(name) text_pattern_ops);

-- kind 'user': subject is the user id (issuer ''); 'identity': (issuer, sub); 'session':
-- (issuer, sid). Tokens of that user / identity whose iat is at or before revoked_at stop; a
-- session's tokens stop whatever their iat. Rows live until expires_at (revoked_at + the longest
-- accepted token age): past it no token they cover can still be accepted.
create table session_revocations (
  kind        text not null check (kind in ('user', 'identity', 'session')),
  issuer      text not null,
  subject     text not null,
  revoked_at  timestamptz not null,
  expires_at  timestamptz not null,
  primary key (kind, issuer, subject)
);
create index session_revocations_expires_idx on session_revocations (expires_at);

-- OpenID Connect Back-Channel Logout: a logout token's jti is accepted once per issuer, on every
-- replica (the primary key settles it); kept until the token expires.
create table logout_token_jtis (
  issuer     text not null,
  jti        text not null,
  expires_at timestamptz not null,
  primary key (issuer, jti)
);
create index logout_token_jtis_expires_idx on logout_token_jtis (expires_at);

-- securityEvents: the events whose target is one user, newest first.
create index audit_events_target_idx on audit_events (target_type, target_id, id desc);

create function identity_announce_revocation() returns trigger
language plpgsql as $$
begin
  perform pg_notify('identity_lifecycle', current_schema() || ' ' || json_build_object(
    'type', 'revocation', 'kind', new.kind, 'issuer', new.issuer, 'subject', new.subject,
    'revokedAt', floor(extract(epoch from new.revoked_at) * 1000),
    'expiresAt', floor(extract(epoch from new.expires_at) * 1000))::text);
  return null;
end
$$;

create trigger session_revocations_changed
  after insert or update on session_revocations
  for each row
  execute function identity_announce_revocation();

create function identity_announce_status() returns trigger
language plpgsql as $$
begin
  perform pg_notify('identity_lifecycle', current_schema() || ' ' || json_build_object(
    'type', 'status', 'userId', new.id, 'status', new.status,
    'deletedAt', floor(extract(epoch from new.deleted_at) * 1000))::text);
  -- Cached rows carry the status too.
  perform pg_notify('identity_users_changed', current_schema());
  return null;
end
$$;

create trigger users_status_changed
  after update on users
  for each row
  when (old.status is distinct from new.status)
  execute function identity_announce_status();

-- Erasing a user strips email and name from the audit rows that mention them: the only change
-- the append-only log allows, and only inside a transaction that asked for it.
create or replace function audit_events_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and coalesce(current_setting('identity.audit_scrub', true), '') = 'on'
     and (new.id, new.occurred_at, new.actor_type, new.actor_id, new.impersonator, new.action,
          new.target_type, new.target_id, new.organization_id)
         is not distinct from
         (old.id, old.occurred_at, old.actor_type, old.actor_id, old.impersonator, old.action,
          old.target_type, old.target_id, old.organization_id) then
    return new;
  end if;
  raise exception 'audit_events is append-only';
end;
$$;
