// WorkOS's authorization-code exchange (`POST {apiBaseUrl}/user_management/authenticate`) for
// the token endpoint's code grant. Only the access token is taken from the answer: it is then
// verified exactly as any WorkOS token, never trusted because it came from this call.
import type { IssuerConfig } from '../config/issuers.js';
import { fetchJson, isPlainObject } from './fetch.js';

/** WorkOS refused the code (4xx): a bad, used or expired code, or a wrong verifier. */
export class WorkosCodeRejected extends Error {
  override readonly name = 'WorkosCodeRejected';
  constructor(readonly status: number) {
    super(`WorkOS refused the authorization code (HTTP ${status})`);
  }
}

/** WorkOS could not be reached, timed out, or answered with something unusable. */
export class WorkosUnavailable extends Error {
  override readonly name = 'WorkosUnavailable';
}

export interface WorkosCodeInput {
  code: string;
  /** RFC 7636: the frontend's PKCE verifier; WorkOS checks it against the code's challenge. */
  codeVerifier: string;
}

/**
 * Exchanges a code for WorkOS's access token. Redirects are never followed.
 * @throws WorkosCodeRejected, WorkosUnavailable
 */
export async function exchangeWorkosCode(
  issuer: IssuerConfig,
  input: WorkosCodeInput,
  options: { fetch?: typeof fetch; timeoutMs: number },
): Promise<string> {
  const body: Record<string, string> = {
    client_id: issuer.clientId ?? '',
    client_secret: issuer.userinfoApiKey ?? '',
    grant_type: 'authorization_code',
    code: input.code,
    code_verifier: input.codeVerifier,
  };
  let response;
  try {
    response = await fetchJson({
      fetch: options.fetch ?? globalThis.fetch,
      url: `${issuer.apiBaseUrl}/user_management/authenticate`,
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw new WorkosUnavailable('WorkOS authenticate call failed', { cause: error });
  }
  if (response.status >= 400 && response.status < 500) throw new WorkosCodeRejected(response.status);
  if (response.status !== 200) throw new WorkosUnavailable(`WorkOS authenticate answered HTTP ${response.status}`);
  const token = isPlainObject(response.body) ? response.body['access_token'] : undefined;
  if (typeof token !== 'string' || token === '') throw new WorkosUnavailable('WorkOS authenticate answered without an access_token');
  return token;
}
