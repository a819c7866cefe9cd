// OpenTelemetry tracing from the standard OTEL_* variables (docs/configuration.md): off unless an
// OTLP endpoint is set; OTLP over HTTP, protobuf (default) or JSON; the standard samplers.
import { ConfigError } from './errors.js';
import type { Env } from './env.js';

export const OTEL_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export interface TracingConfig {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`. */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  sampler: (typeof OTEL_SAMPLERS)[number];
  /** The ratio of the `*traceidratio` samplers (OTEL_TRACES_SAMPLER_ARG, default 1). */
  samplerRatio: number;
  /** Sent with every export (a collector's API key): a secret, never logged. */
  headers: Record<string, string>;
}

/** `key1=value1,key2=value2`, values percent-encoded (the W3C baggage format the spec uses). */
function parseHeaders(value: string | undefined, variable: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (value === undefined) return headers;
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf('=');
    const key = at < 0 ? '' : entry.slice(0, at).trim();
    let decoded: string | null = null;
    try {
      decoded = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      decoded = null;
    }
    // The value is a secret: the message names the variable only.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || decoded === null) {
      throw new ConfigError(`${variable}: must be key=value pairs separated by commas (values percent-encoded)`);
    }
    headers[key.toLowerCase()] = decoded;
  }
  return headers;
}

function tracesUrl(e: Env): string | null {
  if (e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined) return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return null;
  return `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/** The tracing configuration, or null when tracing is off. Throws ConfigError. */
export function parseTracing(e: Env): TracingConfig | null {
  const url = tracesUrl(e);
  if (url === null || e.OTEL_SDK_DISABLED === 'true' || e.OTEL_TRACES_EXPORTER === 'none') return null;
  const variable = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol === 'grpc') throw new ConfigError(`${variable}: grpc is not supported; use http/protobuf (the default) or http/json`);
  return {
    url,
    protocol,
    serviceName: e.OTEL_SERVICE_NAME ?? 'identity-subgraph',
    sampler: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on',
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    headers: {
      ...parseHeaders(e.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...parseHeaders(e.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
  };
}
