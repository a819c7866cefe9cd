// Reads the caller's token from `Authorization: Bearer` or the legacy `X-User-Token` header.
// Pure: no verification here; a present-but-bad credential throws, it never reads as anonymous.
import { AppError } from '../errors.js';

/** Largest accepted token (bytes). Real IdP tokens are 1-3 KiB; bigger ones are abuse. */
export const MAX_TOKEN_BYTES = 8192;

// RFC 7235 §2.1: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]; the scheme is
// case-insensitive. Tabs and repeated spaces are tolerated, as common clients send them.
const CREDENTIALS = /^([^\s]+)(?:[ \t]+(.*))?$/s;
// What nearly every client sends: "Bearer", one space and an RFC 6750 §2.1 b64token, checked in
// one pass (the header is read on every request). Anything else takes the general path below.
const PLAIN_BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9\-._~+/]+=*$/;
const PLAIN_PREFIX = 'Bearer '.length;

function checkSize(token: string): void {
  if (Buffer.byteLength(token, 'utf8') > MAX_TOKEN_BYTES) {
    throw new AppError('UNAUTHENTICATED', { reason: 'token_too_large' });
  }
}

function fromAuthorization(value: string): string {
  // ASCII only, so its length is its size in bytes.
  if (value.length <= MAX_TOKEN_BYTES + PLAIN_PREFIX && PLAIN_BEARER.test(value)) return value.slice(PLAIN_PREFIX);
  // Size first: bounds the work done on an attacker-sized header.
  if (Buffer.byteLength(value, 'utf8') > MAX_TOKEN_BYTES + 64) {
    throw new AppError('UNAUTHENTICATED', { reason: 'token_too_large' });
  }
  const match = CREDENTIALS.exec(value.trim());
  if (match === null) throw new AppError('UNAUTHENTICATED', { reason: 'empty_bearer' });
  const scheme = match[1] ?? '';
  if (scheme.toLowerCase() !== 'bearer') throw new AppError('UNAUTHENTICATED', { reason: 'unsupported_scheme' });
  const token = (match[2] ?? '').trim();
  if (token === '') throw new AppError('UNAUTHENTICATED', { reason: 'empty_bearer' });
  // RFC 6750 §2.1: b64token has no whitespace; "Bearer a b" is not one token.
  if (/\s/.test(token)) throw new AppError('UNAUTHENTICATED', { reason: 'malformed_bearer' });
  checkSize(token);
  return token;
}

function fromLegacyHeader(value: string): string {
  const token = value.trim();
  if (token === '') throw new AppError('UNAUTHENTICATED', { reason: 'empty_token' });
  if (/\s/.test(token)) throw new AppError('UNAUTHENTICATED', { reason: 'malformed_token' });
  checkSize(token);
  return token;
}

/**
 * The one value of a credential header. Neither header is a list (RFC 9110 §5.3), so a request
 * carrying either twice is ambiguous, equal values included: AMBIGUOUS_CREDENTIALS (400).
 */
export function singleCredentialHeader(values: readonly string[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) {
    throw new AppError('AMBIGUOUS_CREDENTIALS', { message: 'The request carries more than one Authorization or X-User-Token header.' });
  }
  return values[0];
}

/**
 * Returns the request's token, or null when it carries none (anonymous).
 * Throws UNAUTHENTICATED for a malformed credential and AMBIGUOUS_CREDENTIALS when the two
 * headers carry different tokens (which one to trust would be a guess).
 */
export function readCredentials(headers: {
  authorization?: string | undefined;
  'x-user-token'?: string | undefined;
}): string | null {
  const bearer = headers.authorization === undefined ? null : fromAuthorization(headers.authorization);
  const legacy = headers['x-user-token'] === undefined ? null : fromLegacyHeader(headers['x-user-token']);
  if (bearer !== null && legacy !== null && bearer !== legacy) throw new AppError('AMBIGUOUS_CREDENTIALS');
  return bearer ?? legacy;
}
