// Export off the main thread: ended spans cross to a worker thread as plain data, in batches, and
// the worker runs the stock BatchSpanProcessor and OTLP/HTTP transport (protobuf or JSON) on them.
// The main thread, the one answering requests, pays only a span's copy into a record and its
// share of a postMessage; encoding, batching and HTTP run on the other core. Measured (bench/
// RESULTS.md, 2026-12-07 15:30–16:25): warm viewer on/off 0.58x → 0.64–0.68x in req/s. The
// records are one flat array of strings and numbers per batch (spanRecords.ts): one object per span
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
import { TraceFlags, type Attributes, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { WORKER_SOURCE } from './exportWorker.js';
import { appendRecord, appendSpan, type SpanRecord, type SpanRecorder } from './spanRecords.js';

const require = createRequire(import.meta.url);
/** The User-Agent the stock OTLP/protobuf trace exporter sends (its package's version). */
const USER_AGENT = `OTel-OTLP-Exporter-JavaScript/${(require('@opentelemetry/exporter-trace-otlp-proto/package.json') as { version: string }).version}`;

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
    this.worker = new Worker(WORKER_SOURCE, {
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
