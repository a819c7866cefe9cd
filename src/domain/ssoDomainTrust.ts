// emailTrust "ssoDomain" (callers.md): an enterprise directory (Auth0's Azure AD and ADFS
// connections) sends `email_verified: false` for addresses the enterprise vouches for. Such an
// email counts as verified when the token's `org_id` is bound (SSO) to an organization on this
// issuer AND the email's domain is one of that binding's domains; any other email of the issuer
// follows `claim`. Pure: the binding's domains are handed in.
import { emailDomain } from './email.js';
import type { UserClaims } from './types.js';

/**
 * Whether a normalised email is vouched for by its organization's binding. `boundDomains`: the
 * domains of the binding the token's organization claim names on its issuer; absent (undefined
 * or null) when that organization is not bound there. Domains are stored normalised, and so is
 * the email, so the comparison is exact: a subdomain is not its parent.
 */
export function vouchedBySsoDomain(email: string, boundDomains: ReadonlySet<string> | null | undefined): boolean {
  return boundDomains != null && boundDomains.has(emailDomain(email));
}

/**
 * The claims as the identity rules take them: a pending email (claims.emailTrustPending) verified
 * when vouched for by its binding, else left as `claim` decided; either way no longer pending.
 */
export function settleSsoDomainTrust(claims: UserClaims, boundDomains: ReadonlySet<string> | null | undefined): UserClaims {
  if (claims.emailTrustPending !== true) return claims;
  const { emailTrustPending: _pending, ...rest } = claims;
  const emailVerified = claims.emailVerified || (claims.email !== null && vouchedBySsoDomain(claims.email, boundDomains));
  return { ...rest, emailVerified };
}
