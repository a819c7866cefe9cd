// The pieces every span of the service is made with: one tracer, the scopes that carry a
// request's context into the work that can issue SQL or outbound calls (./scopes.ts, this app's
// own: nothing is registered globally), the W3C trace-context propagator, and where a new span
// hangs.
import { createContextKey, ROOT_CONTEXT, type Context, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import type { Scopes } from './scopes.js';

const REQUEST = createContextKey('identity-subgraph request');

/** Whether the request a context belongs to is still being answered. */
interface RequestMark {
  open: boolean;
}

export interface TracingCore {
  tracer: Tracer;
  contexts: Scopes;
  propagator: TextMapPropagator;
  /**
   * The context a new span hangs under: the active scope's, or the root once the request it
   * belongs to has been answered. A timer or refresh started during a request (a JWKS refresh, a batched
   * write) inherits its context; its spans are then roots of their own, not late children.
   */
  parent(): Context;
  /** `context` marked as a request being answered; `close()` when it has been. */
  openRequest(context: Context): { context: Context; close(): void };
}

export function createTracingCore(tracer: Tracer, contexts: Scopes, propagator: TextMapPropagator): TracingCore {
  return {
    tracer,
    contexts,
    propagator,
    parent() {
      const active = contexts.active();
      const mark = active.getValue(REQUEST) as RequestMark | undefined;
      return mark === undefined || mark.open ? active : ROOT_CONTEXT;
    },
    openRequest(context) {
      const mark: RequestMark = { open: true };
      return {
        context: context.setValue(REQUEST, mark),
        close: () => {
          mark.open = false;
        },
      };
    },
  };
}
