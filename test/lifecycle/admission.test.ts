// The one admission decision (domain/admission.ts), on its own: the order of its checks and what
// each fact means for a token issued before, at or after it. Both feeds (memory, the database)
// answer through it; sessions.test.ts holds them to the same answers.
import { describe, expect, it } from 'vitest';
import { admission, NOTHING_AGAINST, type AdmissionFacts } from '../../src/domain/admission.js';

const NOW = 1_800_000_000;
const MAX_AGE = 3600;
const facts = (overrides: Partial<AdmissionFacts>): AdmissionFacts => ({ ...NOTHING_AGAINST, ...overrides });
const decide = (against: AdmissionFacts, issuedAt: number | null) => admission(against, { issuedAt }, NOW, MAX_AGE);

describe('admission', () => {
  it('admits a token nothing is known against, with or without iat', () => {
    expect(decide(NOTHING_AGAINST, NOW - 10)).toBe('admitted');
    expect(decide(NOTHING_AGAINST, null)).toBe('admitted');
  });

  it('refuses a token older than the longest accepted age first, whatever else is known', () => {
    expect(decide(NOTHING_AGAINST, NOW - MAX_AGE - 1)).toBe('token_too_old');
    expect(decide(NOTHING_AGAINST, NOW - MAX_AGE)).toBe('admitted');
    expect(decide(facts({ status: 'suspended', sessionRevoked: true }), NOW - MAX_AGE - 1)).toBe('token_too_old');
  });

  it('refuses a suspended user before any revocation', () => {
    expect(decide(facts({ status: 'suspended' }), NOW)).toBe('suspended');
    expect(decide(facts({ status: 'suspended', revokedThrough: NOW }), NOW)).toBe('suspended');
  });

  it('revokes tokens issued up to a revocation (its second included), an ended session whatever its iat, and tokens without iat', () => {
    const revoked = facts({ revokedThrough: NOW - 5 });
    expect(decide(revoked, NOW - 6)).toBe('revoked');
    expect(decide(revoked, NOW - 5)).toBe('revoked');
    expect(decide(revoked, NOW - 4)).toBe('admitted');
    expect(decide(revoked, null)).toBe('revoked');
    expect(decide(facts({ sessionRevoked: true }), NOW)).toBe('revoked');
  });

  it('revokes the tokens of a deleted user issued up to the deletion; a later one is unbound (resolve its identity again)', () => {
    const deleted = facts({ status: 'deleted', deletedAt: NOW - 5 });
    expect(decide(deleted, NOW - 5)).toBe('revoked');
    expect(decide(deleted, null)).toBe('revoked');
    expect(decide(deleted, NOW - 4)).toBe('unbound');
    // No row at all (the deletion time unknown): only resolving again can say.
    expect(decide(facts({ status: 'deleted' }), NOW - 4)).toBe('unbound');
  });
});
