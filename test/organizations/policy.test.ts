// The pure membership rules and domain validation, case by case.
import { describe, expect, it } from 'vitest';
import { isValidDomain, normalizeDomain } from '../../src/domain/email.js';
import { canSeeAuditLog, canSeeSso, inviteRefusal, removalRefusal, responseRefusal, revokeRefusal, roleChangeRefusal } from '../../src/domain/policy.js';
import type { Invitation, InvitationStatus, Principal, User } from '../../src/domain/types.js';

const invitation = (status: InvitationStatus): Invitation => ({
  id: 'i', organizationId: 'o', email: 'ada@example.com', role: 'MEMBER', status, expiresAt: new Date(0), createdAt: new Date(0),
});
const user = (email: string | null, emailVerified: boolean): User => ({ id: 'u', email, emailVerified, name: null, givenName: null, familyName: null, createdAt: new Date(0), status: 'active' });

const service = (scopes: string[]): Principal => ({
  kind: 'service',
  claims: { provider: 'test', issuer: 'https://issuer.test/', subject: 'svc', scopes: new Set(scopes), expiresAt: 0 },
});

describe('membership policy', () => {
  it('inviteRefusal: OWNER/ADMIN invite, only an OWNER invites an OWNER', () => {
    expect(inviteRefusal('OWNER', 'OWNER')).toBeNull();
    expect(inviteRefusal('ADMIN', 'ADMIN')).toBeNull();
    expect(inviteRefusal('ADMIN', 'OWNER')).toBe('OWNER_REQUIRED');
    expect(inviteRefusal('MEMBER', 'MEMBER')).toBe('ROLE_REQUIRED');
    expect(inviteRefusal(null, 'MEMBER')).toBe('ROLE_REQUIRED');
  });

  it('responseRefusal: only the verified invitee answers; expired and closed invitations are refused', () => {
    const ada = user('ada@example.com', true);
    expect(responseRefusal(invitation('PENDING'), ada, 'accept')).toBeNull();
    expect(responseRefusal(invitation('PENDING'), ada, 'decline')).toBeNull();
    expect(responseRefusal(invitation('PENDING'), user('ada@example.com', false), 'accept')).toBe('NOT_INVITEE');
    expect(responseRefusal(invitation('PENDING'), user('eve@example.com', true), 'accept')).toBe('NOT_INVITEE');
    expect(responseRefusal(invitation('PENDING'), user(null, true), 'accept')).toBe('NOT_INVITEE');
    expect(responseRefusal(invitation('PENDING'), null, 'accept')).toBe('NOT_INVITEE');
    expect(responseRefusal(null, ada, 'accept')).toBe('NOT_INVITEE');
    // A stranger learns nothing about the state of someone else's invitation.
    expect(responseRefusal(invitation('EXPIRED'), user('eve@example.com', true), 'accept')).toBe('NOT_INVITEE');
    expect(responseRefusal(invitation('EXPIRED'), ada, 'accept')).toBe('INVITATION_EXPIRED');
    expect(responseRefusal(invitation('EXPIRED'), ada, 'decline')).toBe('INVITATION_EXPIRED');
    expect(responseRefusal(invitation('ACCEPTED'), ada, 'accept')).toBeNull();
    expect(responseRefusal(invitation('ACCEPTED'), ada, 'decline')).toBe('INVITATION_NOT_PENDING');
    expect(responseRefusal(invitation('DECLINED'), ada, 'decline')).toBeNull();
    expect(responseRefusal(invitation('DECLINED'), ada, 'accept')).toBe('INVITATION_NOT_PENDING');
    expect(responseRefusal(invitation('REVOKED'), ada, 'accept')).toBe('INVITATION_NOT_PENDING');
  });

  it('revokeRefusal: OWNER/ADMIN revoke unanswered invitations; unknown ones answer like a missing role', () => {
    for (const status of ['PENDING', 'EXPIRED', 'REVOKED'] as const) {
      expect(revokeRefusal('ADMIN', invitation(status))).toBeNull();
      expect(revokeRefusal('OWNER', invitation(status))).toBeNull();
    }
    expect(revokeRefusal('ADMIN', invitation('ACCEPTED'))).toBe('INVITATION_NOT_PENDING');
    expect(revokeRefusal('OWNER', invitation('DECLINED'))).toBe('INVITATION_NOT_PENDING');
    expect(revokeRefusal('MEMBER', invitation('PENDING'))).toBe('ROLE_REQUIRED');
    expect(revokeRefusal(null, invitation('PENDING'))).toBe('ROLE_REQUIRED');
    expect(revokeRefusal('OWNER', null)).toBe('ROLE_REQUIRED');
  });

  it('roleChangeRefusal: owners guard owners, the last OWNER stays', () => {
    expect(roleChangeRefusal('ADMIN', 'MEMBER', 'ADMIN', 1)).toBeNull();
    expect(roleChangeRefusal('ADMIN', 'MEMBER', 'OWNER', 1)).toBe('OWNER_REQUIRED');
    expect(roleChangeRefusal('ADMIN', 'OWNER', 'MEMBER', 2)).toBe('OWNER_REQUIRED');
    expect(roleChangeRefusal('OWNER', 'OWNER', 'ADMIN', 1)).toBe('LAST_OWNER');
    expect(roleChangeRefusal('OWNER', 'OWNER', 'ADMIN', 2)).toBeNull();
    expect(roleChangeRefusal('OWNER', 'OWNER', 'OWNER', 1)).toBeNull();
    expect(roleChangeRefusal('MEMBER', 'MEMBER', 'ADMIN', 1)).toBe('ROLE_REQUIRED');
  });

  it('removalRefusal: members may leave, the last OWNER may not', () => {
    expect(removalRefusal('MEMBER', 'MEMBER', true, 1)).toBeNull();
    expect(removalRefusal('MEMBER', 'MEMBER', false, 1)).toBe('ROLE_REQUIRED');
    expect(removalRefusal('ADMIN', 'OWNER', false, 3)).toBe('OWNER_REQUIRED');
    expect(removalRefusal('OWNER', 'OWNER', false, 2)).toBeNull();
    expect(removalRefusal('OWNER', 'OWNER', true, 1)).toBe('LAST_OWNER');
    expect(removalRefusal('OWNER', 'OWNER', false, 1)).toBe('LAST_OWNER');
  });

  it('SSO binding and audit log visibility', () => {
    const user: Principal = { kind: 'user', userId: 'u', created: false, impersonator: null, claims: {} as never };
    expect(canSeeSso(user, 'ADMIN')).toBe(true);
    expect(canSeeSso(user, 'MEMBER')).toBe(false);
    expect(canSeeSso(service(['organizations:read']), null)).toBe(true);
    expect(canSeeSso(service(['users:read']), null)).toBe(false);
    expect(canSeeAuditLog('OWNER')).toBe(true);
    expect(canSeeAuditLog('MEMBER')).toBe(false);
    expect(canSeeAuditLog(null)).toBe(false);
  });
});

describe('domains', () => {
  it('normalises and validates DNS names', () => {
    expect(normalizeDomain('  BigCorp.COM. ')).toBe('bigcorp.com');
    for (const ok of ['bigcorp.com', 'eu.big-corp.co.uk', 'xn--bcher-kva.de', 'a1.io']) expect(isValidDomain(ok), ok).toBe(true);
    for (const bad of ['', 'com', 'big corp.com', 'bigcorp..com', '-bigcorp.com', 'bigcorp-.com', '1.2.3.4', 'bücher.de', 'a@b.com', `${'a'.repeat(64)}.com`]) {
      expect(isValidDomain(bad), bad).toBe(false);
    }
  });
});
