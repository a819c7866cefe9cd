// Outbound HTTP (JWKS, userinfo, introspection, the WorkOS API) as CLIENT spans that propagate
// `traceparent` to the provider. A call made outside a request (a start-up key fetch, a scheduled
// refresh) is a root span of its own. Recorded: method, host, port and the URL without its query;
// never a header or a body (they carry tokens, client secrets and API keys).
import { SpanKind, SpanStatusCode, trace, type TextMapSetter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { TracingCore } from './core.js';
import { fail } from './requests.js';

const headerSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
};

export function traceFetch(core: TracingCore, base: typeof fetch): typeof fetch {
  const { tracer, propagator } = core;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const parent = core.parent();
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_SERVER_ADDRESS]: url.hostname,
          [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
          [ATTR_URL_FULL]: `${url.origin}${url.pathname}`,
        },
      },
      parent,
    );
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    propagator.inject(trace.setSpan(parent, span), headers, headerSetter);
    try {
      const response = await base(input, { ...init, headers });
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (response.status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(response.status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    } catch (error) {
      fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}
