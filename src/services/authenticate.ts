// Who is calling, in four named steps shared by /graphql and the Router coprocessor:
// read credentials → verify the token → (users) resolve or provision the canonical user → principal.
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

/**
 * @throws AppError AMBIGUOUS_CREDENTIALS, UNAUTHENTICATED, AUTH_PROVIDER_UNAVAILABLE,
 * IDENTITY_STORE_UNAVAILABLE, EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN.
 * A bad token never degrades to an anonymous principal.
 */
export function createAuthenticator(deps: { verifier: TokenVerifier; identity: IdentityService }): Authenticate {
  function toPrincipal(verified: VerifiedPrincipal, resolved: ResolvedUser | null): Principal {
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    const { userId, created, row } = resolved!;
    const principal: Principal = { kind: 'user', userId, created, claims: verified.claims, impersonator: verified.claims.impersonator };
    if (row !== undefined) principal.row = row;
    return principal;
  }

  async function authenticateSlowly(token: string): Promise<Principal> {
    const verified = await deps.verifier.verify(token);
    return toPrincipal(verified, verified.kind === 'user' ? await deps.identity.resolveUser(verified.claims) : null);
  }

  return (headers) => {
    const token = readCredentials(headers);
    if (token === null) return { kind: 'anonymous' };
    // Warm path: a token verified before whose user was resolved recently, with no promise.
    const verified = deps.verifier.cachedPrincipal(token);
    if (verified === undefined) return authenticateSlowly(token);
    if (verified.kind === 'service') return toPrincipal(verified, null);
    const resolved = deps.identity.cachedUser(verified.claims);
    return resolved !== undefined ? toPrincipal(verified, resolved) : deps.identity.resolveUser(verified.claims).then((r) => toPrincipal(verified, r));
  };
}
