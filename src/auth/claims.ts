// Maps a VERIFIED JWT payload to a domain principal (user or service). Pure. Role-like claims
// (`role`, `roles`, `permissions`) never reach a user: roles live in the database.
import type { JWTPayload } from 'jose';
import type { IssuerConfig } from '../config/issuers.js';
import { readEmailAddress } from '../domain/email.js';
import { fitName, MAX_DISPLAY_NAME_LENGTH, personNames, type PersonNames } from '../domain/names.js';
import type { EmailTrust, ServiceClaims, UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { AppError } from '../errors.js';

/** Longest `sub`, `org_id` and `act.sub` accepted, in UTF-8 bytes (OIDC Core caps `sub` at 255 ASCII characters). */
export const MAX_IDENTIFIER_BYTES = 255;

/**
 * Whether an identifier an issuer hands us fits the database: not blank, no NUL (PostgreSQL's
 * text refuses it), at most MAX_IDENTIFIER_BYTES in UTF-8.
 */
export function isStorableIdentifier(value: string): boolean {
  return value.trim() !== '' && !value.includes('\u0000') && Buffer.byteLength(value, 'utf8') <= MAX_IDENTIFIER_BYTES;
}

/**
 * Issuer-controlled text bound for the database: a NUL (PostgreSQL's text refuses it) or an
 * identifier over MAX_IDENTIFIER_BYTES makes the token invalid (401 `invalid_<claim>`), never a 500.
 */
export function checkClaimText(value: string | null, claim: string, identifier = false): void {
  if (value === null) return;
  if (identifier ? !isStorableIdentifier(value) : value.includes('\u0000')) {
    throw new AppError('UNAUTHENTICATED', { reason: `invalid_${claim}` });
  }
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** Scopes of a machine token: `scope` (RFC 8693 space-separated string, or an array) ∪ `permissions`. */
export function readScopes(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const part of value.split(/\s+/)) if (part !== '') scopes.add(part);
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item.trim() !== '') scopes.add(item.trim());
    }
  };
  add(payload.scope);
  if (Array.isArray(payload.permissions)) add(payload.permissions);
  return scopes;
}

// Auth0 names a client-credentials token's subject `{client_id}@clients`; `gty` alone, or a
// subject merely ending in `@clients`, is something a user's token can carry too.
function isAuth0MachineToken(payload: JWTPayload): boolean {
  const azp = nonEmptyString(payload.azp);
  return payload.gty === 'client-credentials' && azp !== null && payload.sub === `${azp}@clients`;
}

/** Client-credentials tokens, per the issuer kind's conventions (the subject names the client). */
function isMachineToken(payload: JWTPayload, issuer: IssuerConfig): boolean {
  const clientId = nonEmptyString(payload.client_id);
  switch (issuer.kind) {
    case 'auth0':
      return isAuth0MachineToken(payload);
    case 'workos':
      // An entry pinned by audience alone lists no client: such a token is refused (serviceScopesOf).
      return clientId !== null && payload.sub === clientId;
    case 'oidc':
      // RFC 9068 §2.2: without a resource owner, `sub` identifies the client.
      return (clientId !== null && payload.sub === clientId) || isAuth0MachineToken(payload);
  }
}

/**
 * A machine token's scopes: the token's, narrowed to the issuer's `serviceScopes` when it lists
 * them. An `oidc` entry without them has no service principals: any IdP we federate with could
 * otherwise mint itself `users:admin` (401 `service_principal_not_allowed`).
 */
function serviceScopesOf(payload: JWTPayload, issuer: IssuerConfig): Set<string> {
  const scopes = readScopes(payload);
  // callers.md: a workos entry pinned by audience alone has no service principals (a client
  // registered by anyone must never become a service by sending `sub` equal to its client_id).
  if (issuer.kind === 'workos' && issuer.clientIds.length === 0) throw new AppError('UNAUTHENTICATED', { reason: 'service_principal_not_allowed' });
  if (issuer.serviceScopes === null) {
    if (issuer.kind === 'oidc') throw new AppError('UNAUTHENTICATED', { reason: 'service_principal_not_allowed' });
    return scopes;
  }
  const allowed = new Set(issuer.serviceScopes);
  for (const scope of scopes) if (!allowed.has(scope)) scopes.delete(scope);
  return scopes;
}

/**
 * Applies the issuer's `emailTrust`; an absent email is never verified. `ssoDomain` answers as
 * `claim` here: what the SSO bindings add is decided later (claimsTrustPending, ssoEmailTrust.ts).
 */
export function trustEmail(trust: EmailTrust, email: string | null, claimed: unknown): boolean {
  if (email === null) return false;
  if (trust === 'always') return true;
  if (trust === 'never') return false;
  // Only a JSON boolean counts: "true" as a string is not an assertion (Cognito-style quirks).
  return claimed === true;
}

/**
 * Under `emailTrust: "ssoDomain"`, an email its own claim does not verify, on a token naming an
 * organization, awaits the SSO bindings' word (callers.md): the flag that says so, else nothing.
 */
export function ssoDomainPending(
  trust: EmailTrust,
  claims: Pick<UserClaims, 'email' | 'emailVerified' | 'externalOrganizationId'>,
): Pick<UserClaims, 'emailTrustPending'> {
  return trust === 'ssoDomain' && claims.email !== null && !claims.emailVerified && claims.externalOrganizationId !== null
    ? { emailTrustPending: true }
    : {};
}

/** A display name from a claim or profile: trimmed, cut to MAX_DISPLAY_NAME_LENGTH; blank → null. */
export function displayNameFromClaim(raw: string | null): string | null {
  return raw === null ? null : fitName(raw, MAX_DISPLAY_NAME_LENGTH).name;
}

