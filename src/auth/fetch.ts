// Outbound HTTP for the auth layer (JWKS, userinfo, introspection, WorkOS API): which URLs may be
// fetched, one deadline covering connect, headers and body, a bounded body, and no redirects,
// so a hanging, oversized or redirecting identity provider cannot hold or steer a request.
import { systemClock, type Clock } from '../lib/clock.js';

/** The deadline passed before the provider answered. */
export class FetchTimeoutError extends Error {
  override readonly name = 'FetchTimeoutError';
}

/** The provider answered with a redirect, which is never followed. */
export class FetchRedirectError extends Error {
  override readonly name = 'FetchRedirectError';
}

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** `127.0.0.0/8`, `::1` and `localhost`: the hosts allowed over plain http: in production. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || LOOPBACK_V4.test(host);
}

/**
 * The URL policy for everything the service fetches (jwksUri, userinfoUrl, introspectionUrl,
 * apiBaseUrl): what is wrong with `url`, or null. Every mode: an absolute http: or https: URL
 * without credentials in it. With `production`: https:, unless the host is loopback (a TLS-less
 * fetch across a network lets anyone on the path substitute keys or profiles).
 */
export function fetchUrlProblem(url: string, options: { production: boolean }): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not an absolute URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an http: or https: URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  if (options.production && parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname)) {
    return 'must be https: when NODE_ENV=production (plain http: only for loopback hosts)';
  }
  return null;
}

export interface FetchJsonOptions {
  fetch: typeof fetch;
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Largest accepted body (bytes); a JWKS or a profile is a few KiB. */
  maxBytes?: number;
  /** Default GET; POST with a form or JSON body for token endpoints (introspection, code grant). */
  method?: 'GET' | 'POST';
  body?: string | URLSearchParams;
  /** The deadline's timer; default the system clock. */
  clock?: Clock;
}

export interface FetchJsonResult {
  status: number;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
}

const DEFAULT_MAX_BYTES = 1_048_576;

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`response body of ${declared} bytes exceeds ${maxBytes}`);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`response body exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fetches a JSON document within `timeoutMs`. Redirects are never followed (FetchRedirectError):
 * a redirect could carry a credential to, or take keys from, a host nobody configured. The
 * AbortSignal stops a well-behaved fetch; the race also answers when an injected fetch ignores
 * the signal. Non-JSON bodies yield `body: undefined`.
 */
export async function fetchJson(options: FetchJsonOptions): Promise<FetchJsonResult> {
  const controller = new AbortController();
  let cancel: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    cancel = (options.clock ?? systemClock).schedule(() => {
      const error = new FetchTimeoutError(`no answer from ${options.url} within ${options.timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, options.timeoutMs);
  });
  const attempt = (async (): Promise<FetchJsonResult> => {
    const response = await options.fetch(options.url, {
      method: options.method ?? 'GET',
      headers: { accept: 'application/json', ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      signal: controller.signal,
      redirect: 'manual',
    });
    // `manual` yields the 3xx itself (Node) or an opaque redirect with status 0 (browsers' fetch).
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      throw new FetchRedirectError(`${options.url} answered with a redirect (HTTP ${response.status}), not followed`);
    }
    const text = await readBounded(response, options.maxBytes ?? DEFAULT_MAX_BYTES);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    cancel?.();
  }
}

export function isTimeout(error: unknown): boolean {
  return error instanceof FetchTimeoutError || (error instanceof Error && error.name === 'TimeoutError');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
