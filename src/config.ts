// The environment, parsed once at start-up by zod. The only module that reads process.env
// (passed in as a parameter, so tests parse their own). Defaults live here and nowhere else.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fetchUrlProblem } from './auth/fetch.js';
import type { EmailTrust, IssuerKind } from './domain/types.js';

const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;
const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
] as const;

const stringOrArray = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const issuerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -'),
    kind: z.enum(['auth0', 'workos', 'oidc']),
    issuer: z.string().min(1),
    audience: stringOrArray.optional(),
    clientId: z.string().min(1).optional(),
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
    emailTrust: z.enum(['claim', 'always', 'never']).default('claim'),
    userinfoUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiKeyEnv: z.string().min(1).optional(),
    apiBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
    jwksRefreshSeconds: z.number().int().min(1).default(300),
    jwksMaxStaleSeconds: z.number().int().min(0).default(86400),
    maxTokenAgeSeconds: z.number().int().min(1).optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.kind === 'auth0' || value.kind === 'oidc') && value.audience === undefined) {
      ctx.addIssue({ code: 'custom', path: ['audience'], message: `required for kind ${value.kind}` });
    }
    if (value.kind === 'workos' && value.clientId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required for kind workos' });
    }
  });

export type IssuerInput = z.input<typeof issuerSchema>;

// legacy-sessions.md: opaque session tokens checked at an RFC 7662 endpoint.
const introspectionIssuerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . or -'),
    kind: z.literal('introspection'),
    issuer: z.string().min(1),
    introspectionUrl: z.url({ protocol: /^https?$/ }),
    clientId: z.string().min(1),
    clientSecretEnv: z.string().min(1),
    subjectField: z.string().min(1).default('sub'),
    emailField: z.string().min(1).default('email'),
    emailVerifiedField: z.string().min(1).default('email_verified'),
    nameField: z.string().min(1).default('name'),
    emailTrust: z.enum(['claim', 'always', 'never']).default('claim'),
    cacheSeconds: z.number().int().min(0).max(86_400).default(60),
    adoptSubjectAsUserId: z.boolean().default(false),
  })
  .strict();

/** The introspection issuer (at most one), with every default applied. */
export interface IntrospectionIssuerConfig {
  name: string;
  kind: 'introspection';
  issuer: string;
  introspectionUrl: string;
  clientId: string;
  /** Read from `clientSecretEnv` at start-up; never logged. */
  clientSecret: string;
  subjectField: string;
  emailField: string;
  emailVerifiedField: string;
  nameField: string;
  emailTrust: EmailTrust;
  cacheSeconds: number;
  adoptSubjectAsUserId: boolean;
}

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
  clientId: string | null;
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
  /** WorkOS API base for the authorization-code grant (platform-tokens.md); no trailing slash. */
  apiBaseUrl: string;
  jwksRefreshSeconds: number;
  jwksMaxStaleSeconds: number;
  /** Tokens whose `iat` is older than this are refused (and need an `iat`); null: no limit. */
  maxTokenAgeSeconds: number | null;
}

const DEFAULT_WORKOS_API_BASE = 'https://api.workos.com';

