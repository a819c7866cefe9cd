// What every AUTH_ISSUERS entry shares, whatever its kind: its name, scope lists, the secrets it
// names, and the URL policy for everything an issuer makes the service fetch.
import { z } from 'zod';
import { fetchUrlProblem } from '../auth/fetch.js';
import { ConfigError } from './errors.js';

export const issuerName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -');
// RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const scopeList = z.array(z.string().regex(SCOPE_TOKEN, 'must be scope names (no spaces or quotes)'));

/**
 * Applies the fetch URL policy (src/auth/fetch.ts `fetchUrlProblem`) to a URL the service will
 * fetch; `at` names the variable and field in the one-line error, e.g. `AUTH_ISSUERS[0].jwksUri`.
 * @throws ConfigError
 */
export function requireFetchableUrl(url: string, at: string, production: boolean): string {
  const problem = fetchUrlProblem(url, { production });
  if (problem !== null) throw new ConfigError(`${at}: ${problem}`);
  return url;
}

export function readSecret(env: NodeJS.ProcessEnv, name: string, where: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${where}: environment variable ${name} is not set`);
  return value;
}
