// OTLP/protobuf for the export thread (offthread.ts): an ExportTraceServiceRequest encoded straight
// from the span records appendSpan writes, byte for byte what the stock serializer
// (@opentelemetry/otlp-transformer's ProtobufTraceSerializer) makes of the same spans, at a
// fraction of its cost (offthread.ts's header has the numbers). The stock path builds an OTLP
// object per span, attribute and value, then protobufjs's Writer queues an operation per field and
// forks a state per nested message; here one pass measures every nested message and string, and a
// second writes them into one Buffer of exactly that size. Where protobufjs has its own ways, they
// are kept: its UTF-8 loop for strings under 40 characters (lone surrogates as 3 bytes of their
// own, not U+FFFD), its int64 of any integer-valued number, core's hexToBinary for any character.
// test/operations/tracing-encoder.test.ts compares the two over generated spans.
//
// createTraceRequestEncoder runs in the worker, whose code is a string: its source goes into that
// string (Function.prototype.toString), so it must stay self-contained. No imports, no reference
// to anything of this module or outside it but the globals (Buffer, BigInt, Map, Number, Object,
// Array, Math, Int8Array, Int32Array, Uint8Array, Error); its helpers live inside it. Types are
// fine: they are gone once compiled. A factory, not one function: the helpers are made once, not
// at every request (closures made anew at each call measured 1.4-1.8x slower).

/** An instrumentation scope as the records carry it (the list sent along with each batch). */
export interface ScopeRecord {
  name: string;
  version?: string | undefined;
  schemaUrl?: string | undefined;
}

/**
 * One span for the encoder: the record appendSpan wrote at `offset` in `records`, whose scope
 * index points into `scopes`.
 */
export interface SpanRecordRef {
  readonly records: readonly unknown[];
  readonly offset: number;
  readonly scopes: readonly ScopeRecord[];
}

/**
 * Encodes the ExportTraceServiceRequest of `spans`, all of one resource whose attributes are
 * `resourceAttributes`: the bytes ProtobufTraceSerializer.serializeRequest makes of the same
 * spans as ReadableSpans. Spans are grouped by scope as the stock transformer groups them (key
 * `name@version:schemaUrl`, groups and spans in first-seen order).
 */
export type TraceRequestEncoder = (spans: readonly SpanRecordRef[], resourceAttributes: Readonly<Record<string, unknown>>) => Uint8Array;

