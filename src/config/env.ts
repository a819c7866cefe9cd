// The environment variables the service reads, their types, bounds and defaults (zod).
import { z } from 'zod';
import { PLATFORM_ALGORITHMS } from './platform.js';
import { OTEL_SAMPLERS } from './tracing.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const envSchema = z.object({
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
  API_KEY_PEPPERS: z.string().optional(),
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(8760).default(168),
  PERSONAL_ORGANIZATIONS: z.enum(['true', 'false', '1', '0']).default('false'),
  MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(300).max(31_536_000).default(86_400),
  // OpenTelemetry's own variables (config/tracing.ts): tracing is off unless an endpoint is set.
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(['http/protobuf', 'http/json', 'grpc']).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.enum(OTEL_SAMPLERS).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
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

export type Env = z.infer<typeof envSchema>;
