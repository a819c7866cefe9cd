// The export thread's OTLP/protobuf encoder (src/tracing/otlpProtobuf.ts) against the stock
// serializer: over generated spans carrying every kind of value a record can hold, the bytes it
// makes from the records must be exactly ProtobufTraceSerializer.serializeRequest's of the same
// ReadableSpans. The spans are made here, not by the SDK (which refuses byte and object values):
// all attribute value types, unicode and lone surrogates around protobufjs's 40-character switch,
// ints past 32 and 53 bits, times past the exact-double path, every optional field, scopes that
// share a key. They are generated from a seed, printed on failure; replay one with
// OTLP_ENCODER_SEED=<seed> npx vitest run test/operations/tracing-encoder.test.ts
import { runInNewContext } from 'node:vm';
import { createTraceState, type Attributes, type HrTime, type Link, type SpanKind } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { tsImport } from 'tsx/esm/api';
import { describe, expect, it } from 'vitest';
import { encoderSource } from '../../src/tracing/exportWorker.js';
import { appendSpan } from '../../src/tracing/spanRecords.js';
import { createTraceRequestEncoder, type ScopeRecord, type SpanRecordRef, type TraceRequestEncoder } from '../../src/tracing/otlpProtobuf.js';
import { seededRandom } from '../helpers/mutations.js';

type Random = () => number;
const below = (random: Random, n: number): number => Math.floor(random() * n);
const chance = (random: Random, p: number): boolean => random() < p;
function pick<T>(random: Random, values: readonly T[]): T {
  return values[below(random, values.length)]!;
}

// ASCII, 2-, 3- and 4-byte UTF-8 (a surrogate pair), and lone surrogates (which protobufjs writes
// differently under and over 40 characters).
const PIECES = ['a', 'Z', '0', ' ', '/', 'é', 'ß', '€', '中', '😀', '\u0000', '\ud800', '\udc00', '\u07ff', '\u0800', '\uffff'];

function randomString(random: Random): string {
  const length = pick(random, [0, 1, 5, 20, 38, 39, 40, 41, 80, 200]);
  let text = '';
  while (text.length < length) text += chance(random, 0.7) ? 'abcdefghij'[below(random, 10)] : pick(random, PIECES);
  return text;
}

const INTEGERS = [0, -0, 1, -1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 60, -(2 ** 63), 2 ** 64, 1e20, -1e300];
const DOUBLES = [0.5, -0.1, 1e-300, Math.PI, -1e300 / 7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE];

function randomPrimitive(random: Random): unknown {
  switch (below(random, 6)) {
    case 0:
      return randomString(random);
    case 1:
      return pick(random, INTEGERS);
    case 2:
      return below(random, 2 ** 31) * pick(random, [1, -1, 1024]);
    case 3:
      return pick(random, DOUBLES);
    case 4:
      return chance(random, 0.5);
    default:
      return pick(random, [null, undefined]);
  }
}

function randomValue(random: Random, depth = 0): unknown {
  const kind = depth > 2 ? 0 : below(random, 10);
  if (kind === 7) return Array.from({ length: below(random, 4) }, () => (chance(random, 0.8) ? randomPrimitive(random) : randomValue(random, depth + 1)));
  if (kind === 8) return randomAttributes(random, depth + 1);
  if (kind === 9) return Uint8Array.from({ length: pick(random, [0, 1, 16, 130]) }, () => below(random, 256));
  return randomPrimitive(random);
}

function randomAttributes(random: Random, depth = 0): Attributes {
  const attributes: Record<string, unknown> = {};
  const count = pick(random, [0, 1, 2, 5, 12]);
  for (let i = 0; i < count; i += 1) attributes[chance(random, 0.8) ? `attribute.${i}.${randomString(random)}` : randomString(random)] = randomValue(random, depth);
  return attributes as Attributes;
}

