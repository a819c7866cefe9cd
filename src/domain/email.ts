// Email normalisation: trim and lower-case `A`-`Z`, nothing more. No Unicode folding: NFKC
// would merge `ａｄａ@` into `ada@`, and `toLowerCase()` turns the Kelvin sign (U+212A) into
// `k`, merging `\u212Aate@` into `kate@`: two distinct mailboxes. Two addresses are equal only
// when they are the same characters after ASCII lower-casing. The one place an address is
// validated.
import { AppError } from '../errors.js';

const ASCII_UPPER = /[A-Z]/g;
const lowerOne = (c: string): string => String.fromCharCode(c.charCodeAt(0) + 32);

/** Lower-cases `A`-`Z` only; every other character stays as written (no locale, no Unicode case mapping). */
export function asciiLowerCase(text: string): string {
  return text.replace(ASCII_UPPER, lowerOne);
}

/** Trims and lower-cases `A`-`Z`; returns null for an absent or blank value. */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const email = asciiLowerCase(raw.trim());
  return email === '' ? null : email;
}

// Deliberately plain: one @, a non-empty local part, a dotted domain, no whitespace or
// control characters, at most 254 characters (RFC 5321 path limit).
const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

/** True when a normalised email has the shape of an address. */
export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL_SHAPE.test(email);
}

/**
 * An address from a token, a profile or a query: normalised; null when absent or not shaped like
 * an address (such a value is no email at all: never stored, never linked, never looked up).
 */
export function readEmailAddress(raw: unknown): string | null {
  const email = normalizeEmail(raw);
  return email !== null && isValidEmail(email) ? email : null;
}

/** An address a caller gave: normalised. @throws AppError BAD_USER_INPUT (invalid_email) */
export function requireEmail(raw: unknown): string {
  const email = readEmailAddress(raw);
  if (email === null) throw new AppError('BAD_USER_INPUT', { message: 'email is not a valid email address.', reason: 'invalid_email' });
  return email;
}

/** The domain part of a normalised email. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1);
}

/**
 * Normalises an email domain for SSO bindings: trimmed, `A`-`Z` lower-cased, no trailing dot.
 * Anything outside ASCII stays, so `isValidDomain` refuses it rather than folding it into
 * another organization's domain (`exa\u212Aple.com` is not `example.com`).
 */
export function normalizeDomain(raw: string): string {
  return asciiLowerCase(raw.trim()).replace(/\.$/, '');
}

// LDH labels (RFC 1035/5890; internationalised names in their punycode A-label form), at least
// two labels, no empty label, each at most 63 characters, the whole at most 253.
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** True when a normalised domain is a plausible DNS name (e.g. `bigcorp.com`). */
export function isValidDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((label) => DOMAIN_LABEL.test(label)) && !/^[0-9]+$/.test(labels.at(-1)!);
}
