-- Users, their external identities, organizations, memberships, SSO bindings and the audit log.
-- Constraints here are the last word on races between replicas.

create table users (
  id             uuid primary key,
  email          text,
  email_verified boolean not null default false,
  name           text,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  last_seen_at   timestamptz
);
-- At most one user holds a given verified email: concurrent first sign-ins with one verified
-- email converge on one user, and no user can take another's verified address.
create unique index users_verified_email_key on users (email) where email_verified;
create index users_email_idx on users (email);

create table identities (
  id             uuid primary key,
  user_id        uuid not null references users (id) on delete cascade,
  provider       text not null,
  issuer         text not null,
  subject        text not null,
  email          text,
  email_verified boolean not null default false,
  name           text,
  created_at     timestamptz not null default now(),
  last_seen_at   timestamptz not null default now(),
  -- An external identity binds to exactly one user, for good.
  constraint identities_issuer_subject_key unique (issuer, subject)
);
create index identities_user_id_idx on identities (user_id);

create table organizations (
  id         uuid primary key,
  name       text not null,
  created_at timestamptz not null default now()
);

create table memberships (
  id              uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  user_id         uuid not null references users (id) on delete cascade,
  role            text not null check (role in ('OWNER', 'ADMIN', 'MEMBER')),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint memberships_organization_user_key unique (organization_id, user_id)
);
create index memberships_user_id_idx on memberships (user_id);

create table organization_sso (
  organization_id          uuid primary key references organizations (id) on delete cascade,
  issuer_name              text not null,
  external_organization_id text,
  connection               text,
  jit_role                 text not null default 'MEMBER' check (jit_role in ('OWNER', 'ADMIN', 'MEMBER')),
  updated_at               timestamptz not null default now(),
  constraint organization_sso_external_key unique (issuer_name, external_organization_id)
);

create table organization_domains (
  -- A domain belongs to at most one organization.
  domain          text primary key,
  organization_id uuid not null references organizations (id) on delete cascade
);
create index organization_domains_organization_idx on organization_domains (organization_id);

create table audit_events (
  id              bigserial primary key,
  occurred_at     timestamptz not null default now(),
  actor_type      text not null check (actor_type in ('user', 'service', 'system')),
  actor_id        text,
  impersonator    text,
  action          text not null,
  target_type     text not null,
  target_id       text not null,
  organization_id uuid,
  details         jsonb not null default '{}'::jsonb
);
create index audit_events_organization_idx on audit_events (organization_id, id desc);

-- Append-only: rows can be inserted, never changed or deleted.
create function audit_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_events is append-only';
end;
$$;
create trigger audit_events_no_update_delete
  before update or delete on audit_events
  for each row execute function audit_events_append_only();
