import { ColumnSeries } from './columnSeries';
import { crc32cRange } from './crc32c';
import { type ScalarScanner, ScanStop, scalarScanner } from './wasm/scalarScan';

// TensorBoard event files (docs/formats.md §2): TFRecord framing with masked CRC32C,
// each record an Event protobuf; scalars as `simple_value` (PyTorch) or as a rank-0 tensor
// (TF2/Keras, `.v2`). A hand-written walker decodes only the fields we need and skips the rest:
// records are ~50 bytes and files hold millions, so the per-record cost is the whole cost
// (protobufjs' Reader ran at ~40 MB/s here, this at several times that; npm run bench -- tracking).
// The common PyTorch scalar record is checked and decoded by a WebAssembly loop (wasm/), where the
// two CRCs cost a fraction of what they do in JavaScript; everything else comes here.

export interface ScalarPoint {
  readonly tag: string;
  readonly step: number;
  /** Seconds since the epoch. */
  readonly wallTime: number;
  readonly value: number;
}

export interface TfEventsRead {
  /** Every scalar read, unless columns were given (then empty). Column times are in ms. */
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
  /** True when a damaged record stopped the read: what follows it is not read (now or later). */
  readonly halted: boolean;
}

/** Longest record we accept: a scalar Event is tens of bytes; a graph can be megabytes. */
const MAX_RECORD = 256 * 1024 * 1024;

// The length's CRC is a function of the length alone, and a scalar log has a handful of record
// lengths: each short length's check is computed once (per process) and looked up by index.
const SHORT_LENGTHS = 4096;
const lengthCrcs = new Uint32Array(SHORT_LENGTHS);
const lengthCrcKnown = new Uint8Array(SHORT_LENGTHS);

function u32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