/** A TraceRequestEncoder (self-contained: see above). One encoding at a time (it is synchronous). */
export function createTraceRequestEncoder(): TraceRequestEncoder {
  // The record's layout (spanRecords.ts, appendSpan): a field's offset from the record's start.
  const TRACE_ID = 0;
  const SPAN_ID = 1;
  const TRACE_STATE = 3;
  const PARENT_SPAN_ID = 4;
  const NAME = 5;
  const KIND = 6;
  const START_SECONDS = 7;
  const START_NANOS = 8;
  const END_SECONDS = 9;
  const END_NANOS = 10;
  const STATUS_CODE = 13;
  const STATUS_MESSAGE = 14;
  const SCOPE_INDEX = 15;
  const DROPPED_ATTRIBUTES = 16;
  const DROPPED_EVENTS = 17;
  const DROPPED_LINKS = 18;
  const EVENTS = 19;
  const LINKS = 20;
  const ATTRIBUTE_COUNT = 21;
  const ATTRIBUTES = 22;

  interface TimedEvent {
    name: string;
    time: [number, number];
    attributes?: Record<string, unknown>;
    droppedAttributesCount?: number;
  }
  interface LinkRecord {
    traceId: string;
    spanId: string;
    traceState?: string;
    attributes?: Record<string, unknown>;
    droppedAttributesCount?: number;
  }
  interface ScopeGroup {
    scope: ScopeRecord;
    spans: SpanRecordRef[];
  }

  /** Spans by scope, as the stock createResourceMap groups them. */
  function groupByScope(spans: readonly SpanRecordRef[]): ScopeGroup[] {
    const groups: ScopeGroup[] = [];
    const byKey = new Map<string, ScopeGroup>();
    // Spans of one batch share their scope object: its key is made once for a run of them.
    let lastScope: ScopeRecord | undefined;
    let lastGroup: ScopeGroup | undefined;
    for (const span of spans) {
      const scope = span.scopes[span.records[span.offset + SCOPE_INDEX] as number]!;
      if (scope !== lastScope || lastGroup === undefined) {
        const key = `${scope.name}@${scope.version || ''}:${scope.schemaUrl || ''}`;
        lastGroup = byKey.get(key);
        if (lastGroup === undefined) {
          lastGroup = { scope, spans: [] };
          byKey.set(key, lastGroup);
          groups.push(lastGroup);
        }
        lastScope = scope;
      }
      lastGroup.spans.push(span);
    }
    return groups;
  }

  // Tags (field number << 3 | wire type) are all below 128: one byte each.
  const VARINT = 0;
  const FIXED64 = 1;
  const DELIMITED = 2;
  const tag = (field: number, wireType: number): number => (field << 3) | wireType;

  // ---- Measuring: every length the writing pass needs, in the order it writes them. ----

  /** Message body sizes and string byte lengths, in writing order (a message's before its fields'). */
  let sizes = new Int32Array(1024);
  let sizeCount = 0;

  function pushSize(size: number): number {
    if (sizeCount === sizes.length) {
      const grown = new Int32Array(2 * sizes.length);
      grown.set(sizes);
      sizes = grown;
    }
    sizes[sizeCount] = size;
    return sizeCount++;
  }

  function varintSize(value: number): number {
    return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
  }

  /** Tag, length and body of a length-delimited field whose body is `size` bytes. */
  function delimitedSize(size: number): number {
    return 1 + varintSize(size) + size;
  }

  /** A slot in `sizes` for a message body, filled once its fields are measured. */
  function reserve(): number {
    return pushSize(0);
  }

  function closeMessage(slot: number, bodySize: number): number {
    sizes[slot] = bodySize;
    return delimitedSize(bodySize);
  }

  /** Buffer.byteLength's count (lone surrogates: 3 bytes), without the call for short strings. */
  function utf8Length(text: string): number {
    if (text.length >= 40) return Buffer.byteLength(text, 'utf8');
    let length = 0;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code < 0x80) length += 1;
      else if (code < 0x800) length += 2;
      else if ((code & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        i += 1;
        length += 4;
      } else length += 3;
    }
    return length;
  }

  function measureString(text: string): number {
    const length = utf8Length(text);
    pushSize(length);
    return delimitedSize(length);
  }

  /** A hex id as bytes (core's hexToBinary: half as many bytes as characters, rounded down). */
  function measureHexId(hex: string): number {
    return delimitedSize(hex.length >>> 1);
  }

  // int64 varints: protobufjs's LongBits.fromNumber, an integer's two's-complement halves. Each
  // half computed where it is used: a double kept in a closure's variable is a heap number
  // allocated at every store.
  function int64Low(value: number): number {
    return value < 0 ? -(-value >>> 0) >>> 0 : value >>> 0;
  }

  function int64High(value: number): number {
    const magnitude = value < 0 ? -value : value;
    const lowBits = magnitude >>> 0;
    const high = ((magnitude - lowBits) / 4294967296) >>> 0;
    return value < 0 ? ((~high >>> 0) + (lowBits === 0 ? 1 : 0)) >>> 0 : high;
  }

  function varint64Size(low: number, high: number): number {
    const part1 = ((low >>> 28) | (high << 4)) >>> 0;
    const part2 = high >>> 24;
    if (part2 !== 0) return part2 < 128 ? 9 : 10;
    if (part1 !== 0) return part1 < 16384 ? (part1 < 128 ? 5 : 6) : part1 < 2097152 ? 7 : 8;
    return varintSize(low);
  }

  /** An int64 varint's size (most are small and positive: a plain varint). */
  function int64Size(value: number): number {
    return value >= 0 && value <= 0x7fffffff ? varintSize(value) : varint64Size(int64Low(value), int64High(value));
  }

  /** protobufjs's int32: negative numbers as 10-byte varints. */
  function int32Size(value: number): number {
    return (value | 0) < 0 ? 10 : varintSize(value | 0);
  }

  /** The stock transformer's span kind: the API's plus one (0: unspecified). */
  function kindOf(kind: unknown): number {
    return kind == null ? 0 : ((kind as number) + 1) | 0;
  }

  /** An AnyValue's body (the stock toAnyValue's choice of field). */
  function measureAnyValue(value: unknown): number {
    switch (typeof value) {
      case 'string':
        return measureString(value);
      case 'number':
        return Number.isInteger(value) ? 1 + int64Size(value) : 9;
      case 'boolean':
        return 2;
      case 'object':
        if (value === null) return 0;
        if (value instanceof Uint8Array) return delimitedSize(value.length);
        if (Array.isArray(value)) return measureArrayValue(value);
        return measureKeyValueList(value as Record<string, unknown>);
      default:
        return 0;
    }
  }

  function measureArrayValue(values: readonly unknown[]): number {
    const slot = reserve();
    let size = 0;
    for (const value of values) {
      const valueSlot = reserve();
      size += closeMessage(valueSlot, measureAnyValue(value));
    }
    return closeMessage(slot, size);
  }

  function measureKeyValueList(object: Record<string, unknown>): number {
    const slot = reserve();
    let size = 0;
    for (const [key, value] of Object.entries(object)) size += measureKeyValue(key, value);
    return closeMessage(slot, size);
  }

  /** A KeyValue field, tag included. */
  function measureKeyValue(key: string, value: unknown): number {
    const slot = reserve();
    const keySize = measureString(key);
    const valueSlot = reserve();
    return closeMessage(slot, keySize + closeMessage(valueSlot, measureAnyValue(value)));
  }

  function measureAttributes(attributes: Readonly<Record<string, unknown>>): number {
    let size = 0;
    for (const key of Object.keys(attributes)) size += measureKeyValue(key, attributes[key]);
    return size;
  }

  function measureEvent(event: TimedEvent): number {
    const slot = reserve();
    let size = 9 + measureString(event.name);
    if (event.attributes) size += measureAttributes(event.attributes);
    size += 1 + varintSize((event.droppedAttributesCount || 0) >>> 0);
    return closeMessage(slot, size);
  }

  function measureLink(link: LinkRecord): number {
    const slot = reserve();
    let size = measureHexId(link.traceId) + measureHexId(link.spanId);
    if (link.traceState != null) size += measureString(link.traceState);
    if (link.attributes) size += measureAttributes(link.attributes);
    size += 1 + varintSize((link.droppedAttributesCount || 0) >>> 0);
    return closeMessage(slot, size);
  }

  /** A count field, written when the record has one (the stock transformer copies it as is). */
  function measureCount(count: unknown): number {
    return count == null ? 0 : 1 + varintSize((count as number) >>> 0);
  }

  function measureStatus(code: unknown, message: unknown): number {
    const slot = reserve();
    let size = message == null ? 0 : measureString(message as string);
    if (code != null) size += 1 + int32Size(code as number);
    return closeMessage(slot, size);
  }

  function measureSpan(records: readonly unknown[], at: number): number {
    const slot = reserve();
    let size = measureHexId(records[at + TRACE_ID] as string) + measureHexId(records[at + SPAN_ID] as string);
    if (records[at + TRACE_STATE] != null) size += measureString(records[at + TRACE_STATE] as string);
    if (records[at + PARENT_SPAN_ID] != null) size += measureHexId(records[at + PARENT_SPAN_ID] as string);
    size += measureString(records[at + NAME] as string);
    size += 1 + int32Size(kindOf(records[at + KIND]));
    size += 18; // start and end times: tag and fixed64 each
    const end = at + ATTRIBUTES + 2 * (records[at + ATTRIBUTE_COUNT] as number);
    for (let i = at + ATTRIBUTES; i < end; i += 2) size += measureKeyValue(records[i] as string, records[i + 1]);
    size += measureCount(records[at + DROPPED_ATTRIBUTES]);
    const events = records[at + EVENTS] as TimedEvent[] | null;
    if (events !== null) for (const event of events) size += measureEvent(event);
    size += measureCount(records[at + DROPPED_EVENTS]);
    const links = records[at + LINKS] as LinkRecord[] | null;
    if (links !== null) for (const link of links) size += measureLink(link);
    size += measureCount(records[at + DROPPED_LINKS]);
    size += measureStatus(records[at + STATUS_CODE], records[at + STATUS_MESSAGE]);
    return closeMessage(slot, size);
  }

  function measureScopeSpans(group: ScopeGroup): number {
    const slot = reserve();
    const { scope } = group;
    const scopeSlot = reserve();
    let scopeSize = scope.name != null ? measureString(scope.name) : 0;
    if (scope.version != null) scopeSize += measureString(scope.version);
    let size = closeMessage(scopeSlot, scopeSize);
    for (const span of group.spans) size += measureSpan(span.records, span.offset);
    if (scope.schemaUrl != null) size += measureString(scope.schemaUrl);
    return closeMessage(slot, size);
  }

  /** The one ResourceSpans field: the resource (droppedAttributesCount 0, always written), then its scopes. */
  function measureResourceSpans(groups: readonly ScopeGroup[], resourceAttributes: Readonly<Record<string, unknown>>): number {
    const slot = reserve();
    const resourceSlot = reserve();
    let size = closeMessage(resourceSlot, measureAttributes(resourceAttributes) + 2);
    for (const group of groups) size += measureScopeSpans(group);
    return closeMessage(slot, size);
  }

  // ---- Writing: the same walk, each length taken from `sizes` in turn. ----

  const EMPTY = Buffer.alloc(0);
  /** The request being written (between requests, nothing: the last one is not held). */
  let out = EMPTY;
  let pos = 0;
  let next = 0;

  // The hot writers copy `out` and `pos` into locals: a closure's variables are loads and
  // stores of its context at every byte otherwise.
  function writeVarint(value: number): void {
    const buffer = out;
    let at = pos;
    while (value > 127) {
      buffer[at++] = (value & 127) | 128;
      value >>>= 7;
    }
    buffer[at++] = value;
    pos = at;
  }

  function writeVarint64(low: number, high: number): void {
    while (high !== 0) {
      out[pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    writeVarint(low);
  }

  function writeInt64(value: number): void {
    if (value >= 0 && value <= 0x7fffffff) writeVarint(value);
    else writeVarint64(int64Low(value), int64High(value));
  }

  function writeFixed64(low: number, high: number): void {
    const buffer = out;
    const at = pos;
    buffer[at] = low & 255;
    buffer[at + 1] = (low >>> 8) & 255;
    buffer[at + 2] = (low >>> 16) & 255;
    buffer[at + 3] = low >>> 24;
    buffer[at + 4] = high & 255;
    buffer[at + 5] = (high >>> 8) & 255;
    buffer[at + 6] = (high >>> 16) & 255;
    buffer[at + 7] = high >>> 24;
    pos = at + 8;
  }

  /** A message field's tag and length: its fields follow. */
  function writeMessageHeader(field: number): void {
    out[pos++] = tag(field, DELIMITED);
    writeVarint(sizes[next++]!);
  }

  function writeVarintField(field: number, value: number): void {
    out[pos++] = tag(field, VARINT);
    writeVarint(value);
  }

  function writeInt32Field(field: number, value: number): void {
    out[pos++] = tag(field, VARINT);
    writeInt64(value | 0);
  }

  /** protobufjs's string writing: its own UTF-8 loop under 40 characters (lone surrogates as 3 bytes of their own), Buffer's from there. */
  function writeStringField(field: number, text: string): void {
    out[pos++] = tag(field, DELIMITED);
    const length = sizes[next++]!;
    writeVarint(length);
    if (text.length >= 40) pos += out.write(text, pos, length, 'utf8');
    else if (length === text.length) writeAscii(text);
    else writeUtf8(text);
  }

  /** A string whose characters are all below 128 (its UTF-8 length is its length). */
  function writeAscii(text: string): void {
    const buffer = out;
    const at = pos;
    for (let i = 0; i < text.length; i += 1) buffer[at + i] = text.charCodeAt(i);
    pos = at + text.length;
  }

  /** protobufjs's utf8.write. */
  function writeUtf8(text: string): void {
    const buffer = out;
    let at = pos;
    for (let i = 0; i < text.length; i += 1) {
      let code = text.charCodeAt(i);
      let low10: number;
      if (code < 0x80) buffer[at++] = code;
      else if (code < 0x800) {
        buffer[at++] = (code >> 6) | 192;
        buffer[at++] = (code & 63) | 128;
      } else if ((code & 0xfc00) === 0xd800 && ((low10 = text.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
        code = 0x10000 + ((code & 0x03ff) << 10) + (low10 & 0x03ff);
        i += 1;
        buffer[at++] = (code >> 18) | 240;
        buffer[at++] = ((code >> 12) & 63) | 128;
        buffer[at++] = ((code >> 6) & 63) | 128;
        buffer[at++] = (code & 63) | 128;
      } else {
        buffer[at++] = (code >> 12) | 224;
        buffer[at++] = ((code >> 6) & 63) | 128;
        buffer[at++] = (code & 63) | 128;
      }
    }
    pos = at;
  }

  /** core's hexToBinary, straight into the output (its digit values, for any character). */
  function writeHexIdField(field: number, hex: string): void {
    out[pos++] = tag(field, DELIMITED);
    const length = hex.length >>> 1;
    writeVarint(length);
    const buffer = out;
    const at = pos;
    for (let i = 0; i < length; i += 1) buffer[at + i] = (hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1));
    pos = at + length;
  }

  /** core's hexToBinary digit value of any character ('0'-'9', 'a'-'f', else its code - 55). */
  function hexDigitOf(code: number): number {
    if (code >= 48 && code <= 57) return code - 48;
    if (code >= 97 && code <= 102) return code - 87;
    return code - 55;
  }

  /** hexDigitOf by code below 128 (a lookup, not three comparisons: half the time of an id). */
  const HEX_DIGITS = Int8Array.from({ length: 128 }, (_, code) => hexDigitOf(code));

  function hexDigit(code: number): number {
    return code < 128 ? HEX_DIGITS[code]! : code - 55;
  }

  /**
   * Nanoseconds since the epoch, seconds * 1e9 + nanos, as fixed64. Exact in doubles: the
   * seconds in halves of 16 bits, every product and sum below 2^53, divisions by powers of two
   * (no `%`: on doubles it is a call to fmod). Anything but two uint32 numbers goes the stock
   * way, through BigInt (which throws where the stock serializer does).
   */
  function writeTimeField(field: number, seconds: unknown, nanos: unknown): void {
    out[pos++] = tag(field, FIXED64);
    const s = seconds as number;
    const ns = nanos as number;
    if (s === s >>> 0 && ns === ns >>> 0) {
      const secondsLow = s & 0xffff;
      const scaledHigh = ((s - secondsLow) / 65536) * 1e9; // counts 2^16 each in the total
      const carriedHigh = Math.floor(scaledHigh / 65536); // counts 2^32 each
      const lowSum = (scaledHigh - carriedHigh * 65536) * 65536 + secondsLow * 1e9 + ns;
      const low = lowSum >>> 0;
      writeFixed64(low, carriedHigh + (lowSum - low) / 4294967296);
    } else {
      const total = BigInt.asUintN(64, BigInt(s) * BigInt(1e9) + BigInt(ns));
      writeFixed64(Number(total & BigInt(0xffffffff)), Number(total >> BigInt(32)));
    }
  }

  function writeAnyValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        writeStringField(1, value);
        return;
      case 'number':
        if (Number.isInteger(value)) {
          out[pos++] = tag(3, VARINT);
          writeInt64(value);
        } else {
          out[pos++] = tag(4, FIXED64);
          pos = out.writeDoubleLE(value, pos);
        }
        return;
      case 'boolean':
        writeVarintField(2, value ? 1 : 0);
        return;
      case 'object':
        if (value === null) return;
        if (value instanceof Uint8Array) {
          out[pos++] = tag(7, DELIMITED);
          writeVarint(value.length);
          out.set(value, pos);
          pos += value.length;
        } else if (Array.isArray(value)) {
          writeMessageHeader(5);
          for (const element of value) {
            writeMessageHeader(1);
            writeAnyValue(element);
          }
        } else {
          writeMessageHeader(6);
          for (const [key, element] of Object.entries(value)) writeKeyValue(1, key, element);
        }
        return;
      default:
    }
  }

  function writeKeyValue(field: number, key: string, value: unknown): void {
    writeMessageHeader(field);
    writeStringField(1, key);
    writeMessageHeader(2);
    writeAnyValue(value);
  }

  function writeAttributes(field: number, attributes: Readonly<Record<string, unknown>>): void {
    for (const key of Object.keys(attributes)) writeKeyValue(field, key, attributes[key]);
  }

  function writeEvent(event: TimedEvent): void {
    writeMessageHeader(11);
    writeTimeField(1, event.time[0], event.time[1]);
    writeStringField(2, event.name);
    if (event.attributes) writeAttributes(3, event.attributes);
    writeVarintField(4, (event.droppedAttributesCount || 0) >>> 0);
  }

  function writeLink(link: LinkRecord): void {
    writeMessageHeader(13);
    writeHexIdField(1, link.traceId);
    writeHexIdField(2, link.spanId);
    if (link.traceState != null) writeStringField(3, link.traceState);
    if (link.attributes) writeAttributes(4, link.attributes);
    writeVarintField(5, (link.droppedAttributesCount || 0) >>> 0);
  }

  function writeCount(field: number, count: unknown): void {
    if (count != null) writeVarintField(field, (count as number) >>> 0);
  }

  function writeStatus(code: unknown, message: unknown): void {
    writeMessageHeader(15);
    if (message != null) writeStringField(2, message as string);
    if (code != null) writeInt32Field(3, code as number);
  }

  function writeSpan(records: readonly unknown[], at: number): void {
    writeMessageHeader(2);
    writeHexIdField(1, records[at + TRACE_ID] as string);
    writeHexIdField(2, records[at + SPAN_ID] as string);
    if (records[at + TRACE_STATE] != null) writeStringField(3, records[at + TRACE_STATE] as string);
    if (records[at + PARENT_SPAN_ID] != null) writeHexIdField(4, records[at + PARENT_SPAN_ID] as string);
    writeStringField(5, records[at + NAME] as string);
    writeInt32Field(6, kindOf(records[at + KIND]));
    writeTimeField(7, records[at + START_SECONDS], records[at + START_NANOS]);
    writeTimeField(8, records[at + END_SECONDS], records[at + END_NANOS]);
    const end = at + ATTRIBUTES + 2 * (records[at + ATTRIBUTE_COUNT] as number);
    for (let i = at + ATTRIBUTES; i < end; i += 2) writeKeyValue(9, records[i] as string, records[i + 1]);
    writeCount(10, records[at + DROPPED_ATTRIBUTES]);
    const events = records[at + EVENTS] as TimedEvent[] | null;
    if (events !== null) for (const event of events) writeEvent(event);
    writeCount(12, records[at + DROPPED_EVENTS]);
    const links = records[at + LINKS] as LinkRecord[] | null;
    if (links !== null) for (const link of links) writeLink(link);
    writeCount(14, records[at + DROPPED_LINKS]);
    writeStatus(records[at + STATUS_CODE], records[at + STATUS_MESSAGE]);
  }

  function writeScopeSpans(group: ScopeGroup): void {
    const { scope } = group;
    writeMessageHeader(2);
    writeMessageHeader(1);
    if (scope.name != null) writeStringField(1, scope.name);
    if (scope.version != null) writeStringField(2, scope.version);
    for (const span of group.spans) writeSpan(span.records, span.offset);
    if (scope.schemaUrl != null) writeStringField(3, scope.schemaUrl);
  }

  function writeResourceSpans(groups: readonly ScopeGroup[], resourceAttributes: Readonly<Record<string, unknown>>): void {
    writeMessageHeader(1);
    writeMessageHeader(1);
    writeAttributes(1, resourceAttributes);
    writeVarintField(2, 0);
    for (const group of groups) writeScopeSpans(group);
  }

  return function encodeExportRequest(spans, resourceAttributes) {
    const groups = groupByScope(spans);
    // No spans, no ResourceSpans (the stock request is empty too).
    if (groups.length === 0) return Buffer.alloc(0);
    sizeCount = 0;
    const total = measureResourceSpans(groups, resourceAttributes);
    const request = Buffer.allocUnsafe(total);
    out = request;
    pos = 0;
    next = 0;
    writeResourceSpans(groups, resourceAttributes);
    out = EMPTY;
    if (pos !== total || next !== sizeCount) throw new Error(`OTLP encoder: wrote ${pos} of ${total} bytes, used ${next} of ${sizeCount} sizes`);
    return request;
  };
}
