-- SSO bindings are cached by every replica (emailTrust "ssoDomain", callers.md): any change to a
-- binding or to its domains is announced at commit on the lifecycle channel, so other replicas
-- drop what they hold (services/ssoEmailTrust.ts). Statement-level: one announcement per change.

create function identity_announce_sso() returns trigger
language plpgsql as $$
begin
  perform pg_notify('identity_lifecycle', current_schema() || ' {"type":"sso"}');
  return null;
end
$$;

create trigger organization_sso_changed
  after insert or update or delete or truncate on organization_sso
  for each statement
  execute function identity_announce_sso();

create trigger organization_domains_changed
  after insert or update or delete or truncate on organization_domains
  for each statement
  execute function identity_announce_sso();
