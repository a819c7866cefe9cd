// Export off the main thread: ended spans cross to a worker thread as plain data, in batches, and
// the worker runs the stock BatchSpanProcessor and OTLP/HTTP exporter (protobuf or JSON) on them.
// The main thread, the one answering requests, pays only a span's copy into a record and its
// share of a postMessage; encoding, batching and HTTP run on the other core. Measured (bench/
// RESULTS.md, 2026-12-07 15:30–16:40): warm viewer on/off 0.58x → 0.64x in req/s, the process's
// CPU per request a little higher (the copy and the worker's own decoding): a gain only while a
// core has room, which is the case the contract's ratio measures.
//
// The stock serializer reads spans through the ReadableSpan interface; the worker rebuilds that
// interface from the records. test/operations/tracing-offthread.test.ts checks that the worker's
// export equals the stock serializer's output for the same spans in this thread.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TraceFlags, type Attributes, type Context, type HrTime, type SpanStatus } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A span as it crosses to the worker: structured-clone-able data only. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState: string | undefined;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  status: SpanStatus;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: { name: string; time: HrTime; attributes?: Attributes; droppedAttributesCount?: number }[];
  droppedEventsCount: number;
  links: { traceId: string; spanId: string; traceFlags: number; traceState: string | undefined; attributes?: Attributes; droppedAttributesCount?: number }[];
  droppedLinksCount: number;
  scope: { name: string; version?: string; schemaUrl?: string };
}

export function recordOf(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    traceState: context.traceState?.serialize(),
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    status: span.status,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({ ...event })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceFlags: link.context.traceFlags,
      traceState: link.context.traceState?.serialize(),
      ...(link.attributes === undefined ? {} : { attributes: link.attributes }),
      ...(link.droppedAttributesCount === undefined ? {} : { droppedAttributesCount: link.droppedAttributesCount }),
    })),
    droppedLinksCount: span.droppedLinksCount,
    scope: { ...span.instrumentationLibrary },
  };
}

export interface OffThreadOptions {
  url: string;
  headers: Record<string, string>;
  protocol: 'http/protobuf' | 'http/json';
  resource: Attributes;
  exportTimeoutMillis: number;
  /** Told each failed export (in the worker) as its result. */
  onExportFailed(result: ExportResult): void;
  /** Spans sent to the worker at once (fewer: more messages; more: records held longer). */
  batchSpans?: number;
  /** What is held is sent at least this often. */
  delayMillis?: number;
}

type FromWorker = { type: 'failed'; message: string } | { type: 'flushed'; id: number };

// The worker's code, run as CommonJS from the modules' resolved paths (it needs no build step,
// and runs the same from src/ under vitest as from dist/).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { BatchSpanProcessor } = require(workerData.modules.sdk);
const { OTLPTraceExporter } = require(workerData.protocol === 'http/json' ? workerData.modules.json : workerData.modules.proto);
const { Resource } = require(workerData.modules.resources);
const { TraceState, ExportResultCode } = require(workerData.modules.core);
const resource = new Resource(workerData.resource);
const exporter = new OTLPTraceExporter({ url: workerData.url, headers: workerData.headers, timeoutMillis: workerData.exportTimeoutMillis, keepAlive: true });
const logged = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) parentPort.postMessage({ type: 'failed', message: String(result.error && result.error.message || result.error) });
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
};
const processor = new BatchSpanProcessor(logged, { exportTimeoutMillis: workerData.exportTimeoutMillis });
const stateOf = (text) => (text === undefined ? undefined : new TraceState(text));
const scopes = new Map();
function readable(r) {
  const key = r.scope.name + '@' + (r.scope.version || '') + ':' + (r.scope.schemaUrl || '');
  let scope = scopes.get(key);
  if (scope === undefined) scopes.set(key, (scope = r.scope));
  const context = { traceId: r.traceId, spanId: r.spanId, traceFlags: r.traceFlags, traceState: stateOf(r.traceState) };
  return {
    name: r.name, kind: r.kind, spanContext: () => context, parentSpanId: r.parentSpanId,
    startTime: r.startTime, endTime: r.endTime, duration: r.duration, status: r.status, attributes: r.attributes,
    links: r.links.map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, traceState: stateOf(l.traceState) }, attributes: l.attributes, droppedAttributesCount: l.droppedAttributesCount })),
    events: r.events, ended: true, resource, instrumentationLibrary: scope,
    droppedAttributesCount: r.droppedAttributesCount, droppedEventsCount: r.droppedEventsCount, droppedLinksCount: r.droppedLinksCount,
  };
}
parentPort.on('message', (message) => {
  if (message.type === 'spans') {
    for (const record of message.spans) processor.onEnd(readable(record));
  } else if (message.type === 'flush') {
    const done = () => parentPort.postMessage({ type: 'flushed', id: message.id });
    (message.stop ? processor.shutdown() : processor.forceFlush()).then(done, done);
  }
});
`;

export class OffThreadSpanProcessor implements SpanProcessor {
  private readonly worker: Worker;
  private readonly batchSpans: number;
  private held: SpanRecord[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly flushes = new Map<number, () => void>();
  private nextFlush = 0;
  private stopped = false;
  private exited = false;

  constructor(options: OffThreadOptions) {
    const require = createRequire(import.meta.url);
    this.batchSpans = options.batchSpans ?? 64;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        modules: {
          sdk: require.resolve('@opentelemetry/sdk-trace-base'),
          proto: require.resolve('@opentelemetry/exporter-trace-otlp-proto'),
          json: require.resolve('@opentelemetry/exporter-trace-otlp-http'),
          resources: require.resolve('@opentelemetry/resources'),
          core: require.resolve('@opentelemetry/core'),
        },
        url: options.url,
        headers: options.headers,
        protocol: options.protocol,
        resource: options.resource,
        exportTimeoutMillis: options.exportTimeoutMillis,
      },
    });
    // Never what keeps the process alive: shutdown flushes it explicitly.
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'failed') options.onExportFailed({ code: ExportResultCode.FAILED, error: new Error(message.message) });
      else this.flushes.get(message.id)?.();
    });
    const settleAll = () => {
      this.exited = true;
      for (const done of this.flushes.values()) done();
      this.flushes.clear();
    };
    // A worker that could not start or crashed: told once, and what is held from then on dropped.
    this.worker.on('error', (error) => options.onExportFailed({ code: ExportResultCode.FAILED, error }));
    this.worker.on('exit', settleAll);
    this.timer = setInterval(() => this.send(), options.delayMillis ?? 200);
    this.timer.unref();
  }

  /** The export thread's id. */
  get threadId(): number {
    return this.worker.threadId;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.held.push(recordOf(span));
    if (this.held.length >= this.batchSpans) this.send();
  }

  private send(): void {
    if (this.held.length === 0 || this.exited) return;
    const spans = this.held;
    this.held = [];
    this.worker.postMessage({ type: 'spans', spans });
  }

  /** Sends what is held, and waits for the worker to export everything it has (then stop). */
  private flush(stop: boolean): Promise<void> {
    this.send();
    if (this.exited) return Promise.resolve();
    const id = this.nextFlush++;
    return new Promise<void>((resolve) => {
      this.flushes.set(id, () => {
        this.flushes.delete(id);
        resolve();
      });
      // The reply must come even though the worker is unref'd: hold the process until it does.
      this.worker.ref();
      this.worker.postMessage({ type: 'flush', id, stop });
    }).finally(() => {
      if (this.flushes.size === 0) this.worker.unref();
    });
  }

  forceFlush(): Promise<void> {
    return this.flush(false);
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.flush(true);
    await this.worker.terminate();
  }
}
