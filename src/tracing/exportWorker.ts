// The export thread's code (offthread.ts starts it): CommonJS in a string, run with `eval: true`,
// requiring the modules by the resolved paths it is handed, so it needs no build step and runs
// the same from src/ under vitest as from dist/. It rebuilds nothing for http/protobuf: it batches
// handles pointing into the records (spanRecords.ts) and encodes them itself (otlpProtobuf.ts);
// for http/json it rebuilds ReadableSpans for the stock exporter.
import { createTraceRequestEncoder, type TraceRequestEncoder } from './otlpProtobuf.js';

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

/** The worker's source. */
export const WORKER_SOURCE = `
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
