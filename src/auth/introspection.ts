// Opaque legacy session tokens (legacy-sessions.md): checked at the introspection issuer's
// RFC 7662 endpoint, answers cached by token digest, one call per token in flight; and the
// dispatch that sends a credential to the JWT verifier or here by its shape.
import type { IntrospectionIssuerConfig } from '../config/issuers.js';
import type { UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { AppError, type Reason } from '../errors.js';
import { sha256 } from '../lib/digest.js';
import { expiringCache, setUntil } from '../lib/expiringCache.js';
import { singleFlight } from '../lib/singleFlight.js';
import { readEmailAddress } from '../domain/email.js';
import { displayNameFromClaim, isStorableIdentifier, readSignIn, trustEmail } from './claims.js';
import { fetchJson, isPlainObject, isTimeout } from './fetch.js';
import type { TokenVerifier } from './verifier.js';

/** How one introspection call ended (metrics, logs). `refused`: our client credentials were. */
export type IntrospectionOutcome = 'active' | 'inactive' | 'error' | 'timeout' | 'refused';

export interface IntrospectionVerifierOptions {
  config: IntrospectionIssuerConfig;
  fetch?: typeof fetch;
  /** Deadline of one call (JWKS_FETCH_TIMEOUT_MS). */
  timeoutMs: number;
  now?: () => number /* ms */;
  /** How long a negative answer is remembered; default and maximum 5000 ms. */
  negativeTtlMs?: number;
  maxEntries?: number /* default 10000 */;
  onCall?: (outcome: IntrospectionOutcome) => void;
  /**
   * For an active answer without `iat`: records that the session with this token digest is
   * accepted and resolves with when this service first accepted it (ms), the same on every
   * replica (legacy-sessions.md). Called when an answer is fetched, never per request. Absent:
   * such a session counts as issued before every revocation.
   */
  firstAccepted?: (digest: string) => Promise<number>;
}

interface Answer {
  /** Null: the token is not active (or names no subject). */
  principal: VerifiedPrincipal | null;
  /** Why it describes no principal ('active' when it does). */
  reason: Reason | 'active';
}

const MAX_NEGATIVE_TTL_MS = 5000;

/** RFC 7515 §7.1: a compact JWS has exactly two dots; anything with fewer is opaque. */
export function isCompactJws(token: string): boolean {
  const first = token.indexOf('.');
  return first !== -1 && token.indexOf('.', first + 1) !== -1;
}

function unavailable(reason: Reason, cause?: unknown): AppError {
  return new AppError('AUTH_PROVIDER_UNAVAILABLE', {
    message: 'The session service cannot check this token right now; retry later.',
    reason,
    retryAfterSeconds: 5,
    cause,
  });
}

function readSubject(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  // Legacy systems often number their users.
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : null;
}

/**
 * legacy-sessions.md: a `sid` or email holding a NUL (PostgreSQL's text refuses it) or over 255
 * bytes makes the answer invalid (401), never a database error. Absent or blank: no value.
 */
function storable(value: unknown): boolean {
  return typeof value !== 'string' || value.trim() === '' || isStorableIdentifier(value);
}

function seconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The principal an active RFC 7662 answer describes, or the reason it describes none. */
export function readIntrospectionAnswer(config: IntrospectionIssuerConfig, body: Record<string, unknown>, nowMs: number): UserClaims | Reason {
  if (body.active !== true) return 'inactive';
  const exp = seconds(body.exp);
  if (exp !== null && exp * 1000 <= nowMs) return 'token_expired';
  const nbf = seconds(body.nbf);
  if (nbf !== null && nbf * 1000 > nowMs) return 'token_not_yet_valid';
  const subject = readSubject(body[config.subjectField]);
  if (subject === null) return 'missing_sub';
  if (!isStorableIdentifier(subject)) return 'invalid_sub';
  if (!storable(body['sid'])) return 'invalid_sid';
  if (!storable(body[config.emailField])) return 'invalid_email';
  const rawName = body[config.nameField];
  if (typeof rawName === 'string' && rawName.includes('\u0000')) return 'invalid_name';
  const email = readEmailAddress(body[config.emailField]);
  return {
    provider: config.name,
    issuer: config.issuer,
    subject,
    email,
    emailVerified: trustEmail(config.emailTrust, email, body[config.emailVerifiedField]),
    name: displayNameFromClaim(typeof rawName === 'string' ? rawName : null),
    // givenNameField / familyNameField (callers.md) are read by the old-validator work.
    givenName: null,
    familyName: null,
    externalOrganizationId: null,
    impersonator: null,
    // Without an `exp` the token is trusted as long as this answer is.
    expiresAt: exp ?? Math.ceil(nowMs / 1000 + config.cacheSeconds),
    ...(exp === null ? { expiresAtAssumed: true } : {}),
    // Revocations (lifecycle.md) compare with the session's `iat`, when the answer has one.
    issuedAt: seconds(body.iat) === null ? null : Math.floor(seconds(body.iat)!),
    sessionId: null,
    // RFC 7662 §2.2 names the client in `client_id`.
    ...readSignIn(body['auth_time'], body['client_id']),
  };
}

/**
 * A verifier of opaque tokens against the introspection endpoint.
 * `verify` throws AppError UNAUTHENTICATED (inactive, expired, no subject) or
 * AUTH_PROVIDER_UNAVAILABLE (unreachable, timeout, 5xx, our credentials refused, a malformed answer).
 */
export function createIntrospectionVerifier(options: IntrospectionVerifierOptions): TokenVerifier {
  const { config } = options;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const negativeTtlMs = Math.min(options.negativeTtlMs ?? MAX_NEGATIVE_TTL_MS, MAX_NEGATIVE_TTL_MS);
  // Answers are served without a call until they expire (the cache drops them then).
  const cache = expiringCache<string, Answer>(options.maxEntries ?? 10_000, now);
  const calls = singleFlight<string, VerifiedPrincipal>();
  // RFC 7662 §2.1 with RFC 7617 Basic credentials, `clientId:secret` as configured.
  const authorization = `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`, 'utf8').toString('base64')}`;

  async function call(token: string): Promise<Record<string, unknown>> {
    let response;
    try {
      response = await fetchJson({
        fetch: fetchImpl,
        url: config.introspectionUrl,
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
        timeoutMs: options.timeoutMs,
        // fetchJson never follows a redirect: it would carry the token and our credentials elsewhere.
        maxBytes: 65_536,
      });
    } catch (error) {
      options.onCall?.(isTimeout(error) ? 'timeout' : 'error');
      throw unavailable(isTimeout(error) ? 'introspection_timeout' : 'introspection_unreachable', error);
    }
    // RFC 7662 §2.3: 401 means the endpoint refused OUR credentials; the token may be fine.
    if (response.status === 401 || response.status === 403) {
      options.onCall?.('refused');
      throw unavailable('introspection_refused_client', new Error(`introspection endpoint answered HTTP ${response.status}`));
    }
    if (response.status !== 200 || !isPlainObject(response.body) || typeof response.body.active !== 'boolean') {
      options.onCall?.('error');
      throw unavailable('introspection_failed', new Error(`introspection endpoint answered HTTP ${response.status} without an RFC 7662 answer`));
    }
    return response.body;
  }

  async function load(key: string, token: string): Promise<VerifiedPrincipal> {
    const body = await call(token);
    const at = now();
    const claims = readIntrospectionAnswer(config, body, at);
    if (typeof claims === 'string') {
      options.onCall?.('inactive');
      setUntil(cache, key, { principal: null, reason: claims }, at + negativeTtlMs);
      throw new AppError('UNAUTHENTICATED', { reason: claims });
    }
    options.onCall?.('active');
    // Revocations compare with the first acceptance (a database write; it may throw
    // IDENTITY_STORE_UNAVAILABLE, and then nothing is cached).
    if (claims.issuedAt === null && options.firstAccepted !== undefined) claims.firstAcceptedAt = (await options.firstAccepted(key)) / 1000;
    const principal: VerifiedPrincipal = Object.freeze({ kind: 'user', claims: Object.freeze(claims) });
    // Trusted for cacheSeconds, never past the token's own expiry.
    setUntil(cache, key, { principal, reason: 'active' }, Math.min(at + config.cacheSeconds * 1000, claims.expiresAt * 1000));
    return principal;
  }

  return {
    cachedPrincipal(token) {
      return cache.get(sha256(token))?.principal ?? undefined;
    },

    verify(token) {
      const key = sha256(token);
      const hit = cache.get(key);
      if (hit !== undefined) {
        return hit.principal !== null ? Promise.resolve(hit.principal) : Promise.reject(new AppError('UNAUTHENTICATED', { reason: hit.reason as Reason }));
      }
      return calls.run(key, () => load(key, token));
    },
  };
}

/**
 * Sends each credential to the verifier for its shape: compact JWS to `jwt`, anything else to
 * `opaque`. Without an introspection issuer the JWT verifier refuses opaque tokens (401).
 */
export function withOpaqueTokens(jwt: TokenVerifier, opaque: TokenVerifier | null): TokenVerifier {
  if (opaque === null) return jwt;
  return {
    cachedPrincipal: (token) => (isCompactJws(token) ? jwt.cachedPrincipal(token) : opaque.cachedPrincipal(token)),
    verify: (token) => (isCompactJws(token) ? jwt.verify(token) : opaque.verify(token)),
  };
}
