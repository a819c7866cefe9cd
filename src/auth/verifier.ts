// Verifies a bearer JWT against the trusted issuers and turns it into a VerifiedPrincipal.
// Owns the pre-verification guards (shape, alg allow-list, embedded keys, exact issuer), the
// jose verification, the userinfo fallback and the verified-token cache.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type ProtectedHeaderParameters } from 'jose';
import type { IssuerConfig } from '../config/issuers.js';
import type { UserClaims, VerifiedPrincipal } from '../domain/types.js';
import { AppError, isAppError, type Reason } from '../errors.js';
import { MAX_TOKEN_BYTES } from './bearer.js';
import { readEmailAddress } from '../domain/email.js';
import { checkClaimText, ssoDomainPending, toVerifiedPrincipal, trustEmail } from './claims.js';
import type { KeySource } from './keys.js';
import { sha256 } from '../lib/digest.js';
import { isSignedPartOf, signedPartOf, tokenCacheKey } from './tokenCacheKey.js';
import { isLogoutToken } from './logoutToken.js';
import type { LRUCache } from 'lru-cache';
import { expiringCache, setUntil } from '../lib/expiringCache.js';
import { singleFlight } from '../lib/singleFlight.js';
import type { createUserinfoClient } from './userinfo.js';
import { PLATFORM_VERIFY_OPTIONS, toPlatformPrincipal, type PlatformIssuer } from './platformToken.js';

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedPrincipal>;
  /**
   * The principal of a token already verified and not expired, without a promise (the warm
   * path of every request); undefined otherwise: `verify` then decides, refusals included.
   */
  cachedPrincipal(token: string): VerifiedPrincipal | undefined;
}

export interface TokenVerifierOptions {
  issuers: IssuerConfig[];
  keySources: Map<string /* issuer name */, KeySource>;
  userinfo?: ReturnType<typeof createUserinfoClient> | null;
  now?: () => number /* ms */;
  clockToleranceSeconds?: number /* default 5 */;
  cacheMaxEntries?: number /* default 10000 */;
  /** This service's own platform tokens (platform-tokens.md); null or absent: none accepted. */
  platform?: PlatformIssuer | null;
}

// RFC 8725 §3.1/§3.2: never `none`, never a MAC algorithm for tokens verified with public keys
// (the RS256→HS256 confusion signs with the public key as the HMAC secret).
export const FORBIDDEN_ALG = /^(none|HS\d+)$/i;
// RFC 7515 §4.1.3-4.1.6: key material or key locations carried by the token itself. Trusting
// them lets the attacker supply the key that verifies the forgery (CVE-2018-0114 et al.).
export const EMBEDDED_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;
const BASE64URL_PART = /^[A-Za-z0-9_-]+$/;
// An `iat` further ahead than this is a clock far off, or a token minted to outlive maxTokenAge.
const MAX_FUTURE_IAT_SECONDS = 60;

function fail(reason: Reason, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', { reason, cause });
}

/**
 * Our own reason for a jose failure. jose's codes (`ERR_JWS_…`) name the library in use, an
 * internal detail clients must not see; the standard claim names are fine to say.
 */
function joseReason(error: errors.JOSEError): Reason {
  if (error instanceof errors.JWTExpired) return 'token_expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `${error.reason === 'missing' ? 'missing' : 'invalid'}_${error.claim}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'invalid_signature';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return 'alg_not_allowed';
  return 'malformed';
}

/** Why a verified token was accepted, re-checked on every use (a few reads, no promise). */
interface CacheEntry {
  /**
   * The token's signed part (`header.payload`), a copy of its own (a slice would keep the whole
   * token alive): the entry answers only a token that is this followed by the signature its key
   * digests. Without the signature it is no credential; its claims are held decoded anyway.
   */
  signed: string;
  principal: VerifiedPrincipal;
  /** ms: the token's exp, or its iat + maxTokenAgeSeconds when sooner; lapsesAs names which. */
  validUntil: number;
  lapsesAs: 'token_expired' | 'token_too_old';
  /** The issuer's key source, and the identity of the key that verified the signature. */
  keys: KeySource;
  keyId: string;
  /** The key source's generation when keyId was last seen published. */
  generation: number;
}

/** What a verification found: its cache entry, before the token's signed part is copied in. */
type Verification = Omit<CacheEntry, 'signed'>;

/** Why an unexpired cached entry no longer stands (the cache expires it at validUntil); null while it does. */
type Lapse = 'key_withdrawn' | 'keys_stale' | null;

function lapse(entry: CacheEntry, at: number): Lapse {
  const keys = entry.keys;
  if (at > keys.usableUntil) return 'keys_stale';
  if (entry.generation !== keys.generation) {
    // The published set changed since this token was last checked: is its key still there?
    if (!keys.holds(entry.keyId)) return 'key_withdrawn';
    entry.generation = keys.generation;
  }
  return null;
}