const hexId = (random: Random, bytes: number): string => {
  let hex = '';
  for (let i = 0; i < bytes; i += 1) hex += below(random, 256).toString(16).padStart(2, '0');
  return chance(random, 0.05) ? hex.toUpperCase() : hex;
};

/** Mostly now, sometimes the edges of the exact arithmetic and beyond it (BigInt's way). */
function randomTime(random: Random): HrTime {
  if (chance(random, 0.9)) return [1_765_000_000 + below(random, 100_000_000), below(random, 1_000_000_000)];
  return [pick(random, [0, 1, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 5e9]), pick(random, [0, 999_999_999, 1_000_000_000])];
}

const optional = <T>(random: Random, make: () => T): T | undefined => (chance(random, 0.5) ? make() : undefined);

function randomEvent(random: Random): TimedEvent {
  const event: TimedEvent = { name: randomString(random), time: randomTime(random) };
  if (chance(random, 0.6)) event.attributes = randomAttributes(random);
  if (chance(random, 0.5)) event.droppedAttributesCount = below(random, 300);
  return event;
}

function randomLink(random: Random): Link {
  const link: Link = { context: { traceId: hexId(random, 16), spanId: hexId(random, 8), traceFlags: below(random, 2), traceState: optional(random, () => createTraceState(`vendor=${below(random, 1000)}`)) } };
  if (chance(random, 0.6)) link.attributes = randomAttributes(random);
  if (chance(random, 0.5)) link.droppedAttributesCount = below(random, 300);
  return link;
}

/** Scopes: two objects of one key, version undefined and '' (one key), schema URLs, unicode names. */
const SCOPES: ScopeRecord[] = [
  { name: 'identity-subgraph', version: '1.2.3' },
  { name: 'identity-subgraph', version: '1.2.3' },
  { name: 'identity-subgraph' },
  { name: 'identity-subgraph', version: '' },
  { name: 'database', version: '2', schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
  { name: 'database', version: '2', schemaUrl: '' },
  { name: 'ünïcødé 中 😀', version: undefined, schemaUrl: undefined },
];

function randomSpan(random: Random, resource: Resource): ReadableSpan {
  const context = { traceId: hexId(random, 16), spanId: hexId(random, 8), traceFlags: 1, traceState: optional(random, () => createTraceState(pick(random, ['a=b', 'vendor=x,other=y', '']))) };
  const startTime = randomTime(random);
  const endTime = randomTime(random);
  const message = chance(random, 0.3) ? pick(random, ['', 'the status message', randomString(random)]) : undefined;
  return {
    name: randomString(random),
    kind: below(random, 5) as SpanKind,
    spanContext: () => context,
    parentSpanId: chance(random, 0.7) ? hexId(random, 8) : pick(random, [undefined, '']),
    startTime,
    endTime,
    duration: [endTime[0] - startTime[0], 0],
    status: message === undefined ? { code: below(random, 3) } : { code: below(random, 3), message },
    attributes: randomAttributes(random),
    links: chance(random, 0.2) ? Array.from({ length: 1 + below(random, 2) }, () => randomLink(random)) : [],
    events: chance(random, 0.3) ? Array.from({ length: 1 + below(random, 3) }, () => randomEvent(random)) : [],
    ended: true,
    resource,
    instrumentationLibrary: pick(random, SCOPES),
    droppedAttributesCount: pick(random, [0, 0, 3, 200]),
    droppedEventsCount: pick(random, [0, 0, 1]),
    droppedLinksCount: pick(random, [0, 0, 128]),
  };
}

/**
 * The spans as the export thread holds them: recorded as OffThreadSpanProcessor records them, in
 * batches of random size, each batch cloned as postMessage clones it.
 */
function recorded(random: Random, spans: readonly ReadableSpan[]): SpanRecordRef[] {
  const refs: SpanRecordRef[] = [];
  for (let start = 0; start < spans.length; ) {
    const end = Math.min(spans.length, start + 1 + below(random, 20));
    const records: unknown[] = [];
    const scopes: ScopeRecord[] = [];
    const scopeIndex = new Map<unknown, number>();
    const offsets: number[] = [];
    for (const span of spans.slice(start, end)) {
      let index = scopeIndex.get(span.instrumentationLibrary);
      if (index === undefined) scopeIndex.set(span.instrumentationLibrary, (index = scopes.push({ ...span.instrumentationLibrary }) - 1));
      offsets.push(records.length);
      appendSpan(records, span, index);
    }
    const batch = structuredClone({ records, scopes });
    for (const offset of offsets) refs.push({ records: batch.records, offset, scopes: batch.scopes });
    start = end;
  }
  return refs;
}

const resourceOf = (random: Random): Resource =>
  Resource.default().merge(new Resource({ 'service.name': 'encoder-test', ...(randomAttributes(random) as Record<string, string>) }));

/** Compares `encode` with the stock serializer over the spans of `seed` (their count too). */
function expectStockBytes(encode: TraceRequestEncoder, seed: number): void {
  const random = seededRandom(seed);
  const resource = resourceOf(random);
  const spans = Array.from({ length: 1 + below(random, 60) }, () => randomSpan(random, resource));
  const stock = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const ours = Buffer.from(encode(recorded(random, spans), resource.attributes));
  let differsAt = 0;
  while (differsAt < stock.length && stock[differsAt] === ours[differsAt]) differsAt += 1;
  expect(ours.equals(stock), `OTLP_ENCODER_SEED=${seed}: ${ours.length} bytes against the stock ${stock.length}, first difference at byte ${differsAt}`).toBe(true);
}

const replayed = process.env.OTLP_ENCODER_SEED;
// Fixed seeds always, and fresh ones each run (a failure prints its seed).
const SEEDS = replayed !== undefined ? [Number(replayed)] : [1, 2, 3, 42, 20261207, ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 2 ** 32))];
/** A seed's rounds: the seed itself, then seeds derived from it (each printed as itself). */
const ROUNDS = replayed !== undefined ? 1 : 25;
const roundSeed = (seed: number, round: number): number => (seed + round * 0x9e3779b9) >>> 0;