export const PLATFORM_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type PlatformAlgorithm = (typeof PLATFORM_ALGORITHMS)[number];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres|postgresql):\/\/.+|^pglite:\/\/memory$/, 'must be postgres://…, postgresql://… or pglite://memory')
    .optional(),
  DB_LISTEN_URL: z
    .string()
    .regex(/^(postgres|postgresql):\/\/.+|^off$/, 'must be postgres://…, postgresql://… or off')
    .optional(),
  DB_PREPARED_STATEMENTS: z.enum(['true', 'false', '1', '0']).default('true'),
  DATA_DIR: z.string().min(1).default('.data'),
  AUTH_ISSUERS: z.string().optional(),
  AUTH_ISSUERS_FILE: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SUBGRAPH_SECRET: z.string().min(1).optional(),
  ROUTER_AUTHORIZATION_DIRECTIVES: z.enum(['true', 'false', '1', '0']).default('false'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  JWKS_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(12),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).default(5000),
  MAX_ALIASES: z.coerce.number().int().min(0).default(100),
  MAX_ENTITY_REPRESENTATIONS: z.coerce.number().int().min(1).default(1000),
  GRAPHQL_COMPILE_AFTER: z.coerce.number().int().min(0).default(2),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  CORS_ORIGINS: z
    .string()
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
    .pipe(z.array(z.string().refine(isExactOrigin, 'each entry must be an exact origin such as https://app.example.com (scheme, host, optional port; no path, no *)')))
    .optional(),
  PLATFORM_ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  PLATFORM_AUDIENCE: z.string().min(1).optional(),
  PLATFORM_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  PLATFORM_SIGNING_ALG: z.enum(PLATFORM_ALGORITHMS).default('ES256'),
  PLATFORM_KEY_ROTATION_DAYS: z.coerce.number().positive().max(3650).default(30),
  PLATFORM_KEY_ENCRYPTION_KEY: z.string().optional(),
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(8760).default(168),
  MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(300).max(31_536_000).default(86_400),
});

/** `https://app.example.com[:port]` exactly as a browser sends it in `Origin`. */
function isExactOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** The service's own token issuer (platform-tokens.md); null when PLATFORM_ISSUER is unset. */
export interface PlatformConfig {
  issuer: string;
  audience: string;
  tokenTtlSeconds: number;
  alg: PlatformAlgorithm;
  rotationDays: number;
  /** 32 bytes (AES-256-GCM); null in development: generated into DATA_DIR. Never logged. */
  encryptionKey: Buffer | null;
}

export type DatabaseTarget =
  | {
      kind: 'postgres';
      url: string;
      /**
       * Where replicas LISTEN for each other's user changes (a session connection, so not
       * PgBouncer in transaction mode); default `url`; null: no user row cache on this replica.
       */
      listenUrl?: string | null;
      /** Named server-side prepared statements (default true); off behind a pooler that drops them. */
      preparedStatements?: boolean;
    }
  | { kind: 'pglite'; dataDir: string | null };

export interface Config {
  port: number;
  host: string;
  production: boolean;
  logLevel: (typeof LOG_LEVELS)[number];
  dataDir: string;
  database: DatabaseTarget;
  /** Configured issuers; empty means the development issuer alone (never in production). */
  issuers: IssuerConfig[];
  /** The `introspection` issuer of AUTH_ISSUERS (legacy opaque sessions), if any. */
  introspection: IntrospectionIssuerConfig | null;
  useDevIssuer: boolean;
  subgraphSecret: string | null;
  /** `_service { sdl }` carries @authenticated / @requiresScopes (Apollo Router); off for Apollo Gateway. */
  routerAuthorizationDirectives: boolean;
  dbPoolMax: number;
  dbConnectTimeoutMs: number;
  dbQueryTimeoutMs: number;
  jwksFetchTimeoutMs: number;
  maxBodyBytes: number;
  maxQueryDepth: number;
  /** Parser tokens per document (QUERY_TOO_COMPLEX); also bounds its selections once fragments are inlined. */
  maxQueryTokens: number;
  /** Aliased fields per document (QUERY_TOO_COMPLEX). */
  maxAliases: number;
  maxEntityRepresentations: number;
  /** The execution at which an operation is compiled by graphql-jit; 0: never (graphql-js only). */
  compileOperationsAfter: number;
  shutdownTimeoutMs: number;
  /** Browser origins allowed to call /graphql cross-origin (exact matches); empty: no CORS headers. */
  corsOrigins: string[];
  platform: PlatformConfig | null;
  /** How long an invitation can be accepted. */
  invitationTtlHours: number;
  /**
   * User tokens whose `iat` is older are refused (401 `token_too_old`); session revocations are
   * kept in memory this long (docs/lifecycle.md: the memory bound).
   */
  maxTokenAgeSeconds: number;
}

