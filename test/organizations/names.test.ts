// One rule for names (trimmed, never blank, at most N characters counted as code points): a
// claim's display name is cut to fit, an organization's name that does not fit is refused.
import { describe, expect, it } from 'vitest';
import { displayNameFromClaim } from '../../src/auth/claims.js';
import { fitName, MAX_DISPLAY_NAME_LENGTH, MAX_ORGANIZATION_NAME_LENGTH } from '../../src/domain/names.js';
import { requireOrganizationName } from '../../src/services/guards.js';

const FACE = '\u{1F600}'; // one code point, two UTF-16 units

describe('the name rule', () => {
  it('trims, counts code points and never splits a surrogate pair', () => {
    expect(fitName('  Ada  ', 3)).toEqual({ name: 'Ada', cut: false });
    expect(fitName(' \t ', 3)).toEqual({ name: null, cut: false });
    expect(fitName(FACE.repeat(3), 3)).toEqual({ name: FACE.repeat(3), cut: false });
    expect(fitName(FACE.repeat(4), 3)).toEqual({ name: FACE.repeat(3), cut: true });
    expect(fitName('ab cd', 3)).toEqual({ name: 'ab', cut: true }); // the cut is trimmed again
  });

  it('a display name from a claim is cut to fit; blank or absent is null', () => {
    expect(displayNameFromClaim(null)).toBeNull();
    expect(displayNameFromClaim('   ')).toBeNull();
    expect(displayNameFromClaim(` ${'x'.repeat(300)}`)).toBe('x'.repeat(MAX_DISPLAY_NAME_LENGTH));
    expect(displayNameFromClaim(FACE.repeat(MAX_DISPLAY_NAME_LENGTH))).toBe(FACE.repeat(MAX_DISPLAY_NAME_LENGTH));
  });

  it("an organization's name that is blank or too long is refused, never cut", () => {
    expect(requireOrganizationName('  Acme  ')).toBe('Acme');
    expect(requireOrganizationName(FACE.repeat(MAX_ORGANIZATION_NAME_LENGTH))).toBe(FACE.repeat(MAX_ORGANIZATION_NAME_LENGTH));
    for (const bad of ['', '   ', 'x'.repeat(MAX_ORGANIZATION_NAME_LENGTH + 1), FACE.repeat(MAX_ORGANIZATION_NAME_LENGTH + 1)]) {
      expect(() => requireOrganizationName(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', reason: 'invalid_name' }));
    }
  });
});
