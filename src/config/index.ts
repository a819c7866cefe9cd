// The configuration, parsed once at start-up from the environment by zod. The only module that
// reads process.env (passed in as a parameter, so tests parse their own). Defaults live in env.ts.
import { readFileSync } from 'node:fs';
import { envSchema, type LOG_LEVELS } from './env.js';
import { ConfigError, describeIssue } from './errors.js';
import { parseIssuerList, type IntrospectionIssuerConfig, type IssuerConfig, type IssuerList } from './issuers.js';
import { parseApiKeyPeppers, type ApiKeyPepper } from './apiKeys.js';
import { parsePlatform, type PlatformConfig } from './platform.js';
import { parseTracing, type TracingConfig } from './tracing.js';

export { ConfigError } from './errors.js';

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
  /** PERSONAL_ORGANIZATIONS: a new user's first sign-in also creates their personal workspace (default false). */
  personalOrganizations: boolean;
  /** OpenTelemetry tracing; null (off) unless an OTLP endpoint is configured. */
  tracing: TracingConfig | null;
  /** API_KEY_PEPPERS, newest first; null when unset (development: one in DATA_DIR; production: API keys off). */
  apiKeyPeppers: ApiKeyPepper[] | null;
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
    personalOrganizations: e.PERSONAL_ORGANIZATIONS === 'true' || e.PERSONAL_ORGANIZATIONS === '1',
    tracing: parseTracing(e),
    apiKeyPeppers: parseApiKeyPeppers(e.API_KEY_PEPPERS),
  };
}

