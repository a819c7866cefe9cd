// The pure parts: WorkOS's signature checked against headers WorkOS's SDK makes (and its own
// verifier accepts), the 180 s window either way, and how events read into effects and names.
import { WorkOS } from '@workos-inc/node';
import { describe, expect, it } from 'vitest';
import { checkWorkosSignature } from '../../src/auth/workosSignature.js';
import { displayName, effectOf, readIdpEvent } from '../../src/domain/idpEvents.js';
import { signatureHeader, WEBHOOK_SECRET } from '../helpers/workos.js';

const sdk = new WorkOS('sk_test_reading');
const payload = { id: 'event_01', event: 'user.updated', data: { id: 'user_01', first_name: 'Ada' }, created_at: '2026-12-07T10:00:00.000Z' };
const body = Buffer.from(JSON.stringify(payload));

describe('the signature', () => {
  it('accepts what the SDK signs (and the SDK accepts the same header); refuses another secret or body', async () => {
    const now = Date.now();
    const header = await signatureHeader(payload, now);
    await expect(sdk.webhooks.constructEvent({ payload, sigHeader: header, secret: WEBHOOK_SECRET })).resolves.toMatchObject({ id: 'event_01' });
    expect(checkWorkosSignature(header, body, WEBHOOK_SECRET, now)).toBeNull();
    expect(checkWorkosSignature(header.replace(', ', ','), body, WEBHOOK_SECRET, now)).toBeNull();
    expect(checkWorkosSignature(header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1='), body, WEBHOOK_SECRET, now)).toBeNull();
    expect(checkWorkosSignature(header, body, 'whsec_other', now)).toBe('invalid_signature');
    expect(checkWorkosSignature(header, Buffer.from(`${body.toString()} `), WEBHOOK_SECRET, now)).toBe('invalid_signature');
    // Among several v1 values (a rotation), one right one suffices.
    const [t, v1] = header.split(', ');
    expect(checkWorkosSignature(`${t}, v1=${'ab'.repeat(32)}, ${v1}`, body, WEBHOOK_SECRET, now)).toBeNull();
    expect(checkWorkosSignature(`${t}, v1=short`, body, WEBHOOK_SECRET, now)).toBe('invalid_signature');
  });

  it('accepts a timestamp up to 180 s from the clock either way, not beyond', async () => {
    const now = Date.now();
    for (const offset of [-180_000, 180_000, 0]) expect(checkWorkosSignature(await signatureHeader(payload, now + offset), body, WEBHOOK_SECRET, now)).toBeNull();
    for (const offset of [-180_001, 180_001]) expect(checkWorkosSignature(await signatureHeader(payload, now + offset), body, WEBHOOK_SECRET, now)).toBe('stale_signature');
    expect(checkWorkosSignature(undefined, body, WEBHOOK_SECRET, now)).toBe('missing_signature');
    expect(checkWorkosSignature(`t=${now}, t=${now}, v1=00`, body, WEBHOOK_SECRET, now)).toBe('malformed_signature');
    expect(checkWorkosSignature(`t=abc, v1=00`, body, WEBHOOK_SECRET, now)).toBe('malformed_signature');
  });
});

describe('events', () => {
  const event = (type: string, data: Record<string, unknown>) => readIdpEvent({ id: 'event_x', event: type, data, created_at: '2026-12-07T10:00:00Z' })!;

  it('reads what WorkOS sends; refuses what is no event', () => {
    expect(readIdpEvent(payload)).toMatchObject({ id: 'event_01', type: 'user.updated', createdAt: new Date('2026-12-07T10:00:00.000Z') });
    for (const bad of [null, [], { ...payload, id: '' }, { ...payload, id: 'a\u0000' }, { ...payload, data: [] }, { ...payload, created_at: '2026-13-45' }, { ...payload, event: 7 }]) {
      expect(readIdpEvent(bad)).toBeNull();
    }
  });

  it('builds names as callers.md says; ignores other types and active directory users', () => {
    expect(displayName(null, 'Ada', 'Lovelace')).toBe('Ada Lovelace');
    expect(displayName(null, null, 'Lovelace')).toBe('Lovelace');
    expect(displayName(null, null, null)).toBeNull();
    expect(displayName('Countess', 'Ada', 'Lovelace')).toBe('Countess');
    expect(effectOf(event('user.updated', { id: 'u', email: ' Ada@Example.COM ', email_verified: true, first_name: '  ', last_name: 'L' }))).toEqual({
      type: 'user.updated', subject: 'u', email: 'ada@example.com', emailVerified: true, names: { givenName: null, familyName: 'L', name: 'L' },
    });
    expect(effectOf(event('user.updated', { id: 'u', email: 'not an email' }))).toMatchObject({ email: null, names: null });
    expect(effectOf(event('user.created', { id: 'u' }))).toEqual({ type: 'ignored', why: 'type' });
    expect(effectOf(event('dsync.user.updated', { organization_id: 'org', email: 'a@b.co', state: 'active' }))).toEqual({ type: 'ignored', why: 'active' });
    expect(effectOf(event('dsync.user.deleted', { organization_id: 'org', emails: [{ primary: true, value: 'A@B.co' }] }))).toEqual({
      type: 'membership.removed', externalOrganizationId: 'org', member: { email: 'a@b.co' },
    });
    expect(effectOf(event('session.revoked', {}))).toEqual({ type: 'ignored', why: 'unusable' });
  });
});
