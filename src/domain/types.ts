// Domain values of the identity subgraph. Pure: no driver, no GraphQL, no jose.

export type MembershipRole = 'OWNER' | 'ADMIN' | 'MEMBER';

export type IssuerKind = 'auth0' | 'workos' | 'oidc';
/**
 * `ssoDomain` (callers.md): an email counts as verified when the token's `org_id` is bound (SSO) on
 * this issuer and the email's domain is one of that binding's domains; otherwise as `claim`.
 */
export type EmailTrust = 'claim' | 'always' | 'never' | 'ssoDomain';

export interface User {
  id: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** Given and family names (callers.md, Names); null when no source gave one. */
  givenName: string | null;
  familyName: string | null;
  createdAt: Date;
  /** Deleted users are tombstones no lookup returns, so a User is active or suspended. */
  status: UserStatus;
  /** Operator status (api-keys.md, Operators): from the database, never from a token. */
  isOperator: boolean;
}

export type UserStatus = 'active' | 'suspended';

export interface ExternalIdentity {
  id: string;
  userId: string;
  /** The configured issuer's `name`. */
  provider: string;
  issuer: string;
  subject: string;
}

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

export interface Membership {
  id: string;
  organizationId: string;
  userId: string;
  role: MembershipRole;
  createdAt: Date;
}

/** An API key as listed (api-keys.md): never its secret, nor its HMAC. */
export interface ApiKey {
  id: string;
  /** The 12 characters after `idk_`. */
  publicId: string;
  name: string;
  /** Null for a personal key. */
  organizationId: string | null;
  createdBy: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export type InvitationStatus = 'PENDING' | 'ACCEPTED' | 'DECLINED' | 'REVOKED' | 'EXPIRED';

/** An invitation names an email address, never a user: nothing of the invitee shows before acceptance. */
export interface Invitation {
  id: string;
  organizationId: string;
  /** Trimmed and lower-cased. */
  email: string;
  role: MembershipRole;
  /** EXPIRED is derived when read (a PENDING one past `expiresAt`), never stored. */
  status: InvitationStatus;
  expiresAt: Date;
  createdAt: Date;
}

export interface OrganizationSso {
  organizationId: string;
  issuerName: string;
  externalOrganizationId: string | null;
  connection: string | null;
  domains: string[];
  jitRole: MembershipRole;
}

/**
 * A verified token, reduced to what the identity rules need. Produced by the auth layer
 * after signature, issuer, audience and expiry checks.
 */
export interface UserClaims {
  /** Configured issuer name (`ExternalIdentity.provider`). */
  provider: string;
  /** Exact `iss`. */
  issuer: string;
  subject: string;
  /** Normalised (trimmed, lower-cased) or null. */
  email: string | null;
  /** Whether the email is verified under the issuer's `emailTrust`. */
  emailVerified: boolean;
  /** The source's `name`, else its given and family names joined (domain/names.ts displayName). */
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  /**
   * Under `emailTrust: "ssoDomain"`: the email, not verified by the token's own claim, awaits
   * the SSO bindings' word (services/emailTrust.ts); absent otherwise.
   */
  emailTrustPending?: true;
  /** External organization claim (`org_id`), for JIT membership. */
  externalOrganizationId: string | null;
  /** `act.sub` when the token is an impersonation token. */
  impersonator: string | null;
  /** Token expiry, seconds since epoch. */
  expiresAt: number;
  /**
   * True when the token stated no expiry (an opaque session whose introspection answer had no
   * `exp`): `expiresAt` is then only how long the answer is trusted, not when the login ends.
   */
  expiresAtAssumed?: boolean;
  /** Token `iat`, seconds since epoch; null when the token has none (treated as issued before every revocation). */
  issuedAt: number | null;
  /**
   * An opaque session whose introspection answer has no `iat`: when this service first accepted
   * it (seconds since epoch, millisecond precision, recorded in the database). Revocations
   * compare with it in place of `iat`; it never makes a session "too old".
   */
  firstAcceptedAt?: number;
  /** Token `auth_time` (seconds since epoch): when the user signed in at the IdP; absent when not stated. */
  authTime?: number;
  /** The client the token was issued to (`azp`, else `client_id`); absent when it names none. */
  clientId?: string;
  /** Token `sid`: the IdP session it belongs to (back-channel logout ends it); null when absent. */
  sessionId: string | null;
  /**
   * A platform token's: the `iss` of the IdP the user signed in with (its `idp`), where its `sid`
   * and sign-in belong, so that IdP's back-channel logouts reach it. Absent on IdP tokens.
   */
  idpIssuer?: string;
  /** A platform token's `idp` claim: the configured issuer name the user signed in with. Absent on IdP tokens. */
  idp?: string;
  /**
   * The token's own `scope` when it narrows what the user holds (a platform token): the user's
   * scopes are cut to these. Absent: the token narrows nothing.
   */
  tokenScopes?: readonly string[];
}

export interface ServiceClaims {
  provider: string;
  issuer: string;
  subject: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
  /** Token `iat` (seconds since epoch), when it has one. */
  issuedAt?: number;
  /** The client the token was issued to (`azp`, else `client_id`), when it names one. */
  clientId?: string;
}

/** Who is calling, after verification and before identity resolution. */
export type VerifiedPrincipal =
  /**
   * `userId`: the token itself names the canonical user (a platform token): nothing to resolve.
   * `apiKey`: a platform token minted from a personal API key stays narrowed to it.
   */
  | { kind: 'user'; claims: UserClaims; userId?: string; apiKey?: ApiKeyGrant }
  | { kind: 'service'; claims: ServiceClaims };

/** Who is calling, after identity resolution: what resolvers see. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      userId: string;
      claims: UserClaims;
      /** True when this request provisioned the user. */
      created: boolean;
      impersonator: string | null;
      /** Present when the request carries the user's personal API key: what that key lets it do now. */
      apiKey?: ApiKeyGrant;
      /**
       * The user is an operator and this is their own request (not impersonated): it carries
       * users:admin and organizations:admin (api-keys.md, Operators). Absent: not an operator.
       */
      operator?: boolean;
    }
  | { kind: 'service'; claims: ServiceClaims }
  /** An organization's API key (api-keys.md): acts for that organization alone, as its creator may now, capped by the key. */
  | ApiKeyPrincipal;

