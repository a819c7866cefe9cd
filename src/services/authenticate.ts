// Who is calling, in steps shared by /graphql, the Router coprocessor and the token endpoint:
// read credentials → verify the token → (users) resolve or provision the canonical user →
// admit (domain/admission.ts on sessions.ts's facts, whatever the token kind) → principal (its
// session recorded in memory, written later: sessionRecorder.ts).
// An `idk_` bearer is an API key: apiKeyAuth.ts checks it (domain/apiKeys.ts decides).
import { AppError } from '../errors.js';
import type { Admission } from '../domain/admission.js';
import type { Principal, UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { MAX_TOKEN_BYTES, readCredentials } from '../auth/bearer.js';
import { isCompactJws } from '../auth/introspection.js';
import type { TokenVerifier } from '../auth/verifier.js';
import { isApiKeyLike } from '../domain/apiKeyFormat.js';
import type { ApiKeyAuthenticator } from './apiKeyAuth.js';
import type { UserStore, UserView } from '../db/userStore.js';
import type { User } from '../domain/types.js';
import type { IdentityService, ResolvedUser } from './identity.js';
import type { SessionRecorder } from './sessionRecorder.js';
import type { SessionPolicy } from './sessions.js';
import { unscoped, type Scope } from '../lib/scope.js';

export interface CredentialHeaders {
  authorization?: string | undefined;
  'x-user-token'?: string | undefined;
}

/**
 * A value when the token and its user are known already (the warm path), else a promise.
 * `users`: the request's view of users, where the row identity resolution read or wrote is held
 * (none: the caller reads no user rows). `scope` (tracing on): where the work that waits runs, so
 * its statements and calls hang under the authentication span; the warm path reads and writes
 * nothing, and never enters it (async context tracking stays off: tracing/scopes.ts).
 */
export type Authenticate = (headers: CredentialHeaders, users?: UserView, scope?: Scope) => Principal | Promise<Principal>;

/** The same, for a token already taken out of its header (the token endpoint's subject token). */
export type AuthenticateToken = (token: string, users?: UserView, scope?: Scope) => Principal | Promise<Principal>;

interface Deps {
  verifier: TokenVerifier;
  identity: IdentityService;
  sessions: SessionPolicy;
  /** API keys (api-keys.md); absent: an `idk_` bearer answers 401. */
  apiKeys?: ApiKeyAuthenticator;
  /**
   * Where a user's operator status is read (their row: the request's view, else the store's
   * memory or one read); absent: no principal is an operator (the token endpoint: operator
   * status never goes into a token).
   */
  users?: UserStore;
  /** Told of each admitted user request (none: sessions are not recorded). */
  recorder?: SessionRecorder;
}

const REFUSALS: Record<Exclude<Admission, 'admitted'>, () => AppError> = {
  suspended: () => new AppError('USER_SUSPENDED'),
  revoked: () => new AppError('UNAUTHENTICATED', { message: 'This token has been revoked.', reason: 'revoked' }),
  token_too_old: () => new AppError('UNAUTHENTICATED', { reason: 'token_too_old' }),
  // A binding resolved again, or one a token names itself (a platform token), still naming a
  // deleted user: its tokens are revoked.
  unbound: () => new AppError('UNAUTHENTICATED', { message: 'This token has been revoked.', reason: 'revoked' }),
};

/** A token's authentication, and its second half alone for a token the verifier already vouched for. */
function createTokenAuthentication(deps: Deps) {
  type VerifiedUser = Extract<VerifiedPrincipal, { kind: 'user' }>;

  /**
   * An admitted user's principal. `row`: the user's row, when operator status is read from it
   * (as current as the store's: a grant or revocation moves it on, on every replica).
   */
  function admitted(verified: VerifiedUser, { userId, created }: ResolvedUser, row: User | null | undefined): Principal {
    deps.recorder?.seen(userId, verified.claims);
    const { claims } = verified;
    if (verified.apiKey !== undefined) return { kind: 'user', userId, created, claims, impersonator: claims.impersonator, apiKey: verified.apiKey };
    return { kind: 'user', userId, created, claims, impersonator: claims.impersonator, operator: row?.isOperator === true };
  }

  /** Whether operator status is read (never for an impersonated request: the actor is not the user). */
  function readsOperatorStatus(verified: VerifiedUser): boolean {
    return deps.users !== undefined && verified.apiKey === undefined && verified.claims.impersonator === null;
  }

  /** The principal of a user the database resolved and admitted (a refusal throws), their row read from the request's view. */
  function principalOf(verified: VerifiedUser, resolved: ResolvedUser, verdict: Admission, users: UserView | undefined): Principal | Promise<Principal> {
    if (verdict !== 'admitted') throw REFUSALS[verdict]();
    // The row resolution read or wrote: the view answers from it, now and for the request's fields.
    if (resolved.row !== undefined) users?.hold(resolved.row);
    if (!readsOperatorStatus(verified)) return admitted(verified, resolved, undefined);
    const row = (users ?? deps.users!.view()).get(resolved.userId);
    return row instanceof Promise ? row.then((user) => admitted(verified, resolved, user)) : admitted(verified, resolved, row);
  }

  /**
   * The warm path: the user resolved and admitted, and their row found, in memory: a value, with
   * no statement, call or promise on the way. Undefined when any of it needs waiting, before the
   * request is recorded as a session sighting or given a row (the stored path does both); a
   * refusal memory is sure of throws. (An identity come due is stamped either way: identity.ts.)
   */
  function fromMemory(verified: VerifiedPrincipal, users: UserView | undefined): Principal | undefined {
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    // A platform token names its user: nothing to resolve.
    const resolved = verified.userId !== undefined ? { userId: verified.userId, created: false } : deps.identity.cachedUser(verified.claims);
    if (resolved === undefined) return undefined;
    const verdict = deps.sessions.admitFromMemory(resolved.userId, verified.claims);
    // Unbound: the cached binding is stale, which only the database can settle.
    if (verdict === undefined || verdict === 'unbound') return undefined;
    if (verdict !== 'admitted') throw REFUSALS[verdict]();
    if (!readsOperatorStatus(verified)) return admitted(verified, resolved, undefined);
    const row = (users ?? deps.users!.view()).peek(resolved.userId);
    return row === undefined ? undefined : admitted(verified, resolved, row);
  }

  /** The user resolved and admitted from memory where it can be, else from the database. */
  async function fromStores(verified: VerifiedPrincipal, users: UserView | undefined): Promise<Principal> {
    if (verified.kind === 'service') return { kind: 'service', claims: verified.claims };
    const claims: UserClaims = verified.claims;
    if (verified.userId !== undefined) {
      const named = { userId: verified.userId, created: false };
      return principalOf(verified, named, await deps.sessions.admit(named.userId, claims), users);
    }
    let resolved = await deps.identity.resolveUser(claims);
    let verdict = await deps.sessions.admit(resolved.userId, claims);
    if (verdict === 'unbound') {
      // The binding named a user deleted before this token was issued: the identity is resolved
      // again from the database, once (a new sign-in of that identity is a new user).
      resolved = await deps.identity.resolveUserAfresh(claims);
      verdict = await deps.sessions.admit(resolved.userId, claims);
    }
    return principalOf(verified, resolved, verdict, users);
  }

  /** A token the verifier vouched for: the one value-or-promise, a value on the warm path (measured by the bench), else a promise started in `scope`. */
  const fromVerified = (verified: VerifiedPrincipal, users: UserView | undefined, scope: Scope): Principal | Promise<Principal> =>
    fromMemory(verified, users) ?? scope(() => fromStores(verified, users));

  const authenticate: AuthenticateToken = (token, users, scope = unscoped) => {
    if (isApiKeyLike(token)) {
      const apiKeys = deps.apiKeys;
      if (apiKeys === undefined) throw new AppError('UNAUTHENTICATED', { reason: 'invalid_api_key' });
      // Its warm path may still read (an admin key's creator): always in the scope.
      return scope(() => apiKeys.authenticate(token));
    }
    const verified = deps.verifier.cachedPrincipal(token);
    // Verified in the scope already: what follows needs no second entry into it.
    if (verified === undefined) return scope(() => deps.verifier.verify(token).then((fresh) => fromVerified(fresh, users, unscoped)));
    return fromVerified(verified, users, scope);
  };
  return { authenticate, fromVerified };
}

/**
 * @throws AppError UNAUTHENTICATED (reason `revoked` among others), AUTH_PROVIDER_UNAVAILABLE,
 * IDENTITY_STORE_UNAVAILABLE, EMAIL_NOT_VERIFIED, IMPERSONATION_TARGET_UNKNOWN, USER_SUSPENDED.
 */
export function createTokenAuthenticator(deps: Deps): AuthenticateToken {
  return createTokenAuthentication(deps).authenticate;
}

const BEARER_PREFIX = 'Bearer ';

/**
 * @throws AppError AMBIGUOUS_CREDENTIALS, and those of createTokenAuthenticator.
 * A bad token never degrades to an anonymous principal.
 */
export function createAuthenticator(deps: Deps): Authenticate {
  const { authenticate, fromVerified } = createTokenAuthentication(deps);
  /**
   * The verified principal of `Bearer <a JWS the verifier holds>`, the header every warm request
   * carries; undefined for anything else (which then takes the full path, its lookup repeated
   * there: only a token about to be verified pays twice). Its syntax needs no check: the verifier held the token
   * only after finding every part base64url and the whole within MAX_TOKEN_BYTES, so
   * readCredentials would take it as it is (measured: 2-4 µs a request less under the bench's
   * load than checking ~850 characters first; bench/RESULTS.md, 2026-12-08).
   */
  const heldBearer = (value: string): VerifiedPrincipal | undefined => {
    if (value.length > BEARER_PREFIX.length + MAX_TOKEN_BYTES || !value.startsWith(BEARER_PREFIX)) return undefined;
    const token = value.slice(BEARER_PREFIX.length);
    return isCompactJws(token) ? deps.verifier.cachedPrincipal(token) : undefined;
  };
  return (headers, users, scope = unscoped) => {
    // With X-User-Token too, the two must be compared (readCredentials).
    const held = headers.authorization !== undefined && headers['x-user-token'] === undefined ? heldBearer(headers.authorization) : undefined;
    if (held !== undefined) return fromVerified(held, users, scope);
    const token = readCredentials(headers);
    return token === null ? { kind: 'anonymous' } : authenticate(token, users, scope);
  };
}
