// AUTH_ISSUERS: the trusted token issuers and the introspection issuer (src/config/introspection.ts),
// validated by zod with every default applied.
import { z } from 'zod';
import type { EmailTrust, IssuerKind } from '../domain/types.js';
import { ConfigError, describeIssue } from './errors.js';
import { introspectionIssuerSchema, toIntrospectionIssuer, type IntrospectionIssuerConfig } from './introspection.js';
import { issuerName, readSecret, requireFetchableUrl, scopeList } from './issuerFields.js';

export type { IntrospectionIssuerConfig, IntrospectionRequest } from './introspection.js';
export { requireFetchableUrl } from './issuerFields.js';

const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;
const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

const stringOrArray = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const issuerSchema = z
  .object({
    name: issuerName,
    kind: z.enum(['auth0', 'workos', 'oidc']),
    issuer: z.string().min(1),
    audience: stringOrArray.optional(),
    // workos: one client, or several of one WorkOS environment (dashboard, CLI, MCP: callers.md).
    clientId: stringOrArray.optional(),
    jwksUri: z.url({ protocol: /^https?$/ }).optional(),
    algorithms: z
      .array(
        z.string().refine((alg) => !FORBIDDEN_ALGORITHMS.test(alg), 'none and HS* are never accepted')
          .pipe(z.enum(ASYMMETRIC_ALGORITHMS)),
      )
      .min(1)
      .default(['RS256']),
    emailClaim: z.string().min(1).optional(),
    emailVerifiedClaim: z.string().min(1).optional(),
    emailTrust: z.enum(['claim', 'always', 'never', 'ssoDomain']).default('claim'),
    userinfoUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiKeyEnv: z.string().min(1).optional(),
    apiBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    webhookSecretEnv: z.string().min(1).optional(),
    eventsPollSeconds: z.number().min(0).max(86_400).optional(),
    jwksRefreshSeconds: z.number().int().min(1).default(300),
    jwksMaxStaleSeconds: z.number().int().min(0).default(86400),
    maxTokenAgeSeconds: z.number().int().min(1).optional(),
    serviceScopes: scopeList.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.kind === 'auth0' || value.kind === 'oidc') && value.audience === undefined) {
      ctx.addIssue({ code: 'custom', path: ['audience'], message: `required for kind ${value.kind}` });
    }
    if (value.kind === 'workos') {
      // callers.md: a workos entry is pinned by its clients, its audience, or both.
      if (value.clientId === undefined && value.audience === undefined) {
        ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required for kind workos (or an audience)' });
      } else if (value.clientId === undefined) {
        // Pinned by audience alone: no client names the default JWKS, and a client registered by
        // anyone (MCP dynamic registration) must never become a service.
        if (value.jwksUri === undefined) ctx.addIssue({ code: 'custom', path: ['jwksUri'], message: 'required for a workos entry pinned by audience alone' });
        if (value.serviceScopes !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['serviceScopes'], message: 'a workos entry pinned by audience alone has no service principals' });
        }
      }
    } else if (Array.isArray(value.clientId)) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'a list of clients is for kind workos only' });
    }
    if (Array.isArray(value.clientId) && new Set(value.clientId).size !== value.clientId.length) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'lists a client twice' });
    }
    for (const field of ['webhookSecretEnv', 'eventsPollSeconds'] as const) {
      if (value.kind !== 'workos' && value[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'only for kind workos (idp-events.md)' });
    }
  });

export type IssuerInput = z.input<typeof issuerSchema>;

/** Every entry of AUTH_ISSUERS: the token issuers, and the introspection issuer if any. */
export interface IssuerList {
  issuers: IssuerConfig[];
  introspection: IntrospectionIssuerConfig | null;
}

/** A trusted issuer with every default applied. */
export interface IssuerConfig {
  name: string;
  kind: IssuerKind;
  issuer: string;
  audience: string[] | null;
  /**
   * The first listed client (workos: the code grant's client and the default JWKS's), null when
   * none is listed.
   */
  clientId: string | null;
  /**
   * Every listed client: a workos token's `client_id` must be one of them (empty: an entry
   * pinned by audience alone, which accepts any `client_id`, or none, and has no services).
   */
  clientIds: readonly string[];
  /** Remote JWKS; null for an issuer whose keys are local (the development issuer). */
  jwksUri: string | null;
  algorithms: string[];
  emailClaim: string | null;
  /**
   * The claim saying whether the email read from `emailClaim` is verified: only when configured,
   * and never the standard `email_verified` (which speaks for the standard `email` alone).
   * null: an email from `emailClaim` is unverified unless `emailTrust` is `always`.
   */
  emailVerifiedClaim: string | null;
  emailTrust: EmailTrust;
  userinfoUrl: string | null;
  /** The API key itself (read from `apiKeyEnv` at start-up); never logged. */
  userinfoApiKey: string | null;
  /** WorkOS API base for the authorization-code grant (platform-tokens.md) and the Events API; no trailing slash. */
  apiBaseUrl: string;
  /**
   * WorkOS webhooks (idp-events.md): the signing secret read from `webhookSecretEnv` at start-up
   * (never logged); null: `POST /webhooks/workos/{name}` answers 404 for this entry.
   */
  webhookSecret?: string | null;
  /** How often the Events API is read (seconds); 0: never (always 0 without an API key). */
  eventsPollSeconds?: number;
  jwksRefreshSeconds: number;
  jwksMaxStaleSeconds: number;
  /** Tokens whose `iat` is older than this are refused (and need an `iat`); null: no limit. */
  maxTokenAgeSeconds: number | null;
  /**
   * The scopes a service principal of this issuer may hold; a token's other scopes are ignored.
   * null (absent): auth0 and workos services keep their token's scopes; an oidc issuer has no
   * service principals at all (its machine tokens are refused).
   */
  serviceScopes: readonly string[] | null;
}

