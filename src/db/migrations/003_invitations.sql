-- Invitations: an organization asks an email address (never a user) to join. Nothing links an
-- invitation to a user before its acceptance. EXPIRED is not stored: a PENDING row past
-- expires_at reads as EXPIRED (the clock is the service's).

create table invitations (
  id              uuid primary key,
  organization_id uuid not null references organizations (id) on delete cascade,
  -- Trimmed and lower-cased; erased with the user who holds it (lifecycle: deletion).
  email           text not null,
  role            text not null check (role in ('OWNER', 'ADMIN', 'MEMBER')),
  status          text not null default 'PENDING' check (status in ('PENDING', 'ACCEPTED', 'DECLINED', 'REVOKED')),
  created_at      timestamptz not null,
  expires_at      timestamptz not null,
  updated_at      timestamptz not null default now()
);
-- One pending invitation per (organization, email): a second invite renews it, and two
-- concurrent invites converge on one row.
create unique index invitations_pending_key on invitations (organization_id, email) where status = 'PENDING';
-- The invitee's list, and erasure by email.
create index invitations_email_idx on invitations (email);
