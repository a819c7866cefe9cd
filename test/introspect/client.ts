// A caller of POST /oauth/introspect that we did not write: openid-client's tokenIntrospection,
// authenticating with a bearer (its client authentication `None`, the Authorization added by a
// custom fetch), and a raw form POST for what a library never sends (repeated fields, no token).
import * as client from 'openid-client';
import type { TestIssuer } from '../helpers/issuer.js';
import { AUDIENCE } from '../helpers/issuer.js';

/** The public host the client believes it talks to; requests are sent to the test's port. */
export const PUBLIC_HOST = 'https://identity.introspect.test';

/** openid-client configured for the endpoint at `baseUrl` (its metadata given, or discovered from `discovered`). */
export function introspectionClient(baseUrl: string, callerToken: string | null, metadata?: client.ServerMetadata, publicHost = PUBLIC_HOST): client.Configuration {
  const config = new client.Configuration(
    metadata ?? { issuer: publicHost, introspection_endpoint: `${publicHost}/oauth/introspect` },
    'resource-server',
    undefined,
    client.None(),
  );
  config[client.customFetch] = (url, options) => {
    const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
    if (callerToken !== null) headers.set('authorization', `Bearer ${callerToken}`);
    return fetch(url.replace(publicHost, baseUrl), { ...(options as RequestInit), headers });
  };
  return config;
}

/** openid-client's answer for `token`. */
export async function introspect(baseUrl: string, callerToken: string, token: string): Promise<Record<string, unknown>> {
  return { ...(await client.tokenIntrospection(introspectionClient(baseUrl, callerToken), token)) };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A raw POST: `form` as written (pairs may repeat), `authorization` as the whole header. */
export async function postIntrospect(baseUrl: string, form: [string, string][] | string, authorization: string | null, contentType = 'application/x-www-form-urlencoded'): Promise<RawAnswer> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (authorization !== null) headers['authorization'] = authorization;
  const response = await fetch(`${baseUrl}/oauth/introspect`, { method: 'POST', headers, body: typeof form === 'string' ? form : new URLSearchParams(form).toString() });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** A machine token of the test issuer (oidc: `sub` equal to `client_id`) holding `scope`. */
export function serviceToken(issuer: TestIssuer, scope: string, clientId = `svc-${Math.random().toString(36).slice(2, 10)}`): Promise<string> {
  return issuer.sign({ sub: clientId, client_id: clientId, aud: AUDIENCE, scope });
}

/** RFC 7662 §2.2: no member is null or empty. */
export function expectNoEmptyMembers(answer: Record<string, unknown>): string[] {
  return Object.entries(answer)
    .filter(([, value]) => value === null || value === '' || (Array.isArray(value) && value.length === 0))
    .map(([name]) => name);
}