function masked(crc: number): number {
  const c = crc >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * Reads records from `data` starting at `offset` (0, or the `consumedBytes` of an earlier read
 * of the same growing file). `plugins` remembers the plugin of each tag across reads: TensorBoard
 * writes a tag's metadata on its first value only.
 */
export function readTfEvents(data: Uint8Array, offset = 0, plugins: Map<string, string> = new Map(), columns?: Map<string, ColumnSeries>): TfEventsRead {
  // Points go into per-tag columns when given them (the Experiments view), else into `scalars`.
  let lastTag: string | undefined;
  let lastSeries: ColumnSeries | undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const scalars: ScalarPoint[] = [];
  const problems: string[] = [];
  let fileVersion: string | undefined;
  let records = 0;
  let halted = false;
  let at = offset;
  const cursor: Cursor = { data, view, pos: 0 };
  // One scratch event for every record: no allocations per record beyond the points themselves.
  const event: DecodedEvent = { wallTime: 0, step: 0, fileVersion: undefined, tags: [], values: [], count: 0 };
  const size = data.byteLength;
  const scanner = columns ? scalarScanner() : null;
  scanner?.reset();
  const run: ScalarRun | undefined = scanner && columns ? { scanner, columns, series: new Array<ColumnSeries | undefined>(256).fill(undefined), records: 0 } : undefined;
  while (size - at >= 12) {
    if (run) {
      at = readScalarRun(data, at, run);
      if (size - at < 12) break;
    }
    const low = u32(data, at);
    const high = u32(data, at + 4);
    let lengthCrc: number;
    if (high === 0 && low < SHORT_LENGTHS) {
      if (lengthCrcKnown[low] === 0) {
        lengthCrcs[low] = masked(crc32cRange(data, at, at + 8));
        lengthCrcKnown[low] = 1;
      }
      lengthCrc = lengthCrcs[low]!;
    } else lengthCrc = masked(crc32cRange(data, at, at + 8));
    if (lengthCrc !== u32(data, at + 8)) {
      problems.push(`bad length checksum at byte ${at}: the rest of the file is not read`);
      halted = true;
      break;
    }
    const length = high * 2 ** 32 + low;
    if (length > MAX_RECORD) {
      problems.push(`a record at byte ${at} claims ${length} bytes: the rest of the file is not read`);
      halted = true;
      break;
    }
    if (size - at < 12 + length + 4) break; // still being written
    const stored = u32(data, at + 12 + length);
    const next = at + 12 + length + 4;
    if (masked(crc32cRange(data, at + 12, at + 12 + length)) !== stored) {
      problems.push(`bad data checksum in the record at byte ${at}: skipped`);
      at = next;
      continue;
    }
    try {
      cursor.pos = at + 12;
      decodeEvent(cursor, at + 12 + length, plugins, event);
      if (event.fileVersion !== undefined) fileVersion = event.fileVersion;
      if (columns) {
        for (let i = 0; i < event.count; i++) {
          const tag = event.tags[i]!;
          if (tag !== lastTag || !lastSeries) {
            lastSeries = columns.get(tag);
            if (!lastSeries) columns.set(tag, (lastSeries = new ColumnSeries()));
            lastTag = tag;
          }
          lastSeries.push(event.step, event.wallTime * 1000, event.values[i]!);
        }
      } else for (let i = 0; i < event.count; i++) scalars.push({ tag: event.tags[i]!, step: event.step, wallTime: event.wallTime, value: event.values[i]! });
    } catch (error) {
      problems.push(`the record at byte ${at} is not an Event (${(error as Error).message}): skipped`);
    }
    records++;
    at = next;
  }
  return { scalars, fileVersion, records: records + (run?.records ?? 0), consumedBytes: at, problems, halted };
}

interface ScalarRun {
  readonly scanner: ScalarScanner;
  readonly columns: Map<string, ColumnSeries>;
  /** The series of the tag in each of the scanner's slots. */
  readonly series: (ColumnSeries | undefined)[];
  records: number;
}

/**
 * The hot loop of a scalar log: consecutive records of the common shape
 * (Event{wall_time, step, summary{value{tag, simple_value}}}, short fields) are checked and
 * decoded by the WebAssembly scanner (wasm/scalarScan.wat) and filed here under their tags.
 * Returns where the first other record starts (or a damaged one: the general loop reports it),
 * or the end.
 */
function readScalarRun(data: Uint8Array, at: number, run: ScalarRun): number {
  const { scanner, series } = run;
  const { steps, times, values, slots } = scanner;
  while (data.length - at >= 12) {
    const end = scanner.load(data, at);
    let reason: ScanStop;
    let from = at;
    for (;;) {
      const n = scanner.scan(from, end);
      for (let i = 0; i < n; i++) series[slots[i]!]!.push(steps[i]!, times[i]!, values[i]!);
      run.records += n;
      from = scanner.stopAt;
      reason = scanner.reason;
      if (reason === ScanStop.TagMiss) {
        const { slot, bytes } = scanner.missedTag();
        const tag = utf8.decode(bytes);
        let column = run.columns.get(tag);
        if (!column) run.columns.set(tag, (column = new ColumnSeries()));
        series[slot] = column;
        scanner.fillMissedSlot();
      } else if (reason !== ScanStop.OutputFull) break;
    }
    const progressed = from > at;
    at = from;
    // The slice ended inside the file: the next slice starts at the record that did not fit.
    if (reason !== ScanStop.InputEnded || end === data.length || !progressed) break;
  }
  return at;
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion: string | undefined;
  /** The record's scalar values: the first `count` entries of `tags` and `values`. */
  tags: string[];
  values: number[];
  count: number;
}

interface Cursor {
  readonly data: Uint8Array;
  readonly view: DataView;
  pos: number;
}

class DecodeError extends Error {}

/** A protobuf varint as a number (int64 steps fit: exact up to 2^53). */
function varint(c: Cursor, end: number): number {
  const data = c.data;
  let pos = c.pos;
  let byte = data[pos++]!;
  if (byte < 0x80 && pos <= end) {
    c.pos = pos;
    return byte;
  }
  let value = byte & 0x7f;
  let scale = 128;
  for (let i = 1; i < 10; i++) {
    if (pos >= end) throw new DecodeError('a varint runs past its field');
    byte = data[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      c.pos = pos;
      // Negative int64 (two's complement in 10 bytes) comes out as a huge number: map it back.
      return i === 9 && value >= 2 ** 63 ? value - 2 ** 64 : value;
    }
    scale *= 128;
  }
  throw new DecodeError('a varint longer than 10 bytes');
}

function skip(c: Cursor, wire: number, end: number): void {
  switch (wire) {
    case 0:
      varint(c, end);
      break;
    case 1:
      c.pos += 8;
      break;
    case 2:
      c.pos = lengthEnd(c, end);
      break;
    case 5:
      c.pos += 4;
      break;
    default:
      throw new DecodeError(`wire type ${wire} is not used by these messages`);
  }
  if (c.pos > end) throw new DecodeError('a field runs past its message');
}

/** Reads a length prefix and returns where that embedded message ends. */
function lengthEnd(c: Cursor, end: number): number {
  const length = varint(c, end);
  const fieldEnd = c.pos + length;
  if (fieldEnd > end) throw new DecodeError('a field runs past the data');
  return fieldEnd;
}

function decodeEvent(c: Cursor, end: number, plugins: Map<string, string>, event: DecodedEvent): void {
  event.wallTime = 0;
  event.step = 0;
  event.fileVersion = undefined;
  event.count = 0;
  while (c.pos < end) {
    const key = varint(c, end);
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 1) {
      if (c.pos + 8 > end) throw new DecodeError('wall_time runs past the record');
      event.wallTime = c.view.getFloat64(c.pos, true);
      c.pos += 8;
    } else if (field === 2 && wire === 0) event.step = varint(c, end);
    else if (field === 3 && wire === 2) {
      const fieldEnd = lengthEnd(c, end);
      event.fileVersion = utf8.decode(c.data.subarray(c.pos, fieldEnd));
      c.pos = fieldEnd;
    } else if (field === 5 && wire === 2) decodeSummary(c, lengthEnd(c, end), plugins, event);
    else skip(c, wire, end);
  }
  if (c.pos !== end) throw new DecodeError('a field runs past the record');
}

