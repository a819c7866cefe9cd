// Export off the main thread: ended spans cross to a worker thread as plain data, in batches, and
// the worker runs the stock BatchSpanProcessor and OTLP/HTTP transport (protobuf or JSON) on them.
// The main thread, the one answering requests, pays only a span's copy into a record and its
// share of a postMessage; encoding, batching and HTTP run on the other core. Measured (bench/
// RESULTS.md, 2026-12-07 15:30–16:25): warm viewer on/off 0.58x → 0.64–0.68x in req/s. The
// records are one flat array of strings and numbers per batch (appendSpan): one object per span
// made the clone three times as dear and the process's CPU per request higher than the stock
// path's; flat, it is lower (+71 to +81 µs against +86 to +102).
//
// The worker was then the largest part of tracing's cost (~19 µs of CPU a request): rebuilding a
// ReadableSpan of each record, then the stock serializer (an OTLP object per span, attribute and
// value, then protobufjs's Writer, an operation queued per field). For http/protobuf (the
// default) it now encodes the request straight from the records (otlpProtobuf.ts, the same bytes
// as the stock serializer's), and BatchSpanProcessor batches handles pointing at them; the stock
// transport (retries, concurrency bound, timeout) sends it. Measured 2026-12-07 on this 2-core
// machine, shared with other work (scripts under bench/tmp, not kept; the best of interleaved
// slices, CPU time): 3 typical request spans (5, 3 and 2 attributes) encoded in 2.1-3.7 µs
// instead of 6.3-11.7 µs by the stock serializer, in batches of 63 and 510 spans (3.8 µs against
// 8.5-19 µs in a batch of 3); the export thread's own CPU a request (/proc's count for its
// thread), 16,000 requests paced at 8 a millisecond to a receiver in another process, 40 → 23 µs
// (more than the 19 above before: that loop wakes the thread more often than the app's bench);
// in the app's bench, 21-22 → 13-14 µs, and with the request spans recorded without SDK Spans
// (requests.ts) the warm viewer went from 0.65x to 0.79x of tracing off (bench/RESULTS.md,
// 2026-12-07 17:05-18:25).
// http/json keeps the stock path: the worker rebuilds ReadableSpans for the stock JSON exporter.
// test/operations/tracing-offthread.test.ts checks, in both protocols, that the worker's export
// equals the stock serializer's output for the same spans in this thread.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TraceFlags, type Attributes, type Context, type SpanKind, type SpanStatusCode, type TraceState } from '@opentelemetry/api';
import { ExportResultCode, hrTime, hrTimeDuration, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createTraceRequestEncoder, type TraceRequestEncoder } from './otlpProtobuf.js';

const require = createRequire(import.meta.url);
/** The User-Agent the stock OTLP/protobuf trace exporter sends (its package's version). */
const USER_AGENT = `OTel-OTLP-Exporter-JavaScript/${(require('@opentelemetry/exporter-trace-otlp-proto/package.json') as { version: string }).version}`;

/**
 * Appends `span` to `out` as flat values (strings, numbers, null; the rare events and links as
 * they are): a flat array of primitives costs postMessage a third of what one object per span
 * with nested objects does. `scopeIndex`: the index of the span's instrumentation scope in the
 * list sent along. The worker reads them back in this order (WORKER's `readable`, and
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
function appendRecord(out: unknown[], span: SpanRecord, scopeIndex: number): void {
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
  /**
   * Spans posted that the worker has not taken yet, beyond which new ones are dropped (a worker
   * starved of CPU must not make the messages pile up without bound).
   */
  maxQueuedSpans?: number;
}

const BEHIND: ExportResult = { code: ExportResultCode.FAILED, error: new Error('the trace export thread is behind: spans dropped') };

type FromWorker = { type: 'failed'; message: string } | { type: 'flushed'; id: number };

/**
 * The worker's definition of `encodeExportRequest`, from the source text of `factory`
 * (otlpProtobuf.ts keeps it self-contained for that). tsx (`npm run dev`: esbuild with keepNames)
 * compiles each nested function into a call to a helper `__name` of the module's own: the worker
 * defines it alike. Exported for tests.
 */
export function encoderSource(factory: () => TraceRequestEncoder = createTraceRequestEncoder): string {
  return `const __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true });
const encodeExportRequest = (${factory.toString()})();`;
}

