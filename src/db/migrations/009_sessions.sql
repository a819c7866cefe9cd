-- Sessions (idp-events.md, Sessions): each IdP session this service admitted, by the `sid` its
-- tokens carry (platform tokens carry their IdP session's), for `User.sessions` and
-- `revokeSession`. `id` is the opaque id shown to clients (never the sid); `seq` orders the list
-- (newest first) and keys its cursors. `iss` is where the sid belongs (the IdP's `iss`, as in
-- session_revocations), `issuer_name` the configured entry's name that is shown. Times are the
-- admitting replica's clock: first seen never moves, last seen is stamped at most once a minute.
create table sessions (
  id            uuid primary key,
  seq           bigint generated always as identity unique,
  user_id       uuid not null references users (id) on delete cascade,
  iss           text not null,
  sid           text not null,
  issuer_name   text not null,
  first_seen_at timestamptz not null,
  last_seen_at  timestamptz not null,
  revoked_at    timestamptz,
  unique (iss, sid, user_id)
);
create index sessions_user_idx on sessions (user_id, seq desc);
create index sessions_revoked_idx on sessions (revoked_at) where revoked_at is not null;
create index sessions_last_seen_idx on sessions (last_seen_at);

-- However a session is revoked (revokeSession, a back-channel logout, an IdP event), the session
-- revocation row is the one fact; its rows here say so from the same transaction, and keep saying
-- so after the revocation row is purged.
create function identity_mark_sessions_revoked() returns trigger
language plpgsql as $$
begin
  update sessions set revoked_at = new.revoked_at
   where iss = new.issuer and sid = new.subject and revoked_at is null;
  return null;
end
$$;

create trigger session_revocations_mark_sessions
  after insert or update on session_revocations
  for each row
  when (new.kind = 'session')
  execute function identity_mark_sessions_revoked();