/**
 * The token's names: `given_name` / `family_name` (OIDC Core §5.1; a WorkOS JWT template may say
 * `first_name` / `last_name` instead), and `name`, else those joined (domain/names.ts).
 */
function readNames(payload: JWTPayload, issuer: IssuerConfig): PersonNames {
  const workos = issuer.kind === 'workos';
  const givenName = nonEmptyString(payload.given_name) ?? (workos ? nonEmptyString(payload.first_name) : null);
  const familyName = nonEmptyString(payload.family_name) ?? (workos ? nonEmptyString(payload.last_name) : null);
  const names = personNames({ name: payload.name, givenName, familyName });
  checkClaimText(names.givenName, 'given_name');
  checkClaimText(names.familyName, 'family_name');
  checkClaimText(names.name, 'name');
  return names;
}


/**
 * The email and its verified flag, read from one source: a namespaced `emailClaim` (often set
 * from user-editable metadata) is never vouched for by the standard `email_verified`, which
 * speaks for the standard `email` only.
 */
function readEmail(payload: JWTPayload, issuer: IssuerConfig): { email: string | null; emailVerified: boolean } {
  if (issuer.emailClaim !== null) {
    const custom = readEmailAddress(payload[issuer.emailClaim]);
    if (custom !== null) {
      const claimed = issuer.emailVerifiedClaim === null ? undefined : payload[issuer.emailVerifiedClaim];
      return { email: custom, emailVerified: trustEmail(issuer.emailTrust, custom, claimed) };
    }
  }
  const email = readEmailAddress(payload.email);
  return { email, emailVerified: trustEmail(issuer.emailTrust, email, payload.email_verified) };
}

export function readImpersonator(payload: JWTPayload): string | null {
  // RFC 8693 §4.1 `act`: the acting party (WorkOS impersonation puts the admin here).
  const act = payload.act;
  if (typeof act !== 'object' || act === null || Array.isArray(act)) return null;
  return nonEmptyString((act as Record<string, unknown>).sub);
}

/** `auth_time` (OIDC Core §2) in whole seconds, or null when absent or not a finite number. */
export function readAuthTime(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : null;
}

/**
 * The client a token was issued to, read from the first of `values` that is usable text
 * (`azp`, then `client_id`). It is copied into platform tokens, so text with a control character
 * or over MAX_IDENTIFIER_BYTES is not used (null), never refused: it decides nothing here.
 */
export function readClientId(...values: unknown[]): string | null {
  for (const value of values) {
    const text = nonEmptyString(value);
    if (text !== null && !/[\u0000-\u001f\u007f]/.test(text) && Buffer.byteLength(text, 'utf8') <= MAX_IDENTIFIER_BYTES) return text;
  }
  return null;
}

/** The optional sign-in facts a platform token carries on (`auth_time`, the client), when stated. */
export function readSignIn(authTime: unknown, ...clientIds: unknown[]): Pick<UserClaims, 'authTime' | 'clientId'> {
  const facts: Pick<UserClaims, 'authTime' | 'clientId'> = {};
  const at = readAuthTime(authTime);
  const clientId = readClientId(...clientIds);
  if (at !== null) facts.authTime = at;
  if (clientId !== null) facts.clientId = clientId;
  return facts;
}

/** The verified token, reduced to what the identity rules need. */
export function toVerifiedPrincipal(payload: JWTPayload, issuer: IssuerConfig): VerifiedPrincipal {
  const subject = nonEmptyString(payload.sub);
  if (subject === null) throw new AppError('UNAUTHENTICATED', { reason: 'invalid_sub' });
  if (typeof payload.exp !== 'number') throw new AppError('UNAUTHENTICATED', { reason: 'missing_exp' });
  if (payload.iss !== issuer.issuer) throw new AppError('UNAUTHENTICATED', { reason: 'issuer_mismatch' });
  checkClaimText(subject, 'sub', true);

  if (isMachineToken(payload, issuer)) {
    const claims: ServiceClaims = {
      provider: issuer.name,
      issuer: issuer.issuer,
      subject,
      scopes: serviceScopesOf(payload, issuer),
      expiresAt: payload.exp,
    };
    if (typeof payload.iat === 'number' && Number.isFinite(payload.iat)) claims.issuedAt = Math.floor(payload.iat);
    const clientId = readClientId(payload.azp, payload.client_id);
    if (clientId !== null) claims.clientId = clientId;
    return { kind: 'service', claims };
  }

  // RFC 9068 §2.2: an access token for a user carries `iat`; revocations and maxTokenAge compare
  // with it, so a user token without one could never be "issued before" a sign-out.
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw new AppError('UNAUTHENTICATED', { reason: 'missing_iat' });
  const { email, emailVerified } = readEmail(payload, issuer);
  const sessionId = nonEmptyString(payload.sid);
  const orgId = nonEmptyString(payload.org_id);
  const names = readNames(payload, issuer);
  const impersonator = readImpersonator(payload);
  checkClaimText(orgId, 'org_id', true);
  checkClaimText(impersonator, 'act', true);
  checkClaimText(sessionId, 'sid', true);
  const claims: UserClaims = {
    provider: issuer.name,
    issuer: issuer.issuer,
    subject,
    email,
    emailVerified,
    ...names,
    ...ssoDomainPending(issuer.emailTrust, { email, emailVerified, externalOrganizationId: orgId }),
    externalOrganizationId: orgId,
    impersonator,
    expiresAt: payload.exp,
    issuedAt: Math.floor(payload.iat),
    sessionId,
    ...readSignIn(payload['auth_time'], payload.azp, payload.client_id),
  };
  return { kind: 'user', claims };
}
