import { buf as crc32c } from 'crc-32/crc32c';
import { Reader } from 'protobufjs/minimal';

// TensorBoard event files (../shared/docs/formats.md §2): TFRecord framing with masked CRC32C,
// each record an Event protobuf; scalars as `simple_value` (PyTorch) or as a rank-0 tensor
// (TF2/Keras, `.v2`). protobufjs' Reader decodes only the fields we need and skips the rest.

export interface ScalarPoint {
  readonly tag: string;
  readonly step: number;
  /** Seconds since the epoch. */
  readonly wallTime: number;
  readonly value: number;
}

export interface TfEventsRead {
  readonly scalars: ScalarPoint[];
  readonly fileVersion: string | undefined;
  readonly records: number;
  /**
   * Bytes read up to the end of the last whole record. A live file's half-written last record
   * is left for the next read, which starts here; it is not an error.
   */
  readonly consumedBytes: number;
  /** What is wrong with the file (bad CRCs, impossible lengths), each with its offset. */
  readonly problems: string[];
}

/** Longest record we accept: a scalar Event is tens of bytes; a graph can be megabytes. */
const MAX_RECORD = 256 * 1024 * 1024;

function masked(crc: number): number {
  const c = crc >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * Reads records from `data` starting at `offset` (0, or the `consumedBytes` of an earlier read
 * of the same growing file). `plugins` remembers the plugin of each tag across reads: TensorBoard
 * writes a tag's metadata on its first value only.
 */
export function readTfEvents(data: Uint8Array, offset = 0, plugins: Map<string, string> = new Map()): TfEventsRead {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const scalars: ScalarPoint[] = [];
  const problems: string[] = [];
  let fileVersion: string | undefined;
  let records = 0;
  let at = offset;
  // One reader over the whole buffer; nested messages are read in place between bounds, so a
  // record costs no allocations beyond its points (records are ~50 bytes: this is the hot loop).
  const reader = Reader.create(data);
  while (data.byteLength - at >= 12) {
    const low = view.getUint32(at, true);
    const high = view.getUint32(at + 4, true);
    if (masked(crc32c(data.subarray(at, at + 8))) !== view.getUint32(at + 8, true)) {
      problems.push(`bad length checksum at byte ${at}: the rest of the file is not read`);
      break;
    }
    const length = high * 2 ** 32 + low;
    if (length > MAX_RECORD) {
      problems.push(`a record at byte ${at} claims ${length} bytes: the rest of the file is not read`);
      break;
    }
    if (data.byteLength - at < 12 + length + 4) break; // still being written
    const body = data.subarray(at + 12, at + 12 + length);
    const stored = view.getUint32(at + 12 + length, true);
    const next = at + 12 + length + 4;
    if (masked(crc32c(body)) !== stored) {
      problems.push(`bad data checksum in the record at byte ${at}: skipped`);
      at = next;
      continue;
    }
    try {
      reader.pos = at + 12;
      const event = decodeEvent(reader, at + 12 + length, plugins);
      if (event.fileVersion !== undefined) fileVersion = event.fileVersion;
      for (const value of event.values) scalars.push({ tag: value.tag, step: event.step, wallTime: event.wallTime, value: value.value });
    } catch (error) {
      problems.push(`the record at byte ${at} is not an Event (${(error as Error).message}): skipped`);
    }
    records++;
    at = next;
  }
  return { scalars, fileVersion, records, consumedBytes: at, problems };
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}

function decodeEvent(reader: Reader, end: number, plugins: Map<string, string>): DecodedEvent {
  const event: DecodedEvent = { wallTime: 0, step: 0, values: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        event.wallTime = reader.double();
        break;
      case 2:
        event.step = Number(reader.int64());
        break;
      case 3:
        event.fileVersion = reader.string();
        break;
      case 5:
        decodeSummary(reader, lengthEnd(reader), plugins, event.values);
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  if (reader.pos !== end) throw new Error('a field runs past the record');
  return event;
}

// A file repeats a handful of tags millions of times: decode each one's bytes once.
const tagCache: { bytes: Uint8Array; text: string }[] = [];
const utf8 = new TextDecoder();

function cachedString(reader: Reader): string {
  const end = lengthEnd(reader);
  const start = reader.pos;
  const length = end - start;
  const buf = reader.buf;
  search: for (const entry of tagCache) {
    if (entry.bytes.length !== length) continue;
    for (let i = 0; i < length; i++) if (entry.bytes[i] !== buf[start + i]) continue search;
    reader.pos = end;
    return entry.text;
  }
  const bytes = buf.slice(start, end);
  const text = utf8.decode(bytes);
  if (tagCache.length >= 256) tagCache.shift();
  tagCache.push({ bytes, text });
  reader.pos = end;
  return text;
}

/** Reads a length prefix and returns where that embedded message ends. */
function lengthEnd(reader: Reader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new Error('a field runs past the data');
  return end;
}

function decodeSummary(reader: Reader, end: number, plugins: Map<string, string>, out: { tag: string; value: number }[]): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) {
      const value = decodeValue(reader, lengthEnd(reader), plugins);
      if (value) out.push(value);
    } else reader.skipType(tag & 7);
  }
}

