-- The given and family names an identity last brought (callers.md, Names), beside its email and
-- name: a later sign-in changes the user's names only when its own claims changed, exactly as for
-- `name`. Erased with the identity.

alter table identities add column given_name text;
alter table identities add column family_name text;
