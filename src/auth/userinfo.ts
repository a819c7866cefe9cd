// Fetches a user's profile from the issuer's userinfo endpoint when the token carries no email
// (Auth0 /userinfo, WorkOS user management). Cached per identity: Auth0 rate-limits /userinfo
// to a handful of calls per user per minute, and concurrent calls share one fetch.
import type { IssuerConfig } from '../config/issuers.js';
import { normalizeEmail } from '../domain/email.js';
import { AppError } from '../errors.js';
import { personNames } from '../domain/names.js';
import { fetchJson, isPlainObject } from './fetch.js';
import { expiringCache, setUntil } from '../lib/expiringCache.js';
import { singleFlight } from '../lib/singleFlight.js';

export interface UserProfile {
  email: string | null;
  emailVerified: boolean | null;
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

export interface UserinfoClientOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
  ttlSeconds?: number /* default 600 */;
  /** How long "no profile for this token" (a 4xx other than 429) is remembered; default 60. */
  missingTtlSeconds?: number;
  maxEntries?: number /* default 10000 */;
  now?: () => number;
}

export interface UserinfoClient {
  /**
   * @throws AppError UNAUTHENTICATED (reason `userinfo_subject_mismatch`: the profile names another
   * subject), AUTH_PROVIDER_UNAVAILABLE (unreachable, 429, 5xx, not JSON).
   */
  fetchProfile(issuer: IssuerConfig, subject: string, accessToken: string): Promise<UserProfile>;
}

function workosUrl(template: string, subject: string): string {
  const encoded = encodeURIComponent(subject);
  if (template.includes('{sub}')) return template.replaceAll('{sub}', encoded);
  return `${template.endsWith('/') ? template : `${template}/`}${encoded}`;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Names: OIDC /userinfo (Auth0) says `given_name` / `family_name`, a WorkOS user `first_name` / `last_name`. */
function toProfile(issuer: IssuerConfig, body: Record<string, unknown>): UserProfile {
  const verified = typeof body.email_verified === 'boolean' ? body.email_verified : null;
  const workos = issuer.kind === 'workos';
  const names = personNames({
    name: text(body.name),
    givenName: text(workos ? body.first_name : body.given_name),
    familyName: text(workos ? body.last_name : body.family_name),
  });
  return { email: normalizeEmail(body.email), emailVerified: verified, ...names };
}

const NO_PROFILE: UserProfile = Object.freeze({ email: null, emailVerified: null, name: null, givenName: null, familyName: null });

/** The endpoint answered, and its answer will not change on a retry: no profile for this token. */
class NoProfile extends Error {}

/** The profile names another subject than the token's. */
class SubjectMismatch extends Error {}

/**
 * The subject a profile names: `sub` for OIDC /userinfo (Auth0), `id` for a WorkOS user object.
 * OpenID Connect Core §5.3.2: a profile for another subject must not be used (the guard the
 * WorkOS integration we replace called `user_id_mismatch`).
 */
function profileSubject(issuer: IssuerConfig, body: Record<string, unknown>): unknown {
  return issuer.kind === 'workos' ? body.id : body.sub;
}

export function createUserinfoClient(options: UserinfoClientOptions): UserinfoClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const ttlMs = (options.ttlSeconds ?? 600) * 1000;
  const missingTtlMs = (options.missingTtlSeconds ?? 60) * 1000;
  const cache = expiringCache<string, UserProfile>(options.maxEntries ?? 10_000, now);
  const loading = singleFlight<string, UserProfile>();

  async function load(issuer: IssuerConfig, subject: string, accessToken: string): Promise<UserProfile> {
    if (issuer.userinfoUrl === null) throw new Error(`issuer "${issuer.name}" has no userinfoUrl`);
    let url: string;
    let credential: string;
    if (issuer.kind === 'workos') {
      // WorkOS: a server-side API call about the subject, authenticated with the API key.
      if (issuer.userinfoApiKey === null) throw new Error(`issuer "${issuer.name}" has no userinfo API key`);
      url = workosUrl(issuer.userinfoUrl, subject);
      credential = issuer.userinfoApiKey;
    } else {
      // OIDC Core §5.3: the access token itself authenticates the userinfo request.
      url = issuer.userinfoUrl;
      credential = accessToken;
    }
    const response = await fetchJson({
      fetch: fetchImpl,
      url,
      headers: { authorization: `Bearer ${credential}` },
      timeoutMs: options.timeoutMs,
      maxBytes: 65_536,
    });
    // 401/403/404: the IdP has no profile for this token (Auth0 answers 401 to a token without
    // the `openid` scope). Retrying cannot help, so the identity proceeds without an email, as
    // with no userinfoUrl at all. 429 and 5xx are outages: retry later.
    if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new NoProfile();
    if (response.status !== 200) throw new Error(`userinfo endpoint answered HTTP ${response.status}`);
    if (!isPlainObject(response.body)) throw new Error('userinfo response is not a JSON object');
    if (profileSubject(issuer, response.body) !== subject) throw new SubjectMismatch();
    return toProfile(issuer, response.body);
  }

  return {
    async fetchProfile(issuer, subject, accessToken) {
      const key = `${issuer.name}\u0000${subject}`;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      return loading.run(key, () =>
        load(issuer, subject, accessToken).then(
          (profile) => {
            setUntil(cache, key, profile, now() + ttlMs);
            return profile;
          },
          (error: unknown) => {
            if (error instanceof NoProfile) {
              setUntil(cache, key, NO_PROFILE, now() + missingTtlMs);
              return NO_PROFILE;
            }
            // Nothing of the profile is used or remembered: the request is refused.
            if (error instanceof SubjectMismatch) throw new AppError('UNAUTHENTICATED', { reason: 'userinfo_subject_mismatch' });
            // Not cached: the next request tries again.
            throw new AppError('AUTH_PROVIDER_UNAVAILABLE', {
              message: "The identity provider's profile endpoint cannot be reached right now; retry later.",
              reason: 'userinfo_unavailable',
              retryAfterSeconds: 5,
              cause: error,
            });
          },
        ),
      );
    },
  };
}