/** What an API key may do in an organization: `read` as a MEMBER would, `write` as an ADMIN would. */
export type KeyAccess = 'read' | 'write';

/** A personal API key's reach, as of this request (the creator's operator status read now). */
export interface ApiKeyGrant {
  keyId: string;
  /** Holds the scope `user`: the user's own data. */
  user: boolean;
  /** `org:<id>:read|write`, by organization id. */
  organizations: ReadonlyMap<string, KeyAccess>;
  /** `users:admin` / `organizations:admin` the key holds and its creator, an operator, holds now. */
  adminScopes: ReadonlySet<string>;
  /** Seconds since epoch; null: the key does not expire. */
  expiresAt: number | null;
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  keyId: string;
  organizationId: string;
  /** The user whose role in the organization (now) caps the key's. */
  creatorId: string;
  access: KeyAccess;
  /** Seconds since epoch; null: the key does not expire. */
  expiresAt: number | null;
}

/** A session this service admitted (idp-events.md, Sessions): what a token's `sid` names. */
export interface Session {
  /** Opaque; not the sid. */
  id: string;
  userId: string;
  /** The configured issuer's name (a platform token's session: its IdP's). */
  issuer: string;
  firstSeenAt: Date;
  /** Stamped at most once a minute. */
  lastSeenAt: Date;
  revokedAt: Date | null;
  /** The session of the request asking. */
  current: boolean;
}

/** Who did a change, for the audit log. */
export interface Actor {
  type: 'user' | 'service' | 'system';
  id: string | null;
  impersonator: string | null;
}

/** One entry of the append-only audit log. */
export interface AuditEvent {
  id: string;
  occurredAt: Date;
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string;
  organizationId: string | null;
  details: Record<string, unknown>;
}

/** A verified OpenID Connect Back-Channel Logout token (auth/logoutToken.ts). */
export interface LogoutRequest {
  issuerName: string;
  issuer: string;
  subject: string | null;
  sessionId: string | null;
  /** Seconds. */
  issuedAt: number;
  jti: string;
  /** Seconds. */
  expiresAt: number;
}