// A file repeats a handful of tags millions of times: decode each one's bytes once, found again
// by a hash of its length and three of its bytes (a collision only costs a fresh decode).
interface CachedTag {
  readonly bytes: Uint8Array;
  readonly text: string;
}
const TAG_SLOTS = 1024;
const tagCache: (CachedTag | undefined)[] = new Array<CachedTag | undefined>(TAG_SLOTS).fill(undefined);
const utf8 = new TextDecoder();

/** A tag's cache slot: its length and three of its bytes. */
function tagHash(data: Uint8Array, start: number, length: number): number {
  return (length * 31 + data[start]! * 7 + data[start + length - 1]! * 131 + data[start + (length >> 1)]! * 17) & (TAG_SLOTS - 1);
}

/** Whether `bytes` are the `length` bytes of `data` at `start`. */
function sameBytes(bytes: Uint8Array, data: Uint8Array, start: number, length: number): boolean {
  if (bytes.length !== length) return false;
  for (let i = 0; i < length; i++) if (bytes[i] !== data[start + i]) return false;
  return true;
}

function cachedString(c: Cursor, end: number): string {
  const start = c.pos;
  const length = end - start;
  const buf = c.data;
  c.pos = end;
  if (length === 0) return '';
  const slot = tagHash(buf, start, length);
  const entry = tagCache[slot];
  if (entry !== undefined && sameBytes(entry.bytes, buf, start, length)) return entry.text;
  const bytes = Uint8Array.prototype.slice.call(buf, start, end); // a copy: Buffer#slice would keep the whole file alive
  const text = utf8.decode(bytes);
  tagCache[slot] = { bytes, text };
  return text;
}

function decodeSummary(c: Cursor, end: number, plugins: Map<string, string>, event: DecodedEvent): void {
  while (c.pos < end) {
    const key = varint(c, end);
    if (key === ((1 << 3) | 2)) decodeValue(c, lengthEnd(c, end), plugins, event);
    else skip(c, key & 7, end);
  }
}

