// Who is calling, in four named steps shared by /graphql, the Router coprocessor and the token
// endpoint: read credentials → verify the token → (users) resolve or provision the canonical
// user (a platform token names it) → principal.
import type { Principal, VerifiedPrincipal } from '../domain/types.js';
import { readCredentials } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import type { IdentityService, ResolvedUser } from './identity.js';

export interface CredentialHeaders {
  authorization?: string | undefined;
  'x-user-token'?: string | undefined;
}

/** A value when the token and its user are known already (the warm path), else a promise. */
export type Authenticate = (headers: CredentialHeaders) => Principal | Promise<Principal>;

/** The same, for a token already taken out of its header (the token endpoint's subject token). */
export type AuthenticateToken = (token: string) => Principal | Promise<Principal>;

/**
 * @throws AppError UNAUTHENTICATED, AUTH_PROVIDER_UNAVAILABLE, IDENTITY_STORE_UNAVAILABLE,
 * EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN.
 */
export function createTokenAuthenticator(deps: { verifier: TokenVerifier; identity: IdentityService }): AuthenticateToken {
  function toPrincipal(verified: VerifiedPrincipal, resolved: ResolvedUser | null): Principal {
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    const { userId, created, row } = resolved!;
    const principal: Principal = { kind: 'user', userId, created, claims: verified.claims, impersonator: verified.claims.impersonator };
    if (row !== undefined) principal.row = row;
    return principal;
  }

  /** The canonical user: named by a platform token itself, else resolved (or provisioned). */
  function resolve(verified: Extract<VerifiedPrincipal, { kind: 'user' }>): ResolvedUser | Promise<ResolvedUser> {
    if (verified.userId !== undefined) return { userId: verified.userId, created: false };
    return deps.identity.cachedUser(verified.claims) ?? deps.identity.resolveUser(verified.claims);
  }

  function principalOf(verified: VerifiedPrincipal): Principal | Promise<Principal> {
    if (verified.kind === 'service') return toPrincipal(verified, null);
    const resolved = resolve(verified);
    return resolved instanceof Promise ? resolved.then((r) => toPrincipal(verified, r)) : toPrincipal(verified, resolved);
  }

  return (token) => {
    // Warm path: a token verified before whose user was resolved recently, with no promise.
    const verified = deps.verifier.cachedPrincipal(token);
    return verified === undefined ? deps.verifier.verify(token).then(principalOf) : principalOf(verified);
  };
}

/**
 * @throws AppError AMBIGUOUS_CREDENTIALS, and those of createTokenAuthenticator.
 * A bad token never degrades to an anonymous principal.
 */
export function createAuthenticator(deps: { verifier: TokenVerifier; identity: IdentityService }): Authenticate {
  const authenticateToken = createTokenAuthenticator(deps);
  return (headers) => {
    const token = readCredentials(headers);
    return token === null ? { kind: 'anonymous' } : authenticateToken(token);
  };
}
