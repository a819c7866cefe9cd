// RFC 7662 introspection for this service's callers (callers.md): a token is authenticated exactly
// as on /graphql (the same authenticator: verification, provisioning, admission) and described in
// canonical terms: the user id, the profile from this database, the scope the Router coprocessor
// builds. Whatever must not work is inactive; whatever cannot be told (the identity store or the
// issuer's keys unreachable) throws its 503 AppError.
import type { Principal, User } from '../domain/types.js';
import { isAppError } from '../errors.js';
import { MAX_TOKEN_BYTES } from '../auth/bearer.js';
import { PLATFORM_PROVIDER } from '../auth/platformToken.js';
import { API_KEY_PROVIDER } from './apiKeyAuth.js';
import type { UserStore, UserView } from '../db/userStore.js';
import type { AuthenticateToken } from './authenticate.js';
import { principalScope, type UserScopes } from './scopes.js';

/** An RFC 7662 §2.2 answer: members without a value are left out, never null or empty. */
export type IntrospectionAnswer = { active: false } | ({ active: true } & Record<string, string | number | boolean>);

export const INACTIVE: IntrospectionAnswer = Object.freeze({ active: false as const });

/** Value now when every part is known (the warm path), else a promise. */
export type IntrospectToken = (token: string) => IntrospectionAnswer | Promise<IntrospectionAnswer>;

export interface TokenIntrospectionDeps {
  authenticateToken: AuthenticateToken;
  users: UserStore;
  scopes: UserScopes;
  /** PLATFORM_ISSUER: the `iss` of what this service issued itself (platform tokens, API keys); null when unset. */
  platformIssuer: string | null;
}

/** What every description may need besides the principal and its user. */
interface Context {
  platformIssuer: string | null;
}

type Known = Exclude<Principal, { kind: 'anonymous' }>;
type Members = Record<string, string | number | boolean>;

/** Sets `name` when `value` is a value: never null, undefined or an empty string. */
function put(members: Members, name: string, value: string | number | boolean | null | undefined): void {
  if (value === null || value === undefined || value === '') return;
  members[name] = value;
}

function after<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * What each principal kind answers, besides `active` and `scope`. One entry per kind of Principal
 * (a new kind fails to compile until it says what it answers).
 */
const DESCRIBE: { [K in Known['kind']]: (principal: Extract<Known, { kind: K }>, user: User | null, context: Context) => Members | null } = {
  user(principal, user, context) {
    // Deleted between admission and this read: nothing to describe.
    if (user === null) return null;
    const { claims } = principal;
    const members: Members = { sub: principal.userId, principal: 'user' };
    if (claims.provider === API_KEY_PROVIDER) {
      // A personal API key: this service issued it (PLATFORM_ISSUER, when set); no IdP.
      put(members, 'iss', context.platformIssuer);
    } else {
      put(members, 'iss', claims.issuer);
      // A platform token names the issuer the user signed in with; any other token, its entry.
      put(members, 'idp', claims.provider === PLATFORM_PROVIDER ? claims.idp : claims.provider);
    }
    put(members, 'email', user.email);
    if (user.email !== null) members['email_verified'] = user.emailVerified;
    put(members, 'name', user.name);
    put(members, 'given_name', user.givenName);
    put(members, 'family_name', user.familyName);
    // An opaque session whose answer stated no `exp` has none to give.
    if (claims.expiresAtAssumed !== true) put(members, 'exp', claims.expiresAt);
    put(members, 'iat', claims.issuedAt);
    put(members, 'sid', claims.sessionId);
    put(members, 'client_id', claims.clientId);
    return members;
  },
  service(principal) {
    const { claims } = principal;
    const members: Members = { sub: claims.subject, principal: 'service' };
    put(members, 'client_id', claims.clientId);
    put(members, 'iss', claims.issuer);
    put(members, 'idp', claims.provider);
    put(members, 'exp', claims.expiresAt);
    put(members, 'iat', claims.issuedAt);
    return members;
  },
  api_key(principal, _user, context) {
    // An organization's key: it acts for that organization alone, and names no user.
    const members: Members = { sub: principal.keyId, principal: 'api_key', organization_id: principal.organizationId };
    put(members, 'iss', context.platformIssuer);
    put(members, 'exp', principal.expiresAt);
    put(members, 'client_id', principal.keyId);
    return members;
  },
};

function describe(principal: Known, user: User | null, scope: string, context: Context): IntrospectionAnswer {
  const members = (DESCRIBE[principal.kind] as (p: Known, u: User | null, c: Context) => Members | null)(principal, user, context);
  if (members === null) return INACTIVE;
  put(members, 'scope', scope);
  return { active: true, ...members };
}

/** Refusals that mean "this token must not work": 401s and 403s (revoked, suspended, unverified email…). */
function inactiveOrThrow(error: unknown): IntrospectionAnswer {
  if (isAppError(error) && (error.status === 401 || error.status === 403)) return INACTIVE;
  throw error;
}

/** A token that /graphql would refuse before verifying it (whitespace, over 8 KiB). */
function unusable(token: string): boolean {
  return token.length === 0 || /\s/.test(token) || Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES;
}

export function createTokenIntrospection(deps: TokenIntrospectionDeps): IntrospectToken {
  const context: Context = { platformIssuer: deps.platformIssuer };
  function answer(principal: Principal, view: UserView): IntrospectionAnswer | Promise<IntrospectionAnswer> {
    if (principal.kind === 'anonymous') return INACTIVE;
    const user = principal.kind === 'user' ? view.get(principal.userId) : null;
    return after(user, (row) => after(principalScope(deps.scopes, principal), (scope) => describe(principal, row, scope, context)));
  }

  return (token) => {
    if (unusable(token)) return INACTIVE;
    const view = deps.users.view();
    let principal: Principal | Promise<Principal>;
    try {
      principal = deps.authenticateToken(token, view);
    } catch (error) {
      return inactiveOrThrow(error);
    }
    if (!(principal instanceof Promise)) return answer(principal, view);
    return principal.then((known) => answer(known, view), inactiveOrThrow);
  };
}
