// Whether a user token's session is admitted: one pure decision over the facts about its user,
// identity and session, whether they come from the session view in memory or from the database
// (services/sessions.ts gathers them; services/authenticate.ts acts on the answer).
import type { UserClaims } from './types.js';

/** What is known against a token's user, identity and session. Times in seconds since epoch. */
export interface AdmissionFacts {
  /** `deleted` also when no row holds the id (the binding names a user that is gone). */
  status: 'active' | 'suspended' | 'deleted';
  /** When a deleted user was deleted: tokens issued up to then are revoked; null when unknown. */
  deletedAt: number | null;
  /** Tokens issued up to then are revoked (the latest of the user's, the identity's and the user's at the IdP); null: none. */
  revokedThrough: number | null;
  /** The token's session (`sid`) was ended. */
  sessionRevoked: boolean;
}

/** Nothing known against a token: the common answer, shared. */
export const NOTHING_AGAINST: AdmissionFacts = Object.freeze({ status: 'active', deletedAt: null, revokedThrough: null, sessionRevoked: false });

/**
 * - `admitted`;
 * - `suspended`: 403 USER_SUSPENDED;
 * - `revoked`, `token_too_old`: 401 UNAUTHENTICATED with that reason;
 * - `unbound`: the token's identity was bound to a user deleted before the token was issued (a
 *   cached binding gone stale): its user is to be resolved again, once.
 */
export type Admission = 'admitted' | 'suspended' | 'revoked' | 'token_too_old' | 'unbound';

/** A token whose `iat` is older than the longest accepted token age, at `nowSeconds`. */
export function tokenTooOld(claims: Pick<UserClaims, 'issuedAt'>, nowSeconds: number, maxTokenAgeSeconds: number): boolean {
  return claims.issuedAt !== null && claims.issuedAt < nowSeconds - maxTokenAgeSeconds;
}

/**
 * The decision, checks in this order: age, suspension, revocations, deletion. A token counts as
 * issued at its `iat`, else (an opaque session) at its first acceptance, else before every
 * revocation. Times compare exactly (facts are ms/1000, not floored): an integer `iat` compares as
 * with the floor, and a first acceptance at 12.9 s is not covered by a revocation at 12.7 s.
 */
export function admission(facts: AdmissionFacts, claims: Pick<UserClaims, 'issuedAt' | 'firstAcceptedAt'>, nowSeconds: number, maxTokenAgeSeconds: number): Admission {
  if (tokenTooOld(claims, nowSeconds, maxTokenAgeSeconds)) return 'token_too_old';
  if (facts.status === 'suspended') return 'suspended';
  const issuedAt = claims.issuedAt ?? claims.firstAcceptedAt ?? -Infinity;
  if (facts.sessionRevoked || (facts.revokedThrough !== null && issuedAt <= facts.revokedThrough)) return 'revoked';
  if (facts.status === 'deleted') return facts.deletedAt !== null && issuedAt <= facts.deletedAt ? 'revoked' : 'unbound';
  return 'admitted';
}