/** Adds the value's scalar (if it is one) to the event. */
function decodeValue(c: Cursor, end: number, plugins: Map<string, string>, event: DecodedEvent): void {
  let tag = '';
  let simple: number | undefined;
  let tensor: number | undefined;
  let plugin: string | undefined;
  while (c.pos < end) {
    const key = varint(c, end);
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 2) tag = cachedString(c, lengthEnd(c, end));
    else if (field === 2 && wire === 5) {
      if (c.pos + 4 > end) throw new DecodeError('simple_value runs past its value');
      simple = c.view.getFloat32(c.pos, true);
      c.pos += 4;
    } else if (field === 8 && wire === 2) tensor = scalarOfTensor(c, lengthEnd(c, end));
    else if (field === 9 && wire === 2) plugin = pluginName(c, lengthEnd(c, end));
    else skip(c, wire, end);
  }
  if (plugin !== undefined) plugins.set(tag, plugin);
  let value = simple;
  // A tensor counts as a scalar when its tag's plugin is "scalars" (or unknown) and it holds one number.
  if (value === undefined && tensor !== undefined) {
    const known = plugins.get(tag);
    if (known === undefined || known === 'scalars') value = tensor;
  }
  if (value === undefined) return;
  event.tags[event.count] = tag;
  event.values[event.count] = value;
  event.count++;
}

function pluginName(c: Cursor, end: number): string | undefined {
  let name: string | undefined;
  while (c.pos < end) {
    const key = varint(c, end);
    if (key === ((1 << 3) | 2)) {
      const inner = lengthEnd(c, end);
      while (c.pos < inner) {
        const field = varint(c, inner);
        if (field === ((1 << 3) | 2)) {
          const nameEnd = lengthEnd(c, inner);
          name = utf8.decode(c.data.subarray(c.pos, nameEnd));
          c.pos = nameEnd;
        } else skip(c, field & 7, inner);
      }
    } else skip(c, key & 7, end);
  }
  return name;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** The one number of a rank-0 (or one-element) TensorProto, from its typed field or tensor_content. */
function scalarOfTensor(c: Cursor, end: number): number | undefined {
  let dtype = 0;
  const values: number[] = [];
  let content: { start: number; end: number } | undefined;
  while (c.pos < end) {
    const key = varint(c, end);
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) dtype = varint(c, end);
    else if (field === 4 && wire === 2) {
      const contentEnd = lengthEnd(c, end);
      content = { start: c.pos, end: contentEnd };
      c.pos = contentEnd;
    } else if ((field === 5 || field === 6 || field === 7 || field === 10) && wire === 2) {
      // packed repeated values
      const packedEnd = lengthEnd(c, end);
      while (c.pos < packedEnd && values.length < 2) values.push(readNumber(c, field, packedEnd));
      c.pos = packedEnd;
    } else if ((field === 5 && wire === 5) || (field === 6 && wire === 1) || ((field === 7 || field === 10) && wire === 0)) values.push(readNumber(c, field, end));
    else skip(c, wire, end);
  }
  if (values.length === 1) return values[0];
  if (content) {
    const size = content.end - content.start;
    const at = content.start;
    if (dtype === DT_FLOAT && size === 4) return c.view.getFloat32(at, true);
    if (dtype === DT_DOUBLE && size === 8) return c.view.getFloat64(at, true);
    if (dtype === DT_INT32 && size === 4) return c.view.getInt32(at, true);
    if (dtype === DT_INT64 && size === 8) return Number(c.view.getBigInt64(at, true));
  }
  return undefined;
}

function readNumber(c: Cursor, field: number, end: number): number {
  if (field === 5) {
    if (c.pos + 4 > end) throw new DecodeError('a float runs past its tensor');
    const v = c.view.getFloat32(c.pos, true);
    c.pos += 4;
    return v;
  }
  if (field === 6) {
    if (c.pos + 8 > end) throw new DecodeError('a double runs past its tensor');
    const v = c.view.getFloat64(c.pos, true);
    c.pos += 8;
    return v;
  }
  const v = varint(c, end);
  // int32 negatives are sign-extended to 10-byte varints: the same mapping as int64.
  return v;
}
