import { ProtobufReader } from '../common/protobuf/protobufReader';
import { ColumnSeries } from './columnSeries';
import { crc32cRange } from './crc32c';
import { type ScalarScanner, ScanStop, scalarScanner } from './wasm/scalarScan';

// TensorBoard event files (docs/formats.md §2): TFRecord framing with masked CRC32C,
// each record an Event protobuf; scalars as `simple_value` (PyTorch) or as a rank-0 tensor
// (TF2/Keras, `.v2`). The shared protobuf reader (src/common/protobuf) decodes only the fields we
// need and skips the rest, one reader narrowed to each record and sub-message (no allocation per
// record): records are ~50 bytes and files hold millions, so the per-record cost is the whole cost
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
  /** The whole size of the record at `consumedBytes` when only part of it is in `data` (its length was read). */
  readonly pendingRecordBytes?: number;
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
  const scalars: ScalarPoint[] = [];
  const problems: string[] = [];
  let fileVersion: string | undefined;
  let records = 0;
  let halted = false;
  let pendingRecordBytes: number | undefined;
  let at = offset;
  const reader = new ProtobufReader(data);
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
    if (size - at < 12 + length + 4) {
      pendingRecordBytes = 12 + length + 4; // still being written, or larger than this chunk
      break;
    }
    const stored = u32(data, at + 12 + length);
    const next = at + 12 + length + 4;
    if (masked(crc32cRange(data, at + 12, at + 12 + length)) !== stored) {
      problems.push(`bad data checksum in the record at byte ${at}: skipped`);
      at = next;
      continue;
    }
    try {
      reader.pos = at + 12;
      reader.end = at + 12 + length;
      decodeEvent(reader, plugins, event);
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
  return { scalars, fileVersion, records: records + (run?.records ?? 0), consumedBytes: at, problems, halted, ...(pendingRecordBytes === undefined ? {} : { pendingRecordBytes }) };
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

// Wire types, as local constants: the decoders compare keys against them millions of times, and an
// imported binding is a property read each time where modules are not bundled (tests, benches).
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function decodeEvent(c: ProtobufReader, plugins: Map<string, string>, event: DecodedEvent): void {
  event.wallTime = 0;
  event.step = 0;
  event.fileVersion = undefined;
  event.count = 0;
  while (c.pos < c.end) {
    const key = c.key();
    if (key === ((1 << 3) | FIXED64)) event.wallTime = c.double();
    else if (key === ((2 << 3) | VARINT)) event.step = c.int64();
    else if (key === ((3 << 3) | LENGTH)) event.fileVersion = c.string();
    else if (key === ((5 << 3) | LENGTH)) {
      const outer = c.pushLimit();
      decodeSummary(c, plugins, event);
      c.popLimit(outer);
    } else c.skip(key & 7);
  }
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

/** The next length-delimited field as a string, from the tag cache when it is there. */
function cachedString(c: ProtobufReader): string {
  const end = c.lengthEnd();
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

function decodeSummary(c: ProtobufReader, plugins: Map<string, string>, event: DecodedEvent): void {
  while (c.pos < c.end) {
    const key = c.key();
    if (key === ((1 << 3) | LENGTH)) {
      const outer = c.pushLimit();
      decodeValue(c, plugins, event);
      c.popLimit(outer);
    } else c.skip(key & 7);
  }
}

/** Adds the value's scalar (if it is one) to the event. */
function decodeValue(c: ProtobufReader, plugins: Map<string, string>, event: DecodedEvent): void {
  let tag = '';
  let simple: number | undefined;
  let tensor: number | undefined;
  let plugin: string | undefined;
  while (c.pos < c.end) {
    const key = c.key();
    if (key === ((1 << 3) | LENGTH)) tag = cachedString(c);
    else if (key === ((2 << 3) | FIXED32)) simple = c.float();
    else if (key === ((8 << 3) | LENGTH)) {
      const outer = c.pushLimit();
      tensor = scalarOfTensor(c);
      c.popLimit(outer);
    } else if (key === ((9 << 3) | LENGTH)) {
      const outer = c.pushLimit();
      plugin = pluginName(c);
      c.popLimit(outer);
    } else c.skip(key & 7);
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

/** SummaryMetadata { plugin_data = 1 { plugin_name = 1 } } */
function pluginName(c: ProtobufReader): string | undefined {
  let name: string | undefined;
  while (c.pos < c.end) {
    const key = c.key();
    if (key === ((1 << 3) | LENGTH)) {
      const outer = c.pushLimit();
      while (c.pos < c.end) {
        const field = c.key();
        if (field === ((1 << 3) | LENGTH)) name = c.string();
        else c.skip(field & 7);
      }
      c.popLimit(outer);
    } else c.skip(key & 7);
  }
  return name;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** The one number of a rank-0 (or one-element) TensorProto, from its typed field or tensor_content. */
function scalarOfTensor(c: ProtobufReader): number | undefined {
  let dtype = 0;
  const values: number[] = [];
  let content: { start: number; end: number } | undefined;
  while (c.pos < c.end) {
    const key = c.key();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === VARINT) dtype = c.varint();
    else if (field === 4 && wire === LENGTH) {
      const contentEnd = c.lengthEnd();
      content = { start: c.pos, end: contentEnd };
      c.pos = contentEnd;
    } else if ((field === 5 || field === 6 || field === 7 || field === 10) && wire === LENGTH) {
      // packed repeated values
      const outer = c.pushLimit();
      while (c.pos < c.end && values.length < 2) values.push(readNumber(c, field));
      c.popLimit(outer);
    } else if ((field === 5 && wire === FIXED32) || (field === 6 && wire === FIXED64) || ((field === 7 || field === 10) && wire === VARINT)) {
      const value = readNumber(c, field);
      if (values.length < 2) values.push(value);
    } else c.skip(wire);
  }
  if (values.length === 1) return values[0];
  if (content) {
    const size = content.end - content.start;
    const view = new DataView(c.data.buffer, c.data.byteOffset + content.start, size);
    if (dtype === DT_FLOAT && size === 4) return view.getFloat32(0, true);
    if (dtype === DT_DOUBLE && size === 8) return view.getFloat64(0, true);
    if (dtype === DT_INT32 && size === 4) return view.getInt32(0, true);
    if (dtype === DT_INT64 && size === 8) return Number(view.getBigInt64(0, true));
  }
  return undefined;
}

/** float_val (5), double_val (6), int_val (7: int32 negatives are sign-extended 10-byte varints, as int64) or int64_val (10). */
function readNumber(c: ProtobufReader, field: number): number {
  if (field === 5) return c.float();
  if (field === 6) return c.double();
  return c.int64();
}