/** Thrown for an invalid environment; the message is the one line printed at start-up. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describeIssue(prefix: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return `${prefix}${path}: ${issue.message}`;
}

/** Default JWKS location of an issuer kind (spec: slash-joined for auth0/oidc). */
export function defaultJwksUri(kind: IssuerKind, issuer: string, clientId: string | null): string {
  if (kind === 'workos') return `https://api.workos.com/sso/jwks/${clientId ?? ''}`;
  return `${issuer.endsWith('/') ? issuer : `${issuer}/`}.well-known/jwks.json`;
}

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

function readSecret(env: NodeJS.ProcessEnv, name: string, where: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${where}: environment variable ${name} is not set`);
  return value;
}

function toIntrospectionIssuer(
  entry: z.output<typeof introspectionIssuerSchema>,
  where: string,
  env: NodeJS.ProcessEnv,
  production: boolean,
): IntrospectionIssuerConfig {
  requireFetchableUrl(entry.introspectionUrl, `${where}.introspectionUrl`, production);
  const { clientSecretEnv, ...rest } = entry;
  return { ...rest, clientSecret: readSecret(env, clientSecretEnv, `${where}.clientSecretEnv`) };
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
    const clientId = value.clientId ?? null;
    const jwksUri = requireFetchableUrl(value.jwksUri ?? defaultJwksUri(value.kind, value.issuer, clientId), `${where}.jwksUri`, production);
    if (value.userinfoUrl !== undefined) requireFetchableUrl(value.userinfoUrl, `${where}.userinfoUrl`, production);
    issuers.push({
      name: value.name,
      kind: value.kind,
      issuer: value.issuer,
      audience: value.audience === undefined ? null : Array.isArray(value.audience) ? value.audience : [value.audience],
      clientId,
      jwksUri,
      algorithms: value.algorithms,
      emailClaim: value.emailClaim ?? null,
      emailVerifiedClaim: emailVerifiedClaimFor(value),
      emailTrust: value.emailTrust,
      userinfoUrl: value.userinfoUrl ?? null,
      userinfoApiKey,
      apiBaseUrl: (value.apiBaseUrl ?? DEFAULT_WORKOS_API_BASE).replace(/\/+$/, ''),
      jwksRefreshSeconds: value.jwksRefreshSeconds,
      jwksMaxStaleSeconds: value.jwksMaxStaleSeconds,
      maxTokenAgeSeconds: value.maxTokenAgeSeconds ?? null,
    });
  });
  return { issuers, introspection };
}

/**
 * Parses the environment. Throws ConfigError whose message is one line naming the variable
 * and what is wrong.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are treated as unset, as shells and compose files often export them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigError(describeIssue('', parsed.error.issues[0]!).replace(/^\./, ''));
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';

  if (e.AUTH_ISSUERS !== undefined && e.AUTH_ISSUERS_FILE !== undefined) {
    throw new ConfigError('AUTH_ISSUERS_FILE: set either AUTH_ISSUERS or AUTH_ISSUERS_FILE, not both');
  }
  let list: IssuerList | null = null;
  if (e.AUTH_ISSUERS !== undefined) {
    list = parseIssuerList(e.AUTH_ISSUERS, 'AUTH_ISSUERS', env, production);
  } else if (e.AUTH_ISSUERS_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(e.AUTH_ISSUERS_FILE, 'utf8');
    } catch {
      throw new ConfigError(`AUTH_ISSUERS_FILE: cannot read ${e.AUTH_ISSUERS_FILE}`);
    }
    list = parseIssuerList(text, 'AUTH_ISSUERS_FILE', env, production);
  } else if (production) {
    throw new ConfigError('AUTH_ISSUERS: required when NODE_ENV=production (the development issuer is off in production)');
  }

  const issuers = list?.issuers ?? [];
  const introspection = list?.introspection ?? null;

  const database: DatabaseTarget =
    e.DATABASE_URL === undefined
      ? { kind: 'pglite', dataDir: e.DATA_DIR }
      : e.DATABASE_URL === 'pglite://memory'
        ? { kind: 'pglite', dataDir: null }
        : {
            kind: 'postgres',
            url: e.DATABASE_URL,
            listenUrl: e.DB_LISTEN_URL === 'off' ? null : (e.DB_LISTEN_URL ?? e.DATABASE_URL),
            preparedStatements: e.DB_PREPARED_STATEMENTS === 'true' || e.DB_PREPARED_STATEMENTS === '1',
          };

  if (production) {
    issuers.forEach((issuer, index) => {
      if (!isAllowedFetchUrl(issuer.apiBaseUrl, production)) {
        throw new ConfigError(`AUTH_ISSUERS[${index}].apiBaseUrl: must be https when NODE_ENV=production (unless loopback)`);
      }
    });
  }
  const platform = parsePlatform(e, production, issuers);

  return {
    port: e.PORT,
    host: e.HOST,
    production,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    database,
    issuers,
    introspection,
    useDevIssuer: list === null,
    subgraphSecret: e.SUBGRAPH_SECRET ?? null,
    routerAuthorizationDirectives: e.ROUTER_AUTHORIZATION_DIRECTIVES === 'true' || e.ROUTER_AUTHORIZATION_DIRECTIVES === '1',
    dbPoolMax: e.DB_POOL_MAX,
    dbConnectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    dbQueryTimeoutMs: e.DB_QUERY_TIMEOUT_MS,
    jwksFetchTimeoutMs: e.JWKS_FETCH_TIMEOUT_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryTokens: e.MAX_QUERY_TOKENS,
    maxAliases: e.MAX_ALIASES,
    maxEntityRepresentations: e.MAX_ENTITY_REPRESENTATIONS,
    compileOperationsAfter: e.GRAPHQL_COMPILE_AFTER,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    corsOrigins: e.CORS_ORIGINS ?? [],
    invitationTtlHours: e.INVITATION_TTL_HOURS,
    platform,
    maxTokenAgeSeconds: e.MAX_TOKEN_AGE_SECONDS,
  };
}

/** Outbound URL policy: https, or http to a loopback host outside production or on loopback. */
export function isAllowedFetchUrl(url: string, production: boolean): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === 'https:') return true;
  if (parsed.protocol !== 'http:') return false;
  if (!production) return true;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** 32 bytes in base64 (or base64url), or null when the text is anything else. */
export function decodeEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : null;
}

function parsePlatform(e: z.infer<typeof envSchema>, production: boolean, issuers: IssuerConfig[]): PlatformConfig | null {
  if (e.PLATFORM_ISSUER === undefined) return null;
  // Tokens name this URL as their issuer, and verifiers fetch its JWKS: in production only https.
  if (production && !e.PLATFORM_ISSUER.startsWith('https://')) throw new ConfigError('PLATFORM_ISSUER: must be an https URL when NODE_ENV=production');
  if (issuers.some((i) => i.issuer === e.PLATFORM_ISSUER)) throw new ConfigError('PLATFORM_ISSUER: is also the issuer of an AUTH_ISSUERS entry');
  let encryptionKey: Buffer | null = null;
  if (e.PLATFORM_KEY_ENCRYPTION_KEY !== undefined) {
    // The value is never echoed: it is a secret.
    encryptionKey = decodeEncryptionKey(e.PLATFORM_KEY_ENCRYPTION_KEY);
    if (encryptionKey === null) throw new ConfigError('PLATFORM_KEY_ENCRYPTION_KEY: must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)');
  } else if (production) {
    throw new ConfigError('PLATFORM_KEY_ENCRYPTION_KEY: required with PLATFORM_ISSUER when NODE_ENV=production (32 bytes in base64)');
  }
  return {
    issuer: e.PLATFORM_ISSUER,
    audience: e.PLATFORM_AUDIENCE ?? e.PLATFORM_ISSUER,
    tokenTtlSeconds: e.PLATFORM_TOKEN_TTL_SECONDS,
    alg: e.PLATFORM_SIGNING_ALG,
    rotationDays: e.PLATFORM_KEY_ROTATION_DAYS,
    encryptionKey,
  };
}
