// The platform token (platform-tokens.md, RFC 9068): the claims minted for a canonical user, and
// a verified one read back into a principal that names its user directly (no provisioning).
import type { JWTPayload } from 'jose';
import { PLATFORM_ALGORITHMS } from '../config/platform.js';
import { isUuid } from '../domain/ids.js';
import { grantFromScopes } from '../domain/apiKeys.js';
import type { UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { AppError } from '../errors.js';
import { readEmailAddress } from '../domain/email.js';
import { readClientId, readImpersonator } from './claims.js';
import type { KeySource } from './keys.js';

/** The `idp` of a platform token minted from a personal API key (services/apiKeyAuth.ts API_KEY_PROVIDER). */
const API_KEY_IDP = 'api_key';

/** `UserClaims.provider` of a platform token (logs, metrics). */
export const PLATFORM_PROVIDER = 'platform';

export interface PlatformIssuer {
  issuer: string;
  audience: string;
  keys: KeySource;
}

/** What verification of a platform token requires besides issuer and audience. */
export const PLATFORM_VERIFY_OPTIONS = {
  algorithms: [...PLATFORM_ALGORITHMS] as string[],
  // RFC 9068 §4: a resource server checks the `typ`, so no other JWT signed by us passes as one.
  typ: 'at+jwt',
  requiredClaims: ['iss', 'sub', 'exp', 'iat', 'jti'],
};

export interface PlatformTokenInput {
  issuer: string;
  audience: string;
  userId: string;
  issuedAt: number;
  /** Seconds since epoch: iat + TTL, capped at the subject's expiry (see platformTokenExpiry). */
  expiresAt: number;
  /** When the user signed in at the IdP (seconds); null when the subject did not say. */
  authTime: number | null;
  /** RFC 9068 §2.2 requires it: the client the token is issued to. */
  clientId: string;
  jti: string;
  sessionId: string;
  scopes: readonly string[];
  email: string | null;
  emailVerified: boolean;
  /** The configured issuer name the user signed in with. */
  idp: string;
  impersonator: string | null;
}

/**
 * When a platform token issued at `issuedAt` expires (seconds): after its TTL, but never later
 * than the login it came from (`subjectExpiresAt`; null when the subject states no expiry).
 * Null when the subject has no whole second left to give.
 */
export function platformTokenExpiry(issuedAt: number, ttlSeconds: number, subjectExpiresAt: number | null): number | null {
  const expiresAt = subjectExpiresAt === null ? issuedAt + ttlSeconds : Math.min(issuedAt + ttlSeconds, Math.floor(subjectExpiresAt));
  return expiresAt > issuedAt ? expiresAt : null;
}

export function platformTokenClaims(input: PlatformTokenInput): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    aud: input.audience,
    sub: input.userId,
    client_id: input.clientId,
    iat: input.issuedAt,
    exp: input.expiresAt,
    jti: input.jti,
    sid: input.sessionId,
    scope: input.scopes.join(' '),
  };
  if (input.authTime !== null) claims['auth_time'] = input.authTime;
  if (input.email !== null) {
    claims['email'] = input.email;
    claims['email_verified'] = input.emailVerified;
  }
  claims['idp'] = input.idp;
  if (input.impersonator !== null) claims['act'] = { sub: input.impersonator };
  return claims;
}

/**
 * A verified platform token as a principal; its `sub` is the canonical user id. `idpIssuers`:
 * configured issuer name → `iss`, to place its session at the IdP it came from.
 */
export function toPlatformPrincipal(payload: JWTPayload, issuer: string, idpIssuers: ReadonlyMap<string, string>): VerifiedPrincipal {
  if (typeof payload.sub !== 'string' || !isUuid(payload.sub)) throw new AppError('UNAUTHENTICATED', { reason: 'invalid_sub' });
  const email = readEmailAddress(payload['email']);
  const claims: UserClaims = {
    provider: PLATFORM_PROVIDER,
    issuer,
    subject: payload.sub,
    email,
    emailVerified: email !== null && payload['email_verified'] === true,
    name: null,
    givenName: null,
    familyName: null,
    externalOrganizationId: null,
    impersonator: readImpersonator(payload),
    expiresAt: payload.exp!,
    issuedAt: typeof payload.iat === 'number' ? payload.iat : null,
    sessionId: typeof payload['sid'] === 'string' ? payload['sid'] : null,
  };
  const idpIssuer = typeof payload['idp'] === 'string' ? idpIssuers.get(payload['idp']) : undefined;
  if (idpIssuer !== undefined) claims.idpIssuer = idpIssuer;
  if (typeof payload['idp'] === 'string' && payload['idp'] !== '') claims.idp = payload['idp'];
  const clientId = readClientId(payload['client_id']);
  if (clientId !== null) claims.clientId = clientId;
  // Minted from a personal API key (its `idp`): no more on /graphql than the key gave it.
  if (payload['idp'] === API_KEY_IDP) {
    const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
    const keyId = typeof payload['client_id'] === 'string' ? payload['client_id'] : '';
    return { kind: 'user', claims, userId: payload.sub, apiKey: grantFromScopes(scopes, keyId, payload.exp!) };
  }
  // The user's scopes as minted, narrowed there: what the token may stand for, never more.
  claims.tokenScopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter((s) => s !== '') : [];
  return { kind: 'user', claims, userId: payload.sub };
}
