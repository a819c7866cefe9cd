// Shared bits of the lifecycle suites: the GraphQL documents, a coprocessor call, a
// back-channel logout post, and logout tokens signed by the loopback issuer.
import { randomUUID } from 'node:crypto';
import type { TestIssuer } from './issuer.js';
import { AUDIENCE } from './organizations.js';

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export async function coprocessor(baseUrl: string, token: string): Promise<{ control: unknown; body?: string }> {
  const response = await fetch(`${baseUrl}/router/coprocessor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version: 1, stage: 'RouterRequest', id: randomUUID(), headers: { authorization: [`Bearer ${token}`] } }),
  });
  return (await response.json()) as { control: unknown; body?: string };
}

export async function postLogout(baseUrl: string, logoutToken: string | null, contentType = 'application/x-www-form-urlencoded') {
  const body = logoutToken === null ? '' : new URLSearchParams({ logout_token: logoutToken }).toString();
  const response = await fetch(`${baseUrl}/backchannel-logout`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, text: await response.text() };
}

/** A valid logout token of the issuer (claims override or, with `undefined`, remove members). */
export function logoutToken(issuer: TestIssuer, claims: Record<string, unknown>, header: Record<string, unknown> = { typ: 'logout+jwt' }) {
  return issuer.sign(
    { aud: AUDIENCE, jti: randomUUID(), events: { [BACKCHANNEL_EVENT]: {} }, exp: nowSeconds() + 120, ...claims },
    { header },
  );
}

export const VIEWER = '{ viewer { id status createdAt lastSeenAt } }';
