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
