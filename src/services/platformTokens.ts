// Minting platform tokens (platform-tokens.md): a subject that authenticates exactly as on
// /graphql (the same authenticator: verification, provisioning, every refusal) becomes a token
// signed with the active platform key, its scopes read from this database and only narrowed.
import { randomUUID } from 'node:crypto';
import type { IssuerConfig } from '../config/issuers.js';
import type { PlatformConfig } from '../config/platform.js';
import type { Principal } from '../domain/types.js';
import { signCompact } from '../auth/platformCrypto.js';
import type { PlatformKeyStore } from '../auth/platformKeys.js';
import { PLATFORM_PROVIDER, platformTokenClaims, platformTokenExpiry } from '../auth/platformToken.js';
import { exchangeWorkosCode, WorkosCodeRejected, WorkosUnavailable } from '../auth/workos.js';
import type { Queryable } from '../db/queryable.js';
import type { UserStore, UserView } from '../db/userStore.js';
import type { AuthenticateToken } from './authenticate.js';
import { findKeyAwareScopes } from './scopes.js';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** A refusal in RFC 6749 §5.2's terms; the HTTP layer answers it as is. */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(description, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export interface IssuedToken {
  access_token: string;
  issued_token_type: typeof ACCESS_TOKEN_TYPE;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface PlatformTokenServiceOptions {
  config: PlatformConfig;
  keys: PlatformKeyStore;
  db: Queryable;
  /** The user store (the token's email claims come from the user's row). */
  users: UserStore;
  authenticateToken: AuthenticateToken;
  issuers: readonly IssuerConfig[];
  fetch?: typeof fetch;
  fetchTimeoutMs: number;
  now?: () => number;
}

/** What every grant asks for besides its credential. */
export interface GrantRequest {
  /** Null for every scope held; else a subset of them. */
  scope: readonly string[] | null;
  /** The request's `client_id` field (the token's `client_id` claim then); null when not given. */
  clientId: string | null;
}

export interface PlatformTokenService {
  /** RFC 8693: a subject token for a platform token. */
  exchange(input: GrantRequest & { subjectToken: string }): Promise<IssuedToken>;
  /** WorkOS's authorization code with its PKCE verifier, exchanged with WorkOS, then as `exchange`. */
  exchangeCode(input: GrantRequest & { issuer: string; code: string; codeVerifier: string }): Promise<IssuedToken>;
  /** Names of the issuers that accept the code grant (WorkOS with an API key). */
  readonly codeGrantIssuers: readonly string[];
}

const invalidGrant = (description: string) => new OAuthError(400, 'invalid_grant', description);

export function createPlatformTokenService(options: PlatformTokenServiceOptions): PlatformTokenService {
  const { config, keys, db } = options;
  const now = options.now ?? Date.now;
  // WorkOS's authenticate call names a client: an entry pinned by audience alone offers no code grant.
  const codeIssuers = new Map(options.issuers.filter((i) => i.kind === 'workos' && i.userinfoApiKey !== null && i.clientId !== null).map((i) => [i.name, i]));

  /** `users`: the view authentication held the user's row in, if it read or wrote it. */
  async function mint(principal: Principal, users: UserView, request: GrantRequest, idp?: string): Promise<IssuedToken> {
    const requested = request.scope;
    if (principal.kind === 'service') throw invalidGrant('The subject token belongs to a service principal.');
    // Platform tokens name users (api-keys.md).
    if (principal.kind === 'api_key') throw invalidGrant('An organization API key cannot be exchanged: platform tokens name users.');
    if (principal.kind !== 'user') throw invalidGrant('The subject token is invalid.');
    // Exchanging a platform token would renew it without the IdP's word: never.
    if (principal.claims.provider === PLATFORM_PROVIDER || principal.claims.issuer === config.issuer) {
      throw invalidGrant('The subject token is a platform token.');
    }
    if (idp !== undefined && principal.claims.provider !== idp) throw invalidGrant('The access token does not come from this issuer.');
    const key = keys.signingKey();
    const [held, user] = await Promise.all([findKeyAwareScopes(db, principal), users.get(principal.userId)]);
    if (user === null) throw invalidGrant('The subject token names no user.');
    let scopes = held;
    if (requested !== null) {
      const holds = new Set(held);
      if (requested.some((s) => !holds.has(s))) throw new OAuthError(400, 'invalid_scope', 'The requested scope exceeds the scopes the user holds.');
      scopes = held.filter((s) => requested.includes(s));
    }
    const { claims: subject } = principal;
    const issuedAt = Math.floor(now() / 1000);
    // Never outlives the login it came from: an opaque session without `exp` states no end.
    const expiresAt = platformTokenExpiry(issuedAt, config.tokenTtlSeconds, subject.expiresAtAssumed === true ? null : subject.expiresAt);
    if (expiresAt === null) throw invalidGrant('The subject token is expiring.');
    const claims = platformTokenClaims({
      issuer: config.issuer,
      audience: config.audience,
      userId: principal.userId,
      issuedAt,
      expiresAt,
      authTime: subject.authTime ?? subject.issuedAt,
      // RFC 9068 §2.2: the client is required; the issuer's name names the client when nothing else does.
      clientId: request.clientId ?? subject.clientId ?? subject.provider,
      jti: randomUUID(),
      sessionId: principal.claims.sessionId ?? randomUUID(),
      scopes,
      email: user.email,
      emailVerified: user.emailVerified,
      idp: principal.claims.provider,
      impersonator: principal.impersonator,
    });
    return {
      access_token: signCompact(key.alg, key.encodedHeader, claims, key.privateKey!),
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: expiresAt - issuedAt,
      scope: scopes.join(' '),
    };
  }

  return {
    codeGrantIssuers: [...codeIssuers.keys()],

    async exchange(input) {
      const users = options.users.view();
      return mint(await options.authenticateToken(input.subjectToken, users), users, input);
    },

    async exchangeCode(input) {
      const issuer = codeIssuers.get(input.issuer);
      if (issuer === undefined) throw new OAuthError(400, 'invalid_request', 'issuer names no WorkOS issuer that accepts authorization codes.');
      let accessToken: string;
      try {
        accessToken = await exchangeWorkosCode(issuer, { code: input.code, codeVerifier: input.codeVerifier }, { fetch: options.fetch, timeoutMs: options.fetchTimeoutMs });
      } catch (error) {
        if (error instanceof WorkosCodeRejected) throw new OAuthError(400, 'invalid_grant', 'WorkOS refused the authorization code.', { cause: error });
        if (error instanceof WorkosUnavailable) throw new OAuthError(503, 'temporarily_unavailable', 'WorkOS cannot be reached right now; retry later.', { cause: error, retryAfterSeconds: 5 });
        throw error;
      }
      const users = options.users.view();
      return mint(await options.authenticateToken(accessToken, users), users, input, issuer.name);
    },
  };
}
