// The rule that decides what a never-seen external identity becomes. Pure. It joins an existing
// user by email only when BOTH emails are verified (the token's, under the issuer's emailTrust,
// and the stored one): linking on an unverified email would hand the account to anyone.
import { AppError } from '../errors.js';
import type { User, UserClaims } from './types.js';

export type NewIdentityDecision =
  | { action: 'link'; userId: string }
  | { action: 'create'; email: string | null; emailVerified: boolean };

/**
 * @param holder the user holding the token's email *verified*, if any.
 * @throws AppError EMAIL_NOT_VERIFIED when an unverified token email meets a verified holder.
 */
export function decideNewIdentity(claims: Pick<UserClaims, 'email' | 'emailVerified'>, holder: User | null): NewIdentityDecision {
  if (claims.email === null) return { action: 'create', email: null, emailVerified: false };
  if (holder !== null) {
    if (claims.emailVerified && holder.emailVerified) return { action: 'link', userId: holder.id };
    throw new AppError('EMAIL_NOT_VERIFIED');
  }
  return { action: 'create', email: claims.email, emailVerified: claims.emailVerified };
}

/** What an identity records of a sign-in's profile (and compares the next sign-in with). */
export type RecordedProfile = Pick<UserClaims, 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName'>;

/** The profile claims of a sign-in, as recorded: a copy, nothing else of the claims. */
export function recordedProfile(claims: RecordedProfile): RecordedProfile {
  return { email: claims.email, emailVerified: claims.emailVerified, name: claims.name, givenName: claims.givenName, familyName: claims.familyName };
}

/** True when a later sign-in carries profile claims that differ from those last recorded. */
export function profileChanged(
  seen: { email: string | null; emailVerified: boolean; name: string | null; givenName: string | null; familyName: string | null },
  claims: Pick<UserClaims, 'email' | 'emailVerified' | 'name' | 'givenName' | 'familyName'>,
): boolean {
  return (
    seen.email !== claims.email ||
    seen.emailVerified !== claims.emailVerified ||
    seen.name !== claims.name ||
    seen.givenName !== claims.givenName ||
    seen.familyName !== claims.familyName
  );
}