function freeze(principal: VerifiedPrincipal): VerifiedPrincipal {
  Object.freeze(principal.claims);
  return Object.freeze(principal);
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  const userinfo = options.userinfo ?? null;
  const platform = options.platform ?? null;
  const cache = expiringCache<string, CacheEntry>(options.cacheMaxEntries ?? 10_000, now);
  const verifying = singleFlight<string, VerifiedPrincipal>();

  const byIssuer = new Map<string, { config: IssuerConfig; keys: KeySource; algorithms: string[] }>();
  const issuerByName = new Map(options.issuers.map((config) => [config.name, config.issuer]));
  for (const config of options.issuers) {
    const keys = options.keySources.get(config.name);
    if (keys === undefined) throw new Error(`no key source for issuer "${config.name}"`);
    if ((config.kind === 'auth0' || config.kind === 'oidc') && (config.audience === null || config.audience.length === 0)) {
      throw new Error(`issuer "${config.name}" (${config.kind}) has no audience`);
    }
    if (config.kind === 'workos' && config.clientIds.length === 0 && (config.audience === null || config.audience.length === 0)) {
      throw new Error(`issuer "${config.name}" (workos) has neither clientId nor audience`);
    }
    const algorithms = config.algorithms.filter((alg) => !FORBIDDEN_ALG.test(alg));
    if (algorithms.length === 0) throw new Error(`issuer "${config.name}" allows no asymmetric algorithm`);
    byIssuer.set(config.issuer, { config, keys, algorithms });
  }

  function decode(token: string): { header: ProtectedHeaderParameters; payload: JWTPayload } {
    if (token.length > MAX_TOKEN_BYTES) throw fail('token_too_large');
    // RFC 7515 §7.1 compact serialization: exactly three base64url parts. JWE (five parts) and
    // unsecured JWTs with an empty signature are refused here.
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((part) => BASE64URL_PART.test(part))) throw fail('malformed');
    try {
      return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
    } catch (error) {
      throw fail('malformed', error);
    }
  }

  async function addProfile(claims: UserClaims, config: IssuerConfig, token: string): Promise<UserClaims> {
    if (claims.email !== null || config.userinfoUrl === null || userinfo === null) return claims;
    const profile = await userinfo.fetchProfile(config, claims.subject, token);
    const email = readEmailAddress(profile.email);
    checkClaimText(profile.name, 'name');
    checkClaimText(profile.givenName, 'given_name');
    checkClaimText(profile.familyName, 'family_name');
    const emailVerified = trustEmail(config.emailTrust, email, profile.emailVerified);
    // The token's own names, where it has them; the profile's otherwise.
    const named = claims.name !== null || claims.givenName !== null || claims.familyName !== null;
    return {
      ...claims,
      email,
      emailVerified,
      ...(named ? {} : { name: profile.name, givenName: profile.givenName, familyName: profile.familyName }),
      // An email from the profile under ssoDomain: as one in the token (callers.md).
      ...ssoDomainPending(config.emailTrust, { email, emailVerified, externalOrganizationId: claims.externalOrganizationId }),
    };
  }

  /** When a verified token stops being accepted, ms: its exp, or sooner when it gets too old. */
  function validUntil(payload: JWTPayload, config: IssuerConfig): { at: number; reason: CacheEntry['lapsesAs'] } {
    const expiresAt = (payload.exp as number) * 1000;
    if (config.maxTokenAgeSeconds === null) return { at: expiresAt, reason: 'token_expired' };
    const tooOldAt = ((payload.iat as number) + config.maxTokenAgeSeconds) * 1000;
    return tooOldAt < expiresAt ? { at: tooOldAt, reason: 'token_too_old' } : { at: expiresAt, reason: 'token_expired' };
  }

  async function verifySignature(token: string, keys: KeySource, verifyOptions: JWTVerifyOptions): Promise<{ payload: JWTPayload; signedBy: { id: string; generation: number } }> {
    let signedBy: { id: string; generation: number } | null = null;
    try {
      const result = await jwtVerify(
        token,
        async (protectedHeader) => {
          // The generation is read before the lookup: a set replaced meanwhile is re-checked.
          const generation = keys.generation;
          const resolved = await keys.getKey({ alg: protectedHeader.alg, kid: protectedHeader.kid });
          signedBy = { id: resolved.id, generation };
          return resolved.key;
        },
        { ...verifyOptions, clockTolerance, currentDate: new Date(now()) },
      );
      if (signedBy === null) throw fail('verification_failed');
      return { payload: result.payload, signedBy };
    } catch (error) {
      if (isAppError(error)) throw error; // key source: unknown kid (401) or IdP down (503)
      if (error instanceof errors.JOSEError) throw fail(joseReason(error), error);
      throw fail('verification_failed', error);
    }
  }

  /** Our own token: our keys, `at+jwt`, our audience; the canonical user is its `sub`. */
  async function verifyPlatform(token: string, alg: string, issuer: PlatformIssuer): Promise<Verification> {
    if (!PLATFORM_VERIFY_OPTIONS.algorithms.includes(alg)) throw fail('alg_not_allowed');
    const { payload, signedBy } = await verifySignature(token, issuer.keys, { ...PLATFORM_VERIFY_OPTIONS, issuer: issuer.issuer, audience: issuer.audience });
    const at = now();
    if (typeof payload.exp !== 'number' || !(payload.exp * 1000 > at)) throw fail('token_expired');
    if (typeof payload.iat === 'number' && payload.iat > at / 1000 + MAX_FUTURE_IAT_SECONDS) throw fail('iat_in_future');
    const principal = freeze(toPlatformPrincipal(payload, issuer.issuer, issuerByName));
    return { principal, validUntil: payload.exp * 1000, lapsesAs: 'token_expired', keys: issuer.keys, keyId: signedBy.id, generation: signedBy.generation };
  }

  async function verifyUncached(token: string): Promise<Verification> {
    const { header, payload } = decode(token);

    // Algorithm and header checks come before any key is looked up or fetched.
    if (typeof header.alg !== 'string' || FORBIDDEN_ALG.test(header.alg)) throw fail('alg_not_allowed');
    if (EMBEDDED_KEY_HEADERS.some((name) => name in header)) throw fail('embedded_key');
    if (header.kid !== undefined && typeof header.kid !== 'string') throw fail('malformed');
    // OIDC Back-Channel Logout §2.4: a logout token is never a bearer credential.
    if (isLogoutToken(header, payload)) throw fail('logout_token');

    if (typeof payload.iss !== 'string') throw fail('missing_iss');
    if (platform !== null && payload.iss === platform.issuer) return verifyPlatform(token, header.alg, platform);
    // Exact match, trailing slash included: `https://t.auth0.com` is not `https://t.auth0.com/`.
    const trusted = byIssuer.get(payload.iss);
    if (trusted === undefined) throw fail('unknown_issuer');
    const { config, keys, algorithms } = trusted;
    if (!algorithms.includes(header.alg)) throw fail('alg_not_allowed');

    const { payload: verified, signedBy } = await verifySignature(token, keys, {
      issuer: config.issuer,
      algorithms,
      ...(config.audience !== null ? { audience: config.audience } : {}),
      requiredClaims: ['iss', 'sub', 'exp'],
    });

    // No tolerance on expiry: skew tolerance is for nbf/iat; an expired token stays expired.
    const at = now();
    if (typeof verified.exp !== 'number' || !(verified.exp * 1000 > at)) throw fail('token_expired');
    if (typeof verified.iat === 'number' && verified.iat > at / 1000 + MAX_FUTURE_IAT_SECONDS) throw fail('iat_in_future');
    if (config.maxTokenAgeSeconds !== null && typeof verified.iat !== 'number') throw fail('missing_iat');
    if (typeof verified.sub !== 'string' || verified.sub.trim() === '') throw fail('invalid_sub');
    // callers.md: any listed client; an entry pinned by audience alone (checked above) takes any.
    if (config.kind === 'workos' && config.clientIds.length > 0 && !(typeof verified.client_id === 'string' && config.clientIds.includes(verified.client_id))) {
      throw fail('client_id_mismatch');
    }
    const until = validUntil(verified, config);
    if (!(until.at > at)) throw fail(until.reason);

    let principal = toVerifiedPrincipal(verified, config);
    if (principal.kind === 'user') principal = { kind: 'user', claims: await addProfile(principal.claims, config, token) };
    return { principal: freeze(principal), validUntil: until.at, lapsesAs: until.reason, keys, keyId: signedBy.id, generation: signedBy.generation };
  }

  return {
    cachedPrincipal(token) {
      const { key, signedLength } = tokenCacheKey(token);
      const hit = cache.get(key);
      return hit !== undefined && isSignedPartOf(hit.signed, token, signedLength) && lapse(hit, now()) === null ? hit.principal : undefined;
    },

    async verify(token) {
      // Keyed by a digest: the cache never holds a usable credential.
      const { key, signedLength } = tokenCacheKey(token);
      // An expired entry is returned once (then dropped) so it is refused with its own reason,
      // without verifying a token known to have lapsed. An entry made for another token (its
      // signature pasted onto other claims) answers nothing: this token is verified.
      const status: LRUCache.Status<string, CacheEntry> = {};
      const hit = cache.get(key, { allowStale: true, status });
      if (hit !== undefined && isSignedPartOf(hit.signed, token, signedLength)) {
        if (status.get === 'stale') throw fail(hit.lapsesAs);
        const why = lapse(hit, now());
        if (why === null) return hit.principal;
        cache.delete(key);
        if (why === 'key_withdrawn') throw fail('key_withdrawn');
        // Keys too stale: verify again, which brings them back or answers 503.
      }
      // One verification per token in flight: a client's parallel first requests share it (by
      // the whole token's digest: a signature pasted onto other claims shares nothing).
      return verifying.run(sha256(token), async () => {
        const entry = await verifyUncached(token);
        setUntil(cache, key, { ...entry, signed: signedPartOf(token, signedLength) }, entry.validUntil);
        return entry.principal;
      });
    },
  };
}
