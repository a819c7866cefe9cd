-- Signing keys of the service's own platform tokens (platform-tokens.md). A key's state is
-- derived from its times, so every replica reading the same rows signs with the same key:
-- next (activates_at in the future), active (the latest activated), retiring (superseded, still
-- published until its last token expired). Private halves are AES-256-GCM ciphertext only.
create table platform_keys (
  kid text primary key,
  alg text not null check (alg in ('ES256', 'RS256', 'EdDSA')),
  public_jwk jsonb not null,
  -- iv (12 bytes) || tag (16 bytes) || ciphertext of the PKCS#8 DER; AAD: the kid.
  private_key_encrypted bytea not null,
  created_at timestamptz not null default now(),
  activates_at timestamptz not null,
  -- The longest lifetime of a token this key signed: a superseded key stays published that long.
  max_token_ttl_seconds integer not null
);

create index platform_keys_activates_at on platform_keys (activates_at);

-- One row once this database ever held a key: without it a replica could mistake lost key rows
-- for a fresh database and generate a key that silently invalidates every token issued.
create table platform_key_marker (
  singleton boolean primary key default true check (singleton),
  first_key_at timestamptz not null default now()
);