// The worker's code, run as CommonJS from the modules' resolved paths (it needs no build step,
// and runs the same from src/ under vitest as from dist/).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { BatchSpanProcessor } = require(workerData.modules.sdk);
const { Resource } = require(workerData.modules.resources);
const { TraceState, ExportResultCode } = require(workerData.modules.core);
${encoderSource()}
const resource = new Resource(workerData.resource);
const exporterConfig = { url: workerData.url, headers: workerData.headers, timeoutMillis: workerData.exportTimeoutMillis, keepAlive: true };
const protobuf = workerData.protocol === 'http/protobuf';
const exporter = protobuf ? protobufExporter() : jsonExporter();
/** The stock OTLP/HTTP transport (retries, concurrency bound, timeout) with our encoder as its serializer. */
function protobufExporter() {
  const { OTLPExporterBase } = require(workerData.modules.exporterBase);
  const { createOtlpHttpExportDelegate, convertLegacyHttpOptions } = require(workerData.modules.exporterBaseHttp);
  const { ProtobufTraceSerializer } = require(workerData.modules.transformer);
  const serializer = {
    serializeRequest: (spans) => encodeExportRequest(spans, workerData.resource),
    deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
  };
  const headers = { 'User-Agent': workerData.userAgent, 'Content-Type': 'application/x-protobuf' };
  return new OTLPExporterBase(createOtlpHttpExportDelegate(convertLegacyHttpOptions(exporterConfig, 'TRACES', 'v1/traces', headers), serializer));
}
function jsonExporter() {
  const { OTLPTraceExporter } = require(workerData.modules.json);
  return new OTLPTraceExporter(exporterConfig);
}
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
const taken = new Int32Array(workerData.taken);
/** Where the record after the one at \`offset\` starts (appendSpan: 22 values, then the attributes' pairs). */
const nextRecord = (flat, offset) => offset + 22 + 2 * flat[offset + 21];
/**
 * A span as BatchSpanProcessor reads it (spanContext().traceFlags, resource), pointing at its
 * record for encodeExportRequest: the encoder reads the record itself, so nothing is rebuilt.
 */