function decodeValue(reader: Reader, end: number, plugins: Map<string, string>): { tag: string; value: number } | undefined {
  let tag = '';
  let simple: number | undefined;
  let tensor: number | undefined;
  let plugin: string | undefined;
  while (reader.pos < end) {
    const key = reader.uint32();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1:
        tag = cachedString(reader);
        break;
      case 2:
        simple = reader.float();
        break;
      case 8:
        tensor = wire === 2 ? scalarOfTensor(reader, lengthEnd(reader)) : (reader.skipType(wire), undefined);
        break;
      case 9:
        plugin = wire === 2 ? pluginName(reader, lengthEnd(reader)) : (reader.skipType(wire), undefined);
        break;
      default:
        reader.skipType(wire);
    }
  }
  if (plugin !== undefined) plugins.set(tag, plugin);
  if (simple !== undefined) return { tag, value: simple };
  // A tensor counts as a scalar when its tag's plugin is "scalars" (or unknown) and it holds one number.
  const known = plugins.get(tag);
  if (tensor !== undefined && (known === undefined || known === 'scalars')) return { tag, value: tensor };
  return undefined;
}

function pluginName(reader: Reader, end: number): string | undefined {
  let name: string | undefined;
  while (reader.pos < end) {
    const key = reader.uint32();
    if (key >>> 3 === 1 && (key & 7) === 2) {
      const inner = lengthEnd(reader);
      while (reader.pos < inner) {
        const field = reader.uint32();
        if (field >>> 3 === 1 && (field & 7) === 2) name = reader.string();
        else reader.skipType(field & 7);
      }
    } else reader.skipType(key & 7);
  }
  return name;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** The one number of a rank-0 (or one-element) TensorProto, from its typed field or tensor_content. */
function scalarOfTensor(reader: Reader, end: number): number | undefined {
  let dtype = 0;
  const values: number[] = [];
  let content: Uint8Array | undefined;
  while (reader.pos < end) {
    const key = reader.uint32();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1) dtype = reader.int32();
    else if (field === 4) content = reader.bytes();
    else if ((field === 5 || field === 6 || field === 7 || field === 10) && wire === 2) {
      // packed repeated values
      const packedEnd = lengthEnd(reader);
      while (reader.pos < packedEnd) values.push(field === 5 ? reader.float() : field === 6 ? reader.double() : Number(field === 7 ? reader.int32() : reader.int64()));
    } else if (field === 5) values.push(reader.float());
    else if (field === 6) values.push(reader.double());
    else if (field === 7) values.push(reader.int32());
    else if (field === 10) values.push(Number(reader.int64()));
    else reader.skipType(wire);
  }
  if (values.length === 1) return values[0];
  if (content) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (dtype === DT_FLOAT && content.byteLength === 4) return view.getFloat32(0, true);
    if (dtype === DT_DOUBLE && content.byteLength === 8) return view.getFloat64(0, true);
    if (dtype === DT_INT32 && content.byteLength === 4) return view.getInt32(0, true);
    if (dtype === DT_INT64 && content.byteLength === 8) return Number(view.getBigInt64(0, true));
  }
  return undefined;
}
