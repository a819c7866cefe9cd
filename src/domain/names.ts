// The rule every name follows: trimmed, never blank, at most a number of characters counted as
// code points (a surrogate pair is one character and is never split).

/** A user's display name, from a token claim or the issuer's profile. */
export const MAX_DISPLAY_NAME_LENGTH = 256;
/** An organization's name, as its members give it. */
export const MAX_ORGANIZATION_NAME_LENGTH = 200;

/** The name trimmed (null when blank) and cut to its first `max` characters; `cut`: it had more. */
export function fitName(raw: string, max: number): { name: string | null; cut: boolean } {
  const trimmed = raw.trim();
  if (trimmed === '') return { name: null, cut: false };
  // No more UTF-16 units than `max` means no more code points either.
  if (trimmed.length <= max) return { name: trimmed, cut: false };
  const chars = Array.from(trimmed);
  if (chars.length <= max) return { name: trimmed, cut: false };
  return { name: chars.slice(0, max).join('').trim(), cut: true };
}

/** A person's name from one source: trimmed, cut to MAX_DISPLAY_NAME_LENGTH; absent, not text or blank → null. */
export function personName(raw: unknown): string | null {
  return typeof raw === 'string' ? fitName(raw, MAX_DISPLAY_NAME_LENGTH).name : null;
}

/** A user's names as one source gives them (a token, a profile, an answer, an event, an import line). */
export interface PersonNames {
  name: string | null;
  givenName: string | null;
  familyName: string | null;
}

/**
 * The display name a source gives: its own `name`, else the given and family names that exist,
 * joined by a space (one alone when only one exists). Each part follows `personName`, and so
 * does the whole (trimmed, at most MAX_DISPLAY_NAME_LENGTH characters).
 */
export function displayName(source: { name?: unknown; givenName?: unknown; familyName?: unknown }): string | null {
  const own = personName(source.name);
  if (own !== null) return own;
  const parts = [personName(source.givenName), personName(source.familyName)].filter((part): part is string => part !== null);
  return parts.length === 0 ? null : personName(parts.join(' '));
}

/** All three names of a source, each fitted; `name` composed by `displayName` when the source has none. */
export function personNames(source: { name?: unknown; givenName?: unknown; familyName?: unknown }): PersonNames {
  return { name: displayName(source), givenName: personName(source.givenName), familyName: personName(source.familyName) };
}

/**
 * A personal workspace's name (api-keys.md, Personal workspaces): `<name>'s workspace`, else
 * `<email local part>'s workspace`, else `Personal workspace`, cut to the organization-name limit.
 */
export function personalWorkspaceName(name: string | null, email: string | null): string {
  const owner = fitName(name ?? '', MAX_DISPLAY_NAME_LENGTH).name ?? fitName(localPart(email), MAX_DISPLAY_NAME_LENGTH).name;
  if (owner === null) return 'Personal workspace';
  return fitName(`${owner}'s workspace`, MAX_ORGANIZATION_NAME_LENGTH).name!;
}

function localPart(email: string | null): string {
  if (email === null) return '';
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at);
}
