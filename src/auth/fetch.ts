// Outbound HTTP for the auth layer (JWKS, userinfo): one deadline covering connect, headers and
// body, and a bounded body, so a hanging or oversized identity provider cannot hold a request.

/** The deadline passed before the provider answered. */
export class FetchTimeoutError extends Error {
  override readonly name = 'FetchTimeoutError';
}

export interface FetchJsonOptions {
  fetch: typeof fetch;
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Largest accepted body (bytes); a JWKS or a profile is a few KiB. */
  maxBytes?: number;
  redirect?: 'follow' | 'error' | 'manual';
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
 * GET a JSON document within `timeoutMs`. The AbortSignal stops a well-behaved fetch; the race
 * also answers when an injected fetch ignores the signal. Non-JSON bodies yield `body: undefined`.
 */
export async function fetchJson(options: FetchJsonOptions): Promise<FetchJsonResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new FetchTimeoutError(`no answer from ${options.url} within ${options.timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, options.timeoutMs);
    timer.unref();
  });
  const attempt = (async (): Promise<FetchJsonResult> => {
    const response = await options.fetch(options.url, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      signal: controller.signal,
      redirect: options.redirect ?? 'follow',
    });
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
    clearTimeout(timer);
  }
}

export function isTimeout(error: unknown): boolean {
  return error instanceof FetchTimeoutError || (error instanceof Error && error.name === 'TimeoutError');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
