-- IdP events (idp-events.md): WorkOS webhooks and the Events API deliver the same events; each is
-- applied once (by id), never undoes a newer one (per-target watermarks), and the Events API is
-- read from a cursor kept here, by one replica at a time (a lease on the cursor's row).

-- Every event applied (or found to change nothing), by the issuer's `iss` and the event's id: the
-- primary key makes a second delivery, on any replica, a no-op. Kept 45 days (WorkOS retries
-- webhooks for 3 days and keeps events 30).
create table idp_events (
  issuer      text not null,
  event_id    text not null,
  event_type  text not null,
  created_at  timestamptz not null,
  outcome     text not null,
  applied_at  timestamptz not null default now(),
  primary key (issuer, event_id)
);
create index idp_events_applied_idx on idp_events (applied_at);

-- The newest event applied to one target (kind 'user': the IdP user id; 'session': the sid;
-- 'membership': organization id and user id), ordered by (created_at, event_id): an older event
-- for the same target changes nothing.
create table idp_event_watermarks (
  issuer      text not null,
  target_kind text not null check (target_kind in ('user', 'session', 'membership')),
  target_key  text not null,
  created_at  timestamptz not null,
  event_id    text not null,
  primary key (issuer, target_kind, target_key)
);

-- The Events API cursor of one issuer: `after_event` (null until an event was read) and
-- `started_at` (the first poll's time: events created before it are not caught up). The lease
-- lets one replica at a time poll: taken when free or expired, released after the poll.
create table idp_event_cursors (
  issuer       text primary key,
  after_event  text,
  started_at   timestamptz not null,
  lease_holder text,
  lease_until  timestamptz,
  polled_at    timestamptz
);

-- A membership removed by the IdP: the user's tokens carrying that organization claim, issued up
-- to the removal, stop. Kind 'organization': issuer is the token's `iss`, subject the user id, a
-- space, and the `org_id`.
alter table session_revocations drop constraint session_revocations_kind_check;
alter table session_revocations add constraint session_revocations_kind_check
  check (kind in ('user', 'identity', 'session', 'organization'));

-- Given and family names (migration 007) are cached with the row too: their changes are announced.
drop trigger users_profile_changed on users;
create trigger users_profile_changed
  after update on users
  for each row
  when (old.email is distinct from new.email
        or old.email_verified is distinct from new.email_verified
        or old.name is distinct from new.name
        or old.given_name is distinct from new.given_name
        or old.family_name is distinct from new.family_name
        or old.id is distinct from new.id)
  execute function identity_announce_users_changed();
