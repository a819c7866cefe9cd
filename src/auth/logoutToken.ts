// OpenID Connect Back-Channel Logout 1.0 §2.4/§2.6: a logout token verified with the keys of the
// trusted issuer it names, reduced to what ends sessions. Every refusal is one AppError (400
// invalid_request), except keys that cannot be fetched (503: the IdP retries).
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { IssuerConfig } from '../config/issuers.js';
import { AppError, isAppError, type Reason } from '../errors.js';
import type { LogoutRequest } from '../domain/types.js';
import { isStorableIdentifier } from './claims.js';
import type { KeySource } from './keys.js';
import { EMBEDDED_KEY_HEADERS, FORBIDDEN_ALG } from './verifier.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Logout tokens live minutes; a longer one would keep its jti in the database as long. */
const MAX_LIFETIME_SECONDS = 86_400;
const MAX_FUTURE_IAT_SECONDS = 60;
// A logout is sent when the session ends: an old one is a replay whose jti we may have forgotten.
const MAX_IAT_AGE_SECONDS = 300;

export function invalidLogoutToken(reason: Reason, cause?: unknown): AppError {
  return new AppError('BAD_USER_INPUT', { message: 'invalid_request', reason, cause });
}

/** Whether a JWT is a logout token (its `typ`, or its `events` member): never a bearer credential. */
export function isLogoutToken(header: { typ?: unknown }, payload: JWTPayload): boolean {
  if (typeof header.typ === 'string' && /^(application\/)?logout\+jwt$/i.test(header.typ)) return true;
  const events = payload['events'];
  return typeof events === 'object' && events !== null && BACKCHANNEL_LOGOUT_EVENT in events;
}

/** `sid`, `sub` and `jti` are stored (revocations, seen jtis): not blank, no NUL, at most 255 bytes. */
function identifier(value: unknown): string | null {
  return typeof value === 'string' && isStorableIdentifier(value) ? value : null;
}

export interface LogoutTokenVerifier {
  /** @throws AppError BAD_USER_INPUT (any invalid token), AUTH_PROVIDER_UNAVAILABLE */
  verify(token: string): Promise<LogoutRequest>;
}

export function createLogoutTokenVerifier(options: {
  issuers: IssuerConfig[];
  keySources: Map<string, KeySource>;
  now?: () => number;
}): LogoutTokenVerifier {
  const now = options.now ?? Date.now;
  const byIssuer = new Map(options.issuers.map((config) => [config.issuer, config]));

  return {
    async verify(token) {
      if (token.length > 16_384 || token.split('.').length !== 3) throw invalidLogoutToken('malformed');
      let header: ReturnType<typeof decodeProtectedHeader>;
      let claims: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch (error) {
        throw invalidLogoutToken('malformed', error);
      }
      if (typeof header.alg !== 'string' || FORBIDDEN_ALG.test(header.alg)) throw invalidLogoutToken('alg_not_allowed');
      if (EMBEDDED_KEY_HEADERS.some((name) => name in header)) throw invalidLogoutToken('embedded_key');
      // §2.4: `logout+jwt` is the explicit type; tokens without one (older IdPs) or plain JWT pass.
      if (header.typ !== undefined && !(typeof header.typ === 'string' && /^((application\/)?logout\+jwt|jwt)$/i.test(header.typ))) {
        throw invalidLogoutToken('wrong_typ');
      }
      const config = typeof claims.iss === 'string' ? byIssuer.get(claims.iss) : undefined;
      const keys = config === undefined ? undefined : options.keySources.get(config.name);
      if (config === undefined || keys === undefined) throw invalidLogoutToken('unknown_issuer');
      const audience = [...(config.audience ?? []), ...config.clientIds];
      if (audience.length === 0) throw invalidLogoutToken('no_audience');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, async (h) => (await keys.getKey({ alg: h.alg, kid: h.kid })).key, {
          issuer: config.issuer,
          audience,
          algorithms: config.algorithms.filter((alg) => !FORBIDDEN_ALG.test(alg)),
          requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
          clockTolerance: 5,
          currentDate: new Date(now()),
        }));
      } catch (error) {
        if (isAppError(error) && error.code === 'AUTH_PROVIDER_UNAVAILABLE') throw error;
        throw invalidLogoutToken('verification_failed', error);
      }
      const nowSeconds = now() / 1000;
      const { iat, exp } = payload as { iat: number; exp: number };
      if (!(exp > nowSeconds)) throw invalidLogoutToken('token_expired');
      if (iat > nowSeconds + MAX_FUTURE_IAT_SECONDS) throw invalidLogoutToken('iat_in_future');
      if (iat < nowSeconds - MAX_IAT_AGE_SECONDS) throw invalidLogoutToken('iat_too_old');
      if (exp - nowSeconds > MAX_LIFETIME_SECONDS) throw invalidLogoutToken('invalid_lifetime');
      const events = payload['events'];
      if (typeof events !== 'object' || events === null || Array.isArray(events)) throw invalidLogoutToken('missing_events');
      const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidLogoutToken('missing_events');
      // §2.4: a logout token must not carry a nonce (so an ID token cannot pass for one).
      if ('nonce' in payload) throw invalidLogoutToken('nonce_present');
      const jti = identifier(payload.jti);
      if (jti === null) throw invalidLogoutToken('invalid_jti');
      const subject = payload.sub === undefined ? null : identifier(payload.sub);
      const sessionId = payload['sid'] === undefined ? null : identifier(payload['sid']);
      if ((payload.sub !== undefined && subject === null) || (payload['sid'] !== undefined && sessionId === null)) throw invalidLogoutToken('invalid_sub_or_sid');
      if (subject === null && sessionId === null) throw invalidLogoutToken('missing_sub_and_sid');
      return { issuerName: config.name, issuer: config.issuer, subject, sessionId, issuedAt: Math.floor(iat), jti, expiresAt: Math.floor(exp) };
    },
  };
}
