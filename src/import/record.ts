// One line of an import file (legacy-sessions.md), read into an ImportRecord or refused with a
// reason. Pure: the configured issuers are passed in.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isValidEmail, normalizeEmail } from '../domain/email.js';
import { isUuid } from '../domain/ids.js';
import { personNames } from '../domain/names.js';
import type { ExternalIdentity, Membership } from '../domain/types.js';

export interface ImportRecord {
  /** 1-based line number in the file. */
  line: number;
  /** The user's id: the line's own, or one derived from its email or first identity (see `derivedId`). */
  id: string;
  /** Whether the id was given by the line (else derived). */
  idGiven: boolean;
  email: string | null;
  emailVerified: boolean;
  /** The line's `name`, else its given and family names joined (domain/names.ts displayName). */
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  createdAt: Date | null;
  identities: Pick<ExternalIdentity, 'provider' | 'issuer' | 'subject'>[];
  memberships: Pick<Membership, 'organizationId' | 'role'>[];
}

/**
 * Why a line was skipped. `deleted`: its id (given, or derived from its email or identity) names
 * a deleted user; `email_not_verified`: its email, not said to be verified, is another user's
 * verified email.
 */
export type SkipReason =
  | 'malformed'
  | 'unknown_issuer'
  | 'unknown_organization'
  | 'conflict_id'
  | 'conflict_email'
  | 'conflict_identity'
  | 'deleted'
  | 'email_not_verified';

export interface LineProblem {
  line: number;
  reason: SkipReason;
  /** What is wrong, for the operator; never a whole line (it may hold personal data). */
  detail: string;
}

const UUID = z.string().refine(isUuid, 'not a UUID');

const lineSchema = z
  .object({
    id: UUID.optional(),
    email: z.string().optional(),
    emailVerified: z.boolean().optional(),
    name: z.string().max(1024).nullable().optional(),
    givenName: z.string().max(1024).nullable().optional(),
    familyName: z.string().max(1024).nullable().optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    identities: z
      .array(z.object({ issuer: z.string().min(1), subject: z.string().min(1).max(1024) }).strict())
      .max(100)
      .optional(),
    memberships: z
      .array(z.object({ organizationId: UUID, role: z.enum(['OWNER', 'ADMIN', 'MEMBER']) }).strict())
      .max(1000)
      .optional(),
  })
  .strict();

// Fixed namespace (RFC 4122 §4.3) of the ids derived for lines without one.
const NAMESPACE = Buffer.from('8f0c6b1e4a0d4f3b9d5e2c7a1b3e5f70', 'hex');

/**
 * A name-based UUID (version 5) for a line without an id: the same line gives the same id on
 * every run, so a file imported twice creates nobody twice, even a user no later line could find
 * by a verified email or an identity.
 */
export function derivedId(key: string): string {
  const bytes = createHash('sha1').update(NAMESPACE).update(key, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function problem(line: number, reason: SkipReason, detail: string): LineProblem {
  return { line, reason, detail };
}

/**
 * Reads one line. `issuers` maps a configured issuer's name to its `issuer` value. An email
 * counts as verified only when the line says `"emailVerified": true` (legacy-sessions.md): an
 * exported address nobody vouched for must not join whoever holds it verified.
 */
export function readImportLine(text: string, line: number, issuers: ReadonlyMap<string, string>): ImportRecord | LineProblem {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return problem(line, 'malformed', 'not valid JSON');
  }
  const parsed = lineSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return problem(line, 'malformed', `${issue.path.join('.') || 'line'}: ${issue.message}`);
  }
  const value = parsed.data;
  const email = normalizeEmail(value.email);
  if (value.email !== undefined && (email === null || !isValidEmail(email))) return problem(line, 'malformed', 'email: not an email address');
  const identities: ImportRecord['identities'] = [];
  const seenIdentities = new Set<string>();
  for (const identity of value.identities ?? []) {
    const issuer = issuers.get(identity.issuer);
    if (issuer === undefined) return problem(line, 'unknown_issuer', `identities: "${identity.issuer}" is not a configured issuer's name`);
    const key = `${issuer}\u0000${identity.subject}`;
    if (seenIdentities.has(key)) return problem(line, 'malformed', 'identities: listed twice');
    seenIdentities.add(key);
    identities.push({ provider: identity.issuer, issuer, subject: identity.subject });
  }
  if (email === null && identities.length === 0) return problem(line, 'malformed', 'needs an email or at least one identity');
  const memberships = value.memberships?.map((m) => ({ organizationId: m.organizationId.toLowerCase(), role: m.role })) ?? [];
  if (new Set(memberships.map((m) => m.organizationId)).size !== memberships.length) return problem(line, 'malformed', 'memberships: an organization listed twice');
  // A NUL is refused by PostgreSQL's text: the line is malformed, never a failed batch.
  for (const field of ['name', 'givenName', 'familyName'] as const) {
    if (value[field]?.includes('\u0000')) return problem(line, 'malformed', `${field}: holds a NUL character`);
  }
  const names = personNames(value);
  const first = identities[0];
  return {
    line,
    id: value.id?.toLowerCase() ?? derivedId(email !== null ? `email:${email}` : `identity:${first!.issuer}\u0000${first!.subject}`),
    idGiven: value.id !== undefined,
    email,
    emailVerified: email !== null && value.emailVerified === true,
    ...names,
    createdAt: value.createdAt === undefined ? null : new Date(value.createdAt),
    identities,
    memberships,
  };
}

export function isLineProblem(value: ImportRecord | LineProblem): value is LineProblem {
  return 'reason' in value;
}