describe('OTLP/protobuf encoder of the export thread', () => {
  // One encoder for every case, as the worker has: what one request leaves behind must not change the next.
  const encodeExportRequest = createTraceRequestEncoder();

  it.each(SEEDS)('makes the stock serializer’s bytes from the records (seed %i)', (seed) => {
    for (let round = 0; round < ROUNDS; round += 1) expectStockBytes(encodeExportRequest, roundSeed(seed, round));
  });

  it('makes the stock serializer’s bytes of no spans (an empty request)', () => {
    expect(Buffer.from(encodeExportRequest([], {})).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest([])!))).toBe(true);
  });

  // The worker gets the encoder as source text (offthread.ts, encoderSource): any reference to
  // something outside the factory fails there. The worker tests would fail too
  // (tracing-offthread.test.ts); these say why: the worker's definition, evaluated alone in a
  // context of nothing but the built-ins and Buffer (and this realm's Uint8Array, for the byte
  // values the spans carry), must still make the stock bytes.
  const isolated = (source: string): TraceRequestEncoder => runInNewContext(`${source}\nencodeExportRequest;`, { Buffer, Uint8Array }) as TraceRequestEncoder;

  it('is self-contained: the worker’s definition of it, evaluated apart, makes the same bytes', () => {
    const encode = isolated(encoderSource());
    for (const seed of SEEDS) expectStockBytes(encode, seed);
  });

  it('is self-contained as tsx compiles it too (npm run dev: esbuild’s __name calls in its source)', async () => {
    const compiled = (await tsImport('../../src/tracing/otlpProtobuf.ts', import.meta.url)) as { createTraceRequestEncoder: () => TraceRequestEncoder };
    const encode = isolated(encoderSource(compiled.createTraceRequestEncoder));
    for (const seed of SEEDS) expectStockBytes(encode, seed);
  });
});
