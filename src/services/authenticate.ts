// Who is calling, in four named steps shared by /graphql and the Router coprocessor:
// read credentials → verify the token → (users) resolve or provision the canonical user → principal.
import type { Principal } from '../domain/types.js';
import { readCredentials } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import type { IdentityService } from './identity.js';

export interface CredentialHeaders {
  authorization?: string | undefined;
  'x-user-token'?: string | undefined;
}

export type Authenticate = (headers: CredentialHeaders) => Promise<Principal>;

/**
 * @throws AppError AMBIGUOUS_CREDENTIALS, UNAUTHENTICATED, AUTH_PROVIDER_UNAVAILABLE,
 * IDENTITY_STORE_UNAVAILABLE, EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN.
 * A bad token never degrades to an anonymous principal.
 */
export function createAuthenticator(deps: { verifier: TokenVerifier; identity: IdentityService }): Authenticate {
  return async (headers) => {
    const token = readCredentials(headers);
    if (token === null) return { kind: 'anonymous' };
    const verified = await deps.verifier.verify(token);
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    const { userId, created, row } = await deps.identity.resolveUser(verified.claims);
    const principal: Principal = { kind: 'user', userId, created, claims: verified.claims, impersonator: verified.claims.impersonator };
    if (row !== undefined) principal.row = row;
    return principal;
  };
}
