// WorkOS events (idp-events.md) as the effects this service applies: a pure reading of an event's
// JSON, whether it came by webhook or from the Events API. Which event types are read, which
// fields each needs, and how a user's name is built from first and last names (callers.md).
import { readEmailAddress } from './email.js';
import { fitName, MAX_DISPLAY_NAME_LENGTH } from './names.js';

/** The event types with an effect: the Events API is asked for these alone. */
export const HANDLED_EVENT_TYPES = [
  'session.revoked',
  'user.deleted',
  'user.updated',
  'organization_membership.deleted',
  'dsync.user.deleted',
  'dsync.user.updated',
] as const;

/** An identifier of WorkOS's (event, user, session, organization): stored, so bounded. */
const MAX_ID_BYTES = 255;

export interface IdpEvent {
  id: string;
  type: string;
  createdAt: Date;
  data: Record<string, unknown>;
}

export type IdpEffect =
  | { type: 'session.revoked'; sessionId: string }
  | { type: 'user.deleted'; subject: string }
  | {
      type: 'user.updated';
      subject: string;
      /** Null: the event carries none (the email held stays). */
      email: string | null;
      emailVerified: boolean;
      /** Null when the event names neither first nor last name: names stay as they are. */
      names: { givenName: string | null; familyName: string | null; name: string | null } | null;
    }
  | {
      type: 'membership.removed';
      externalOrganizationId: string;
      /** The IdP user (`user_id`), or a directory user by its email. */
      member: { subject: string } | { email: string };
    }
  /** Accepted and ignored: another type, a directory user still active, or data without what the effect needs. */
  | { type: 'ignored'; why: 'type' | 'active' | 'unusable' };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function identifier(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\u0000')) return null;
  return Buffer.byteLength(value, 'utf8') <= MAX_ID_BYTES ? value : null;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** An event as WorkOS sends it (`id`, `event`, `data`, `created_at`), or null when the value is none. */
export function readIdpEvent(value: unknown): IdpEvent | null {
  if (!isObject(value)) return null;
  const id = identifier(value['id']);
  const type = identifier(value['event']);
  const created = value['created_at'];
  if (id === null || type === null || !isObject(value['data']) || typeof created !== 'string' || !ISO_TIME.test(created)) return null;
  const createdAt = new Date(created);
  if (Number.isNaN(createdAt.getTime())) return null;
  return { id, type, createdAt, data: value['data'] };
}

/** A name part: trimmed, null when blank or absent. */
function namePart(value: unknown): string | null {
  return typeof value === 'string' && !value.includes('\u0000') ? fitName(value, MAX_DISPLAY_NAME_LENGTH).name : null;
}

/** callers.md: the source's name, else the given and family names that exist, joined by a space. */
export function displayName(source: string | null, givenName: string | null, familyName: string | null): string | null {
  if (source !== null) return source;
  const joined = [givenName, familyName].filter((part) => part !== null).join(' ');
  return joined === '' ? null : fitName(joined, MAX_DISPLAY_NAME_LENGTH).name;
}

/** A directory user's email: `email`, else the primary of `emails` (normalised; null when none is an address). */
function directoryEmail(data: Record<string, unknown>): string | null {
  if (data['email'] !== undefined && data['email'] !== null) return readEmailAddress(data['email']);
  const emails = Array.isArray(data['emails']) ? data['emails'].filter(isObject) : [];
  const primary = emails.find((entry) => entry['primary'] === true);
  return primary === undefined ? null : readEmailAddress(primary['value']);
}

function membershipRemoval(data: Record<string, unknown>, directory: boolean): IdpEffect {
  const externalOrganizationId = identifier(data['organization_id']);
  if (externalOrganizationId === null) return { type: 'ignored', why: 'unusable' };
  if (directory) {
    const email = directoryEmail(data);
    return email === null ? { type: 'ignored', why: 'unusable' } : { type: 'membership.removed', externalOrganizationId, member: { email } };
  }
  const subject = identifier(data['user_id']);
  return subject === null ? { type: 'ignored', why: 'unusable' } : { type: 'membership.removed', externalOrganizationId, member: { subject } };
}

/** What the event asks of this service. */
export function effectOf(event: IdpEvent): IdpEffect {
  const { data } = event;
  switch (event.type) {
    case 'session.revoked': {
      const sessionId = identifier(data['id']);
      return sessionId === null ? { type: 'ignored', why: 'unusable' } : { type: 'session.revoked', sessionId };
    }
    case 'user.deleted': {
      const subject = identifier(data['id']);
      return subject === null ? { type: 'ignored', why: 'unusable' } : { type: 'user.deleted', subject };
    }
    case 'user.updated': {
      const subject = identifier(data['id']);
      if (subject === null) return { type: 'ignored', why: 'unusable' };
      const givenName = namePart(data['first_name']);
      const familyName = namePart(data['last_name']);
      const names = givenName === null && familyName === null ? null : { givenName, familyName, name: displayName(namePart(data['name']), givenName, familyName) };
      return { type: 'user.updated', subject, email: readEmailAddress(data['email']), emailVerified: data['email_verified'] === true, names };
    }
    case 'organization_membership.deleted':
      return membershipRemoval(data, false);
    case 'dsync.user.deleted':
      return membershipRemoval(data, true);
    case 'dsync.user.updated':
      return data['state'] === 'inactive' ? membershipRemoval(data, true) : { type: 'ignored', why: 'active' };
    default:
      return { type: 'ignored', why: 'type' };
  }
}