class SpanHandle {
  constructor(records, offset, scopes) {
    this.records = records;
    this.offset = offset;
    this.scopes = scopes;
  }
  spanContext() {
    return { traceFlags: this.records[this.offset + 2] };
  }
  get resource() {
    return resource;
  }
}
function handles(flat, scopeList) {
  const spans = [];
  for (let i = 0; i < flat.length; i = nextRecord(flat, i)) spans.push(new SpanHandle(flat, i, scopeList));
  return spans;
}
const stateOf = (text) => (text === null || text === undefined ? undefined : new TraceState(text));
const scopes = new Map();
/** The spans appendSpan wrote into \`flat\`, as ReadableSpans (for the stock JSON exporter). */
function readable(flat, scopeList) {
  const spans = [];
  for (let i = 0; i < flat.length; i = nextRecord(flat, i)) {
    const context = { traceId: flat[i], spanId: flat[i + 1], traceFlags: flat[i + 2], traceState: stateOf(flat[i + 3]) };
    const parentSpanId = flat[i + 4] === null ? undefined : flat[i + 4];
    const statusMessage = flat[i + 14];
    const scopeOf = scopeList[flat[i + 15]];
    const key = scopeOf.name + '@' + (scopeOf.version || '') + ':' + (scopeOf.schemaUrl || '');
    let scope = scopes.get(key);
    if (scope === undefined) scopes.set(key, (scope = scopeOf));
    const events = flat[i + 19] === null ? [] : flat[i + 19];
    const links = flat[i + 20] === null ? [] : flat[i + 20].map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, traceState: stateOf(l.traceState) }, attributes: l.attributes, droppedAttributesCount: l.droppedAttributesCount }));
    const span = {
      name: flat[i + 5], kind: flat[i + 6], spanContext: () => context, parentSpanId,
      startTime: [flat[i + 7], flat[i + 8]], endTime: [flat[i + 9], flat[i + 10]], duration: [flat[i + 11], flat[i + 12]],
      status: statusMessage === null ? { code: flat[i + 13] } : { code: flat[i + 13], message: statusMessage },
      attributes: {}, links, events, ended: true, resource, instrumentationLibrary: scope,
      droppedAttributesCount: flat[i + 16], droppedEventsCount: flat[i + 17], droppedLinksCount: flat[i + 18],
    };
    const end = nextRecord(flat, i);
    for (let a = i + 22; a < end; a += 2) span.attributes[flat[a]] = flat[a + 1];
    spans.push(span);
  }
  return spans;
}
parentPort.on('message', (message) => {
  if (message.type === 'spans') {
    const spans = protobuf ? handles(message.spans, message.scopes) : readable(message.spans, message.scopes);
    for (const span of spans) processor.onEnd(span);
    Atomics.add(taken, 0, spans.length);
  } else if (message.type === 'flush') {
    const done = () => parentPort.postMessage({ type: 'flushed', id: message.id });
    (message.stop ? processor.shutdown() : processor.forceFlush()).then(done, done);
  }
});
`;

export class OffThreadSpanProcessor implements SpanProcessor, SpanRecorder {
  private readonly worker: Worker;
  private readonly batchSpans: number;
  /** Ended spans not yet sent, as appendSpan wrote them. */
  private held: unknown[] = [];
  private heldSpans = 0;
  /** The instrumentation scopes spans were made with, by index (sent along with every batch). */
  private readonly scopeIndex = new Map<ReadableSpan['instrumentationLibrary'], number>();
  private readonly scopeList: { name: string; version?: string; schemaUrl?: string }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly flushes = new Map<number, () => void>();
  private nextFlush = 0;
  private stopped = false;
  private readonly maxQueuedSpans: number;
  /** Spans posted to the worker, and (shared, the worker adds to it) spans it has taken. */
  private posted = 0;
  private readonly taken = new Int32Array(new SharedArrayBuffer(4));
  private readonly onExportFailed: (result: ExportResult) => void;
  private exited = false;

  constructor(options: OffThreadOptions) {
    this.batchSpans = options.batchSpans ?? 64;
    this.maxQueuedSpans = options.maxQueuedSpans ?? 4096;
    this.onExportFailed = options.onExportFailed;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        modules: {
          sdk: require.resolve('@opentelemetry/sdk-trace-base'),
          exporterBase: require.resolve('@opentelemetry/otlp-exporter-base'),
          exporterBaseHttp: require.resolve('@opentelemetry/otlp-exporter-base/node-http'),
          transformer: require.resolve('@opentelemetry/otlp-transformer'),
          json: require.resolve('@opentelemetry/exporter-trace-otlp-http'),
          resources: require.resolve('@opentelemetry/resources'),
          core: require.resolve('@opentelemetry/core'),
        },
        url: options.url,
        headers: options.headers,
        protocol: options.protocol,
        userAgent: USER_AGENT,
        resource: options.resource,
        exportTimeoutMillis: options.exportTimeoutMillis,
        taken: this.taken.buffer,
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
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0 || !this.admit()) return;
    appendSpan(this.held, span, this.indexOf(span.instrumentationLibrary));
    this.held1();
  }

  record(span: SpanRecord): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0 || !this.admit()) return;
    appendRecord(this.held, span, this.indexOf(span.scope));
    this.held1();
  }

  /** Whether one more span may be held (not stopped, the worker not too far behind). */
  private admit(): boolean {
    if (this.stopped) return false;
    // Both counters wrap around as 32-bit integers; their difference stays right.
    if (((this.posted - Atomics.load(this.taken, 0)) | 0) + this.heldSpans >= this.maxQueuedSpans) {
      // Told like a failed export (the log says so at most once a minute).
      this.onExportFailed(BEHIND);
      return false;
    }
    return true;
  }

  /** The index of a span's scope: a tracer hands each of its spans the same object (one lookup by identity). */
  private indexOf(scope: ReadableSpan['instrumentationLibrary']): number {
    let index = this.scopeIndex.get(scope);
    if (index === undefined) {
      index = this.scopeList.push({ ...scope }) - 1;
      this.scopeIndex.set(scope, index);
    }
    return index;
  }

  /** One more span held: sent once a batch is full. */
  private held1(): void {
    this.heldSpans += 1;
    if (this.heldSpans >= this.batchSpans) this.send();
  }

  private send(): void {
    if (this.heldSpans === 0 || this.exited) return;
    const spans = this.held;
    this.held = [];
    this.posted = (this.posted + this.heldSpans) | 0;
    this.heldSpans = 0;
    this.worker.postMessage({ type: 'spans', spans, scopes: this.scopeList });
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
