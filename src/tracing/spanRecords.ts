// The records ended spans travel to the export thread as (offthread.ts): flat values appended to
// one array per batch. appendSpan writes an SDK span's, appendRecord a span this service made
// itself (a request's: requests.ts); the worker (exportWorker.ts) and the encoder
// (otlpProtobuf.ts) read them back by the same offsets.
import type { Attributes, SpanKind, SpanStatusCode, TraceState } from '@opentelemetry/api';
import { hrTime, hrTimeDuration } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/**
 * Appends `span` to `out` as flat values (strings, numbers, null; the rare events and links as
 * they are): a flat array of primitives costs postMessage a third of what one object per span
 * with nested objects does. `scopeIndex`: the index of the span's instrumentation scope in the
 * list sent along. The worker reads them back in this order (exportWorker.ts's `readable`, and
 * otlpProtobuf.ts's offsets). Exported for tests (tracing-encoder.test.ts records spans as
 * OffThreadSpanProcessor does).
 */
export function appendSpan(out: unknown[], span: ReadableSpan, scopeIndex: number): void {
  const context = span.spanContext();
  const { startTime, endTime, duration, status, attributes } = span;
  out.push(
    context.traceId,
    context.spanId,
    context.traceFlags,
    context.traceState?.serialize() ?? null,
    span.parentSpanId ?? null,
    span.name,
    span.kind,
    startTime[0],
    startTime[1],
    endTime[0],
    endTime[1],
    duration[0],
    duration[1],
    status.code,
    status.message ?? null,
    scopeIndex,
    span.droppedAttributesCount,
    span.droppedEventsCount,
    span.droppedLinksCount,
    span.events.length === 0 ? null : span.events,
    span.links.length === 0
      ? null
      : span.links.map((link) => ({
          traceId: link.context.traceId,
          spanId: link.context.spanId,
          traceFlags: link.context.traceFlags,
          traceState: link.context.traceState?.serialize(),
          attributes: link.attributes,
          droppedAttributesCount: link.droppedAttributesCount,
        })),
  );
  const keys = Object.keys(attributes);
  out.push(keys.length);
  for (const key of keys) out.push(key, attributes[key]);
}

/** An ended span this service made itself (a request's: requests.ts), not an SDK Span. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState: TraceState | undefined;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  /** performance.now() at its start and end. */
  started: number;
  ended: number;
  statusCode: SpanStatusCode;
  attributes: Attributes;
  /** Its instrumentation scope: one object for all spans of a tracer. */
  scope: ReadableSpan['instrumentationLibrary'];
}

/** Takes spans that are not SDK Spans (the export processor). */
export interface SpanRecorder {
  record(span: SpanRecord): void;
}

/** Appends `span` to `out` as appendSpan does an SDK span (no events, links or dropped counts). */
export function appendRecord(out: unknown[], span: SpanRecord, scopeIndex: number): void {
  const start = hrTime(span.started);
  const end = hrTime(span.ended);
  const duration = hrTimeDuration(start, end);
  out.push(
    span.traceId,
    span.spanId,
    span.traceFlags,
    span.traceState?.serialize() ?? null,
    span.parentSpanId,
    span.name,
    span.kind,
    start[0],
    start[1],
    end[0],
    end[1],
    duration[0],
    duration[1],
    span.statusCode,
    null,
    scopeIndex,
    0,
    0,
    0,
    null,
    null,
  );
  const { attributes } = span;
  const keys = Object.keys(attributes);
  out.push(keys.length);
  for (const key of keys) out.push(key, attributes[key]);
}
