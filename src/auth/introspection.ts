// Opaque legacy session tokens (legacy-sessions.md): checked at the introspection issuer's
// RFC 7662 endpoint, answers cached by token digest, one call per token in flight; and the
// dispatch that sends a credential to the JWT verifier or here by its shape.
import type { IntrospectionIssuerConfig } from '../config/issuers.js';
import type { ServiceClaims, UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { AppError, type Reason } from '../errors.js';
import { sha256 } from '../lib/digest.js';
import { expiringCache, setUntil } from '../lib/expiringCache.js';
import { singleFlight } from '../lib/singleFlight.js';
import { readEmailAddress } from '../domain/email.js';
import { personNames } from '../domain/names.js';
import { isStorableIdentifier, readSignIn, trustEmail } from './claims.js';
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

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * The principal a live answer describes, or the reason it describes none. Live: the answer's
 * `activeField` is `true` (with `activeField: null`, the 200 alone said so). A `principalField`
 * whose value is not `user` makes a service principal (scopes: the entry's `serviceScopes`).
 */
export function readIntrospectionAnswer(config: IntrospectionIssuerConfig, body: Record<string, unknown>, nowMs: number): VerifiedPrincipal | Reason {
  if (config.activeField !== null && body[config.activeField] !== true) return 'inactive';
  const exp = seconds(body.exp);
  if (exp !== null && exp * 1000 <= nowMs) return 'token_expired';
  const nbf = seconds(body.nbf);
  if (nbf !== null && nbf * 1000 > nowMs) return 'token_not_yet_valid';
  const subject = readSubject(body[config.subjectField]);
  if (subject === null) return 'missing_sub';
  if (!isStorableIdentifier(subject)) return 'invalid_sub';
  if (!storable(body['sid'])) return 'invalid_sid';
  if (!storable(body[config.emailField])) return 'invalid_email';
  const names = [config.nameField, config.givenNameField, config.familyNameField].map((field) => (field === null ? undefined : body[field]));
  if (names.some((value) => typeof value === 'string' && value.includes('\u0000'))) return 'invalid_name';
  // Without an `exp` the token is trusted as long as this answer is.
  const expiresAt = exp ?? Math.ceil(nowMs / 1000 + config.cacheSeconds);
  const issuedAt = seconds(body.iat) === null ? null : Math.floor(seconds(body.iat)!);
  const kind = config.principalField === null ? undefined : body[config.principalField];
  if (kind !== undefined && kind !== null && kind !== 'user') {
    const service: ServiceClaims = { provider: config.name, issuer: config.issuer, subject, scopes: new Set(config.serviceScopes ?? []), expiresAt };
    if (issuedAt !== null) service.issuedAt = issuedAt;
    const clientId = readSignIn(undefined, body['client_id']).clientId;
    if (clientId !== undefined) service.clientId = clientId;
    return { kind: 'service', claims: service };
  }
  const email = readEmailAddress(body[config.emailField]);
  const [rawName, rawGiven, rawFamily] = names.map(text);
  // callers.md, Names: the answer's name, else the given and family names that exist, joined.
  const { name, givenName, familyName } = personNames({ name: rawName, givenName: rawGiven, familyName: rawFamily });
  const claims: UserClaims = {
    provider: config.name,
    issuer: config.issuer,
    subject,
    email,
    emailVerified: trustEmail(config.emailTrust, email, body[config.emailVerifiedField]),
    name,
    givenName,
    familyName,
    externalOrganizationId: null,
    impersonator: null,
    expiresAt,
    ...(exp === null ? { expiresAtAssumed: true } : {}),
    // Revocations (lifecycle.md) compare with the session's `iat`, when the answer has one.
    issuedAt,
    sessionId: null,
    // RFC 7662 §2.2 names the client in `client_id`.
    ...readSignIn(body['auth_time'], body['client_id']),
  };
  return { kind: 'user', claims };
}

/** The request for `token` in the entry's shape (callers.md); Basic credentials whenever configured. */
export function introspectionRequest(config: IntrospectionIssuerConfig, token: string): { headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = {};
  if (config.clientId !== null && config.clientSecret !== null) {
    // RFC 7617 Basic, `clientId:secret` as configured.
    headers['authorization'] = `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`, 'utf8').toString('base64')}`;
  }
  switch (config.request.kind) {
    case 'rfc7662':
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return { headers, body: new URLSearchParams({ token }).toString() };
    case 'bearer':
      // The token is the Authorization: no room for Basic credentials beside it.
      headers['authorization'] = `Bearer ${token}`;
      return { headers };
    case 'header':
      headers[config.request.name] = token;
      return { headers };
  }
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
  const rfc7662 = config.request.kind === 'rfc7662';

  /** The answer's body when the session is live or may be (200); null when the validator said it is not. */
  async function call(token: string): Promise<Record<string, unknown> | null> {
    let response;
    try {
      response = await fetchJson({
        fetch: fetchImpl,
        url: config.introspectionUrl,
        method: config.method,
        ...introspectionRequest(config, token),
        timeoutMs: options.timeoutMs,
        // fetchJson never follows a redirect: it would carry the token and our credentials elsewhere.
        maxBytes: 65_536,
      });
    } catch (error) {
      options.onCall?.(isTimeout(error) ? 'timeout' : 'error');
      throw unavailable(isTimeout(error) ? 'introspection_timeout' : 'introspection_unreachable', error);
    }
    if (rfc7662 && (response.status === 401 || response.status === 403)) {
      // RFC 7662 §2.3: 401 means the endpoint refused OUR credentials; the token may be fine.
      options.onCall?.('refused');
      throw unavailable('introspection_refused_client', new Error(`introspection endpoint answered HTTP ${response.status}`));
    }
    // An old validator answers a dead session with 401, 403 or 404 (callers.md).
    if (!rfc7662 && (response.status === 401 || response.status === 403 || response.status === 404)) return null;
    const liveness = config.activeField === null ? true : isPlainObject(response.body) ? response.body[config.activeField] : undefined;
    if (response.status !== 200 || !isPlainObject(response.body) || typeof liveness !== 'boolean') {
      options.onCall?.('error');
      throw unavailable('introspection_failed', new Error(`introspection endpoint answered HTTP ${response.status} without a usable answer`));
    }
    return response.body;
  }

  async function load(key: string, token: string): Promise<VerifiedPrincipal> {
    const body = await call(token);
    const at = now();
    const read = body === null ? 'inactive' : readIntrospectionAnswer(config, body, at);
    if (typeof read === 'string') {
      options.onCall?.('inactive');
      setUntil(cache, key, { principal: null, reason: read }, at + negativeTtlMs);
      throw new AppError('UNAUTHENTICATED', { reason: read });
    }
    options.onCall?.('active');
    // Revocations compare with the first acceptance (a database write; it may throw
    // IDENTITY_STORE_UNAVAILABLE, and then nothing is cached). Services are not revoked.
    if (read.kind === 'user' && read.claims.issuedAt === null && options.firstAccepted !== undefined) {
      read.claims.firstAcceptedAt = (await options.firstAccepted(key)) / 1000;
    }
    const principal: VerifiedPrincipal = Object.freeze({ ...read, claims: Object.freeze(read.claims) }) as VerifiedPrincipal;
    // Trusted for cacheSeconds, never past the token's own expiry.
    setUntil(cache, key, { principal, reason: 'active' }, Math.min(at + config.cacheSeconds * 1000, read.claims.expiresAt * 1000));
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
