// Export off the main thread (src/tracing/offthread.ts): spans cross to a worker as plain records;
// the worker encodes OTLP/protobuf from them itself (otlpProtobuf.ts), and for http/json rebuilds
// what the stock serializer reads. Canaries: what the worker exports must be exactly what the
// stock serializer makes of the same spans in this thread, in both protocols; when the SDK's
// serializer starts reading something a record does not carry, this fails and says so.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { threadId } from 'node:worker_threads';
import { SpanKind, SpanStatusCode, TraceFlags, createTraceState, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OffThreadSpanProcessor, type OffThreadOptions } from '../../src/tracing/offthread.js';

interface Received {
  contentType: string;
  userAgent: string;
  body: Buffer;
}

let receiver: Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ contentType: String(req.headers['content-type']), userAgent: String(req.headers['user-agent']), body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const resource = Resource.default().merge(new Resource({ 'service.name': 'offthread-test' }));

/** Spans with everything a span can carry: parent, remote parent with trace state, events, links, status, dropped counts. */
function makeSpans(processors: (SimpleSpanProcessor | OffThreadSpanProcessor)[]): void {
  const provider = new BasicTracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: processors, spanLimits: { attributeCountLimit: 3 } });
  const tracer = provider.getTracer('identity-subgraph', '1.2.3');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    traceState: createTraceState('vendor=a,other=b'),
    isRemote: true,
  });
  const server = tracer.startSpan('POST /graphql', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'http.route': '/graphql' } }, remote);
  const child = tracer.startSpan(
    'authenticate',
    { kind: SpanKind.INTERNAL, links: [{ context: { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: 1, traceState: createTraceState('x=y') }, attributes: { why: 'test' } }] },
    trace.setSpan(remote, server),
  );
  child.setAttribute('identity.cache', 'hit');
  child.setAttributes({ a: 1, b: true, c: ['x', 'y'], d: 'dropped' });
  child.addEvent('an event', { n: 2 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'the status message' });
  child.end();
  server.setAttribute('http.response.status_code', 200);
  server.end();
}

/** The OTLP JSON of every span, by span id, with its resource and scope. */
function spansOf(bodies: Buffer[]): Map<string, unknown> {
  const spans = new Map<string, unknown>();
  for (const body of bodies) {
    const request = JSON.parse(body.toString('utf8')) as { resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: { spanId: string }[] }[] }[] };
    for (const r of request.resourceSpans) for (const s of r.scopeSpans) for (const span of s.spans) spans.set(span.spanId, { resource: r.resource, scope: s.scope, span });
  }
  return spans;
}

/** A processor exporting to the loopback receiver (http/json unless said), failures pushed to `failures`. */
function offThreadTo(failures: unknown[], options: Partial<OffThreadOptions> = {}): OffThreadSpanProcessor {
  return new OffThreadSpanProcessor({
    url,
    headers: {},
    protocol: 'http/json',
    resource: resource.attributes,
    exportTimeoutMillis: 5_000,
    onExportFailed: (result) => failures.push(result.error),
    ...options,
  });
}

describe('tracing export off the main thread', () => {
  /** Spans made both here (kept in memory) and through a worker exporting `protocol`: those here, and the bodies received. */
  async function bothWays(protocol: OffThreadOptions['protocol']): Promise<{ inThread: ReadableSpan[]; bodies: Received[] }> {
    const memory = new InMemorySpanExporter();
    const failures: unknown[] = [];
    const offThread = offThreadTo(failures, { protocol });
    received.length = 0;
    makeSpans([new SimpleSpanProcessor(memory), offThread]);
    // Fewer spans than a batch: shutdown alone must send and export them.
    await offThread.shutdown();
    expect(failures).toEqual([]);
    const inThread = memory.getFinishedSpans() as ReadableSpan[];
    expect(inThread).toHaveLength(2);
    return { inThread, bodies: [...received] };
  }

  // Through the worker's own encoder (src/tracing/otlpProtobuf.ts, evaluated from its source text
  // in the worker): a reference it had outside itself would fail here too.
  it('exports from the worker, in http/protobuf, exactly the bytes the stock serializer makes of the same spans here (canary)', async () => {
    const { inThread, bodies } = await bothWays('http/protobuf');
    expect(bodies.map((r) => r.contentType)).toEqual(['application/x-protobuf']);
    // What the stock exporter sends.
    expect(bodies[0]!.userAgent).toMatch(/^OTel-OTLP-Exporter-JavaScript\/\d+\.\d+\.\d+$/);
    const expected = Buffer.from(ProtobufTraceSerializer.serializeRequest(inThread)!);
    expect(bodies[0]!.body.equals(expected), 'the worker\'s encoder (otlpProtobuf.ts) and the stock serializer differ on the same spans').toBe(true);
  });

  it('exports from the worker, in http/json, exactly what the stock serializer makes of the same spans here (canary)', async () => {
    const { inThread, bodies } = await bothWays('http/json');
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.every((r) => r.contentType === 'application/json')).toBe(true);
    const expected = spansOf([Buffer.from(JsonTraceSerializer.serializeRequest(inThread)!)]);
    const exported = spansOf(bodies.map((r) => r.body));
    expect(exported.size).toBe(2);
    for (const [spanId, value] of expected) {
      expect(exported.get(spanId), `OpenTelemetry's serializer reads something the worker's spans lack (offthread.ts): span ${spanId}`).toEqual(value);
    }
  });

  it('exports http/protobuf by default, and runs the exporter on another thread than this one', async () => {
    const failures: unknown[] = [];
    const offThread = offThreadTo(failures, { headers: { 'x-test': 'yes' }, protocol: 'http/protobuf' });
    received.length = 0;
    makeSpans([offThread]);
    expect(offThread.threadId).not.toBe(threadId);
    await offThread.shutdown();
    expect(failures).toEqual([]);
    expect(received.map((r) => r.contentType)).toEqual(['application/x-protobuf']);
    const raw = received[0]!.body;
    expect(raw.includes('POST /graphql')).toBe(true);
    expect(raw.includes('offthread-test')).toBe(true);
    expect(raw.includes(Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'))).toBe(true);
  });

  it('tells of failed exports, and its shutdown still ends when the collector is gone', async () => {
    const failures: unknown[] = [];
    const offThread = offThreadTo(failures, { url: 'http://127.0.0.1:1/v1/traces', protocol: 'http/protobuf', exportTimeoutMillis: 1_000 });
    makeSpans([offThread]);
    await offThread.shutdown();
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toBeInstanceOf(Error);
  });
});

describe('tracing export off the main thread, when the worker falls behind', () => {
  it('drops spans beyond maxQueuedSpans not yet taken by the worker, and tells', async () => {
    const failures: unknown[] = [];
    // Spans made right after the worker is created: it is still loading its modules, and takes none yet.
    const offThread = offThreadTo(failures, { batchSpans: 1, maxQueuedSpans: 3 });
    received.length = 0;
    const provider = new BasicTracerProvider({ resource, sampler: new AlwaysOnSampler(), spanProcessors: [offThread] });
    const tracer = provider.getTracer('identity-subgraph');
    for (let i = 0; i < 10; i += 1) tracer.startSpan(`span ${i}`).end();
    await offThread.shutdown();
    expect(failures).toHaveLength(7);
    expect((failures[0] as Error).message).toBe('the trace export thread is behind: spans dropped');
    expect([...spansOf(received.map((r) => r.body)).values()].map((s) => (s as { span: { name: string } }).span.name).sort()).toEqual(['span 0', 'span 1', 'span 2']);
  });
});