const DEFAULT_WORKOS_API_BASE = 'https://api.workos.com';

/** Default JWKS location of an issuer kind (spec: slash-joined for auth0/oidc). */
export function defaultJwksUri(kind: IssuerKind, issuer: string, clientId: string | null): string {
  if (kind === 'workos') return `https://api.workos.com/sso/jwks/${clientId ?? ''}`;
  return `${issuer.endsWith('/') ? issuer : `${issuer}/`}.well-known/jwks.json`;
}

/** The verified-flag claim for an email read from `emailClaim` (see IssuerConfig). */
function emailVerifiedClaimFor(entry: { emailClaim?: string | undefined; emailVerifiedClaim?: string | undefined }): string | null {
  if (entry.emailClaim === undefined || entry.emailClaim === 'email') return null;
  return entry.emailVerifiedClaim === 'email_verified' ? null : (entry.emailVerifiedClaim ?? null);
}

/**
 * Parses and validates the trusted issuers array (AUTH_ISSUERS JSON): its token issuers.
 * `production` (default: `env.NODE_ENV`) applies the https: rule to every URL fetched.
 */
export function parseIssuers(json: string, variable: string, env: NodeJS.ProcessEnv, production = env['NODE_ENV'] === 'production'): IssuerConfig[] {
  return parseIssuerList(json, variable, env, production).issuers;
}

/** Parses and validates the AUTH_ISSUERS array, `introspection` entries included. */
export function parseIssuerList(json: string, variable: string, env: NodeJS.ProcessEnv, production = false): IssuerList {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigError(`${variable}: is not valid JSON`);
  }
  const parsed = z.array(z.unknown()).min(1, 'must list at least one issuer').safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssue(variable, parsed.error.issues[0]!));
  const names = new Set<string>();
  const issuerUrls = new Set<string>();
  const issuers: IssuerConfig[] = [];
  let introspection: IntrospectionIssuerConfig | null = null;
  // Each entry by its kind, so an error names the field of that kind that is wrong.
  function parseEntry<T extends { name: string; issuer: string }>(schema: z.ZodType<T>, item: unknown, where: string): T {
    const result = schema.safeParse(item);
    if (!result.success) throw new ConfigError(describeIssue(where, result.error.issues[0]!));
    const value = result.data;
    if (names.has(value.name)) throw new ConfigError(`${where}.name: duplicate issuer name "${value.name}"`);
    if (issuerUrls.has(value.issuer)) throw new ConfigError(`${where}.issuer: duplicate issuer "${value.issuer}"`);
    names.add(value.name);
    issuerUrls.add(value.issuer);
    return value;
  }
  parsed.data.forEach((item, index) => {
    const where = `${variable}[${index}]`;
    if (typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'introspection') {
      const value = parseEntry(introspectionIssuerSchema, item, where);
      // Which endpoint would check an opaque token would otherwise be a guess.
      if (introspection !== null) throw new ConfigError(`${where}.kind: at most one issuer of kind introspection`);
      introspection = toIntrospectionIssuer(value, where, env, production);
      return;
    }
    const value = parseEntry(issuerSchema, item, where);
    let userinfoApiKey: string | null = null;
    if (value.apiKeyEnv !== undefined) userinfoApiKey = readSecret(env, value.apiKeyEnv, `${where}.apiKeyEnv`);
    const webhookSecret = value.webhookSecretEnv === undefined ? null : readSecret(env, value.webhookSecretEnv, `${where}.webhookSecretEnv`);
    // idp-events.md: 30 s by default when both the webhook and the API key are configured.
    const eventsPollSeconds = userinfoApiKey === null ? 0 : (value.eventsPollSeconds ?? (webhookSecret !== null ? 30 : 0));
    const clientIds = value.clientId === undefined ? [] : Array.isArray(value.clientId) ? value.clientId : [value.clientId];
    const clientId = clientIds[0] ?? null;
    const jwksUri = requireFetchableUrl(value.jwksUri ?? defaultJwksUri(value.kind, value.issuer, clientId), `${where}.jwksUri`, production);
    if (value.userinfoUrl !== undefined) requireFetchableUrl(value.userinfoUrl, `${where}.userinfoUrl`, production);
    issuers.push({
      name: value.name,
      kind: value.kind,
      issuer: value.issuer,
      audience: value.audience === undefined ? null : Array.isArray(value.audience) ? value.audience : [value.audience],
      clientId,
      clientIds,
      jwksUri,
      algorithms: value.algorithms,
      emailClaim: value.emailClaim ?? null,
      emailVerifiedClaim: emailVerifiedClaimFor(value),
      emailTrust: value.emailTrust,
      userinfoUrl: value.userinfoUrl ?? null,
      userinfoApiKey,
      apiBaseUrl: requireFetchableUrl(value.apiBaseUrl ?? DEFAULT_WORKOS_API_BASE, `${where}.apiBaseUrl`, production).replace(/\/+$/, ''),
      webhookSecret,
      eventsPollSeconds,
      jwksRefreshSeconds: value.jwksRefreshSeconds,
      jwksMaxStaleSeconds: value.jwksMaxStaleSeconds,
      maxTokenAgeSeconds: value.maxTokenAgeSeconds ?? null,
      serviceScopes: value.serviceScopes ?? null,
    });
  });
  return { issuers, introspection };
}

