import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_BYTES, readCredentials } from '../../src/auth/bearer.js';
import { AppError } from '../../src/errors.js';

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an AppError');
}

describe('readCredentials', () => {
  it('returns null when neither header is present (anonymous)', () => {
    expect(readCredentials({})).toBeNull();
    expect(readCredentials({ authorization: undefined, 'x-user-token': undefined })).toBeNull();
  });

  it('reads a Bearer token', () => {
    expect(readCredentials({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
  });

  it('matches the scheme case-insensitively (RFC 7235)', () => {
    expect(readCredentials({ authorization: 'bearer abc' })).toBe('abc');
    expect(readCredentials({ authorization: 'BEARER abc' })).toBe('abc');
    expect(readCredentials({ authorization: 'BeArEr abc' })).toBe('abc');
  });

  it('reads a real JWT, every b64token character and padding the same way on every path', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3YWFkfGFiYzEyMyJ9.c2lnbmF0dXJl-_';
    expect(readCredentials({ authorization: `Bearer ${jwt}` })).toBe(jwt);
    expect(readCredentials({ authorization: 'Bearer aZ09-._~+/==' })).toBe('aZ09-._~+/==');
    // Outside the one-space b64token form (the general path), the same token comes back.
    expect(readCredentials({ authorization: `Bearer  ${jwt}` })).toBe(jwt);
    expect(readCredentials({ authorization: `Bearer ${jwt} ` })).toBe(jwt);
    expect(readCredentials({ authorization: `Bearer\t${jwt}` })).toBe(jwt);
    // And what the general path refuses stays refused.
    expect(thrown(() => readCredentials({ authorization: 'Bearer a\nb' })).reason).toBe('malformed_bearer');
    expect(thrown(() => readCredentials({ authorization: 'Bearerx abc' })).reason).toBe('unsupported_scheme');
  });

  it('tolerates extra spaces between scheme and token', () => {
    expect(readCredentials({ authorization: 'Bearer    abc' })).toBe('abc');
    expect(readCredentials({ authorization: '  Bearer \t abc  ' })).toBe('abc');
  });

  it('reads the legacy X-User-Token header', () => {
    expect(readCredentials({ 'x-user-token': 'abc' })).toBe('abc');
  });

  it('refuses another scheme (Basic) with 401', () => {
    const error = thrown(() => readCredentials({ authorization: 'Basic dXNlcjpwYXNz' }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('unsupported_scheme');
    expect(error.status).toBe(401);
  });

  it('refuses an empty bearer', () => {
    expect(thrown(() => readCredentials({ authorization: 'Bearer' })).reason).toBe('empty_bearer');
    expect(thrown(() => readCredentials({ authorization: 'Bearer   ' })).reason).toBe('empty_bearer');
    expect(thrown(() => readCredentials({ authorization: '' })).code).toBe('UNAUTHENTICATED');
  });

  it('refuses an empty X-User-Token', () => {
    const error = thrown(() => readCredentials({ 'x-user-token': '  ' }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('empty_token');
  });

  it('refuses a bearer made of two words', () => {
    expect(thrown(() => readCredentials({ authorization: 'Bearer abc def' })).code).toBe('UNAUTHENTICATED');
  });

  it('accepts a token of exactly 8 KiB and refuses 8 KiB + 1', () => {
    expect(MAX_TOKEN_BYTES).toBe(8192);
    const max = 'a'.repeat(MAX_TOKEN_BYTES);
    expect(readCredentials({ authorization: `Bearer ${max}` })).toBe(max);
    const error = thrown(() => readCredentials({ authorization: `Bearer ${max}a` }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe('token_too_large');
    expect(thrown(() => readCredentials({ 'x-user-token': `${max}a` })).reason).toBe('token_too_large');
  });

  it('counts bytes, not characters, against the limit', () => {
    const multiByte = 'é'.repeat(MAX_TOKEN_BYTES / 2 + 1); // 2 bytes each
    expect(thrown(() => readCredentials({ 'x-user-token': multiByte })).reason).toBe('token_too_large');
  });

  it('refuses two different tokens with AMBIGUOUS_CREDENTIALS (400)', () => {
    const error = thrown(() => readCredentials({ authorization: 'Bearer one', 'x-user-token': 'two' }));
    expect(error.code).toBe('AMBIGUOUS_CREDENTIALS');
    expect(error.status).toBe(400);
  });

  it('accepts the same token in both headers', () => {
    expect(readCredentials({ authorization: 'Bearer same', 'x-user-token': 'same' })).toBe('same');
  });

  it('refuses a bad Authorization even when X-User-Token is valid (never degrades)', () => {
    expect(thrown(() => readCredentials({ authorization: 'Basic x', 'x-user-token': 'tok' })).code).toBe('UNAUTHENTICATED');
  });
});
