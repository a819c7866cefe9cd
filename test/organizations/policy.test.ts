// The pure membership rules and domain validation, case by case.
import { describe, expect, it } from 'vitest';
import { isValidDomain, normalizeDomain } from '../../src/domain/email.js';
import { addMemberRefusal, canSeeAuditLog, canSeeSso, removalRefusal, roleChangeRefusal } from '../../src/domain/policy.js';
import type { Principal } from '../../src/domain/types.js';

const service = (scopes: string[]): Principal => ({
  kind: 'service',
  claims: { provider: 'test', issuer: 'https://issuer.test/', subject: 'svc', scopes: new Set(scopes), expiresAt: 0 },
});

describe('membership policy', () => {
  it('addMemberRefusal: OWNER/ADMIN add, only an OWNER adds an OWNER', () => {
    expect(addMemberRefusal('OWNER', 'OWNER')).toBeNull();
    expect(addMemberRefusal('ADMIN', 'ADMIN')).toBeNull();
    expect(addMemberRefusal('ADMIN', 'OWNER')).toBe('OWNER_REQUIRED');
    expect(addMemberRefusal('MEMBER', 'MEMBER')).toBe('ROLE_REQUIRED');
    expect(addMemberRefusal(null, 'MEMBER')).toBe('ROLE_REQUIRED');
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
