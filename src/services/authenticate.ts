// Who is calling, in steps shared by /graphql, the Router coprocessor and the token endpoint:
// read credentials → verify the token → (users) resolve or provision the canonical user →
// admit (sessions.ts: suspension and revocation, whatever the token kind) → principal.
import { AppError } from '../errors.js';
import type { Principal, UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { readCredentials } from '../auth/bearer.js';
import type { TokenVerifier } from '../auth/verifier.js';
import type { UserView } from '../db/userStore.js';
import type { IdentityService, ResolvedUser } from './identity.js';
import type { SessionPolicy } from './sessions.js';

export interface CredentialHeaders {
  authorization?: string | undefined;
  'x-user-token'?: string | undefined;
}

/**
 * A value when the token and its user are known already (the warm path), else a promise.
 * `users`: the request's view of users, where the row identity resolution read or wrote is held
 * (none: the caller reads no user rows).
 */
export type Authenticate = (headers: CredentialHeaders, users?: UserView) => Principal | Promise<Principal>;

/** The same, for a token already taken out of its header (the token endpoint's subject token). */
export type AuthenticateToken = (token: string, users?: UserView) => Principal | Promise<Principal>;

interface Deps {
  verifier: TokenVerifier;
  identity: IdentityService;
  sessions: SessionPolicy;
}

/**
 * @throws AppError UNAUTHENTICATED (reason `revoked` among others), AUTH_PROVIDER_UNAVAILABLE,
 * IDENTITY_STORE_UNAVAILABLE, EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN, USER_SUSPENDED.
 */
export function createTokenAuthenticator(deps: Deps): AuthenticateToken {
  function toPrincipal(verified: VerifiedPrincipal, resolved: ResolvedUser | null, users: UserView | undefined): Principal {
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    const { userId, created, row } = resolved!;
    if (row !== undefined) users?.hold(row);
    return { kind: 'user', userId, created, claims: verified.claims, impersonator: verified.claims.impersonator };
  }

  /** The canonical user: named by a platform token itself, else resolved (or provisioned). */
  function resolve(verified: Extract<VerifiedPrincipal, { kind: 'user' }>): ResolvedUser | Promise<ResolvedUser> {
    if (verified.userId !== undefined) return { userId: verified.userId, created: false };
    return deps.identity.cachedUser(verified.claims) ?? deps.identity.resolveUser(verified.claims);
  }

  /** The resolved user once the session policy admits it; a deleted user's stale binding is resolved again. */
  function admitted(verified: Extract<VerifiedPrincipal, { kind: 'user' }>, resolved: ResolvedUser, retried = false): ResolvedUser | Promise<ResolvedUser> {
    const claims: UserClaims = verified.claims;
    const verdict = deps.sessions.admit(resolved.userId, claims);
    if (verdict === true) return resolved;
    const again = (admit: boolean): ResolvedUser | Promise<ResolvedUser> => {
      if (admit) return resolved;
      // A platform token names its user: a tombstone stays one.
      if (retried || verified.userId !== undefined) throw new AppError('UNAUTHENTICATED', { message: 'This token has been revoked.', reason: 'revoked' });
      return deps.identity.resolveUserAfresh(claims).then((next) => admitted(verified, next, true));
    };
    return verdict === false ? again(false) : verdict.then(again);
  }

  function principalOf(verified: VerifiedPrincipal, users: UserView | undefined): Principal | Promise<Principal> {
    if (verified.kind === 'service') return toPrincipal(verified, null, users);
    const resolved = resolve(verified);
    const admittedUser = resolved instanceof Promise ? resolved.then((r) => admitted(verified, r)) : admitted(verified, resolved);
    return admittedUser instanceof Promise ? admittedUser.then((r) => toPrincipal(verified, r, users)) : toPrincipal(verified, admittedUser, users);
  }

  return (token, users) => {
    // Warm path: a token verified before whose user was resolved recently, with no promise.
    const verified = deps.verifier.cachedPrincipal(token);
    return verified === undefined ? deps.verifier.verify(token).then((v) => principalOf(v, users)) : principalOf(verified, users);
  };
}

/**
 * @throws AppError AMBIGUOUS_CREDENTIALS, and those of createTokenAuthenticator.
 * A bad token never degrades to an anonymous principal.
 */
export function createAuthenticator(deps: Deps): Authenticate {
  const authenticateToken = createTokenAuthenticator(deps);
  return (headers, users) => {
    const token = readCredentials(headers);
    return token === null ? { kind: 'anonymous' } : authenticateToken(token, users);
  };
}
