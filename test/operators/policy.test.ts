// The operator predicates of src/domain/policy.ts, pure: an operator user holds users:admin and
// organizations:admin (and what they imply) and nothing else; a user who is not one holds none.
import { describe, expect, it } from 'vitest';
import { canLookUpIdentities, canManageOperators, canSeeOperatorStatus, hasScope, isOrganizationAdmin, isOrganizationReader, isUserReader, operatorScopes } from '../../src/domain/policy.js';
import { personalWorkspaceName } from '../../src/domain/names.js';
import type { Principal } from '../../src/domain/types.js';

const user = (operator: boolean | undefined): Principal => ({
  kind: 'user',
  userId: 'u1',
  created: false,
  impersonator: null,
  operator,
  claims: { provider: 'test', issuer: 'https://issuer.test/', subject: 's', email: null, emailVerified: false, name: null, givenName: null, familyName: null, externalOrganizationId: null, impersonator: null, expiresAt: 0, issuedAt: 0, sessionId: null },
});

describe('operator scopes', () => {
  it('an operator holds users:admin and organizations:admin, and what they imply, nothing more', () => {
    const op = user(true);
    expect(['users:admin', 'organizations:admin'].every((scope) => hasScope(op, scope))).toBe(true);
    expect(['users:read', 'users:write', 'organizations:read', 'org:x:write'].some((scope) => hasScope(op, scope))).toBe(false);
    expect([isUserReader(op), isOrganizationReader(op), isOrganizationAdmin(op), canManageOperators(op), canLookUpIdentities(op)]).toEqual([true, true, true, true, true]);
    expect(operatorScopes(op)).toEqual(['users:admin', 'organizations:admin']);
    expect(canSeeOperatorStatus(op, 'someone-else')).toBe(true);
  });

  it('a user who is not an operator (or whose status is unknown) holds none of them', () => {
    for (const principal of [user(false), user(undefined)]) {
      expect(hasScope(principal, 'users:admin') || hasScope(principal, 'organizations:admin')).toBe(false);
      expect([canManageOperators(principal), canLookUpIdentities(principal), canSeeOperatorStatus(principal, 'someone-else')]).toEqual([false, false, false]);
      expect(canSeeOperatorStatus(principal, 'u1')).toBe(true);
      expect(operatorScopes(principal)).toEqual([]);
    }
  });
});

describe('personalWorkspaceName', () => {
  it("names, else the email's local part, else Personal workspace; cut to 200 characters", () => {
    expect(personalWorkspaceName(' Ada ', 'ada@example.com')).toBe("Ada's workspace");
    expect(personalWorkspaceName(null, 'ada.l+x@example.com')).toBe("ada.l+x's workspace");
    expect(personalWorkspaceName('  ', '@example.com')).toBe('Personal workspace');
    expect(personalWorkspaceName(null, null)).toBe('Personal workspace');
    expect(Array.from(personalWorkspaceName('😀'.repeat(300), null))).toHaveLength(200);
  });
});
