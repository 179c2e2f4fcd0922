import { buf as crc32 } from 'crc-32';
import { ProtobufReader } from '../common/protobuf/protobufReader';

// W&B's `.wandb` run file (docs/formats.md §3.2): a 7-byte header (":W&B", 0xBEE1, version 0),
// then LevelDB-log blocks of 32 KiB of records (crc32 u32, length u16, type u8: FULL/FIRST/MIDDLE/LAST),
// each CRC an IEEE CRC-32 seeded with the CRC of the type byte. A record's payload is a
// `wandb_internal.Record`; we decode the few fields a run view needs and skip the rest, with the
// shared protobuf reader (bad lengths and wire types end that record with a problem noted).

export const WANDB_BLOCK = 32768;
export const WANDB_HEADER = new Uint8Array([0x3a, 0x57, 0x26, 0x42, 0xe1, 0xbe, 0x00]);
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;
/** The length-delimited wire type (a local constant: records are decoded by the million). */
const LENGTH = 2;
/** Largest record put together from FIRST / MIDDLE / LAST pieces: W&B's records are kilobytes. */
const MAX_RECORD = 64 * 1024 * 1024;
/**
 * Zeroed block space longer than this ends the read: W&B appends, so a long run of zeros is a
 * sparse or preallocated file (a terabyte would hold the reader for an hour) or damage.
 */
const MAX_ZEROS = 1024 * 1024;

export interface WandbItem {
  readonly key: string;
  readonly valueJson: string;
}

export interface WandbRecords {
  readonly history: { step: number | undefined; items: WandbItem[] }[];
  readonly summary: WandbItem[];
  readonly config: WandbItem[];
  run?: { runId?: string; entity?: string; project?: string; displayName?: string; tags: string[]; host?: string; startTime?: number };
  exit?: { exitCode: number; runtime: number };
  /**
   * Where the next read of a growing file starts: after the last complete record, or at the next
   * block boundary after damage (which can be past the bytes written so far).
   */
  consumedBytes: number;
  /** True when a long run of zeros stopped the read: what follows is not read (now or later). */
  halted?: boolean;
  readonly problems: string[];
}

export function emptyRecords(): WandbRecords {
  return { history: [], summary: [], config: [], consumedBytes: 0, problems: [] };
}

/**
 * Reads `data` (the whole file or, with `from`, the rest of it after an earlier read's
 * `consumedBytes`) into `into`. Never throws for bad data; a half-written tail waits for the next read.
 */
export function readWandbFile(data: Uint8Array, into: WandbRecords = emptyRecords(), from = 0): WandbRecords {
  if (from === 0) {
    if (data.length < 7) return into; // nothing written yet
    for (let i = 0; i < 7; i++) {
      if (data[i] !== WANDB_HEADER[i]) {
        into.problems.push('not a W&B run file (its header is not ":W&B" version 0)');
        return into;
      }
    }
    from = 7;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = from;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let pendingStart = at;
  /** Where the zeroed space `at` is in started, if it is in one. */
  let zerosFrom: number | undefined;
  while (at < data.length) {
    const blockLeft = WANDB_BLOCK - (at % WANDB_BLOCK);
    if (blockLeft < 7) {
      at += blockLeft; // zero padding at the end of a block
      continue;
    }
    if (data.length - at < 7) break;
    const checksum = view.getUint32(at, true);
    const length = view.getUint16(at + 4, true);
    const type = data[at + 6]!;
    if (length === 0 && type === 0 && checksum === 0) {
      // Zeroed space: preallocated or the block's padding
      zerosFrom ??= at;
      at += blockLeft;
      if (at - zerosFrom > MAX_ZEROS) {
        into.problems.push(`more than ${MAX_ZEROS / 2 ** 20} MB of zeros at byte ${zerosFrom}: space not yet written, or damage; what follows is not read`);
        into.halted = true;
        into.consumedBytes = zerosFrom;
        return into;
      }
      continue;
    }
    zerosFrom = undefined;
    if (7 + length > blockLeft) {
      // A damaged header. As LevelDB's log reader does, drop the rest of the block and go on at the next.
      into.problems.push(`a record at byte ${at} runs past its block: the rest of that block is skipped`);
      pending = [];
      at += blockLeft;
      pendingStart = at;
      continue;
    }
    if (data.length - at < 7 + length) break; // being written
    const payload = data.subarray(at + 7, at + 7 + length);
    const expected = crc32(payload, crc32(new Uint8Array([type]))) >>> 0;
    const next = at + 7 + length;
    if (expected !== checksum) {
      // Its length may be what is damaged, so the next record cannot be found from it: resume at the next block.
      into.problems.push(`bad checksum in the record at byte ${at}: the rest of its block is skipped`);
      pending = [];
      at += blockLeft;
      pendingStart = at;
      continue;
    }
    if (type === FULL) {
      decodeRecord(payload, into, at);
      pendingStart = next;
    } else if (type === FIRST) {
      pending = [payload];
      pendingBytes = payload.length;
    } else if ((type === MIDDLE || type === LAST) && pending.length > 0 && pendingBytes + payload.length > MAX_RECORD) {
      into.problems.push(`a record of more than ${MAX_RECORD / 2 ** 20} MB ending after byte ${at}: skipped`);
      pending = [];
      pendingStart = next;
    } else if (type === MIDDLE && pending.length > 0) {
      pending.push(payload);
      pendingBytes += payload.length;
    } else if (type === LAST && pending.length > 0) {
      pending.push(payload);
      decodeRecord(concat(pending), into, at);
      pending = [];
      pendingStart = next;
    } else {
      into.problems.push(`a record of unknown type ${type} at byte ${at}: skipped`);
      pendingStart = next;
    }
    at = next;
  }
  // Zeros at the end are read again with what follows them, so that a long run is seen as one.
  into.consumedBytes = pending.length > 0 ? pendingStart : Math.min(at, zerosFrom ?? at);
  return into;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function decodeRecord(payload: Uint8Array, into: WandbRecords, at: number): void {
  const reader = new ProtobufReader(payload);
  try {
    while (reader.pos < reader.end) {
      const key = reader.key();
      const field = key >>> 3;
      if ((key & 7) !== LENGTH || ![2, 3, 5, 17, 18].includes(field)) {
        reader.skip(key & 7);
        continue;
      }
      const outer = reader.pushLimit();
      if (field === 2) into.history.push(readHistory(reader));
      else if (field === 3) readUpdates(reader, into.summary);
      else if (field === 5) readUpdates(reader, into.config);
      else if (field === 17) into.run = readRun(reader);
      else into.exit = readExit(reader);
      reader.popLimit(outer);
    }
  } catch (error) {
    into.problems.push(`the record at byte ${at} could not be decoded (${(error as Error).message}): skipped`);
  }
}

/** Each reader below reads the message the reader is narrowed to (pushLimit) up to its end. */
function readItem(reader: ProtobufReader): WandbItem {
  let key = '';
  const nested: string[] = [];
  let valueJson = '';
  while (reader.pos < reader.end) {
    const tag = reader.key();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LENGTH) key = reader.string();
    else if (field === 2 && (tag & 7) === LENGTH) nested.push(reader.string());
    else if (field === 16 && (tag & 7) === LENGTH) valueJson = reader.string();
    else reader.skip(tag & 7);
  }
  return { key: nested.length > 0 ? nested.join('/') : key, valueJson };
}

function readHistory(reader: ProtobufReader): { step: number | undefined; items: WandbItem[] } {
  const items: WandbItem[] = [];
  let step: number | undefined;
  while (reader.pos < reader.end) {
    const tag = reader.key();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === LENGTH) {
      const outer = reader.pushLimit();
      items.push(readItem(reader));
      reader.popLimit(outer);
    } else if (field === 2 && (tag & 7) === LENGTH) {
      const outer = reader.pushLimit();
      while (reader.pos < reader.end) {
        const t = reader.key();
        if (t === ((1 << 3) | 0)) step = reader.int64();
        else reader.skip(t & 7);
      }
      reader.popLimit(outer);
    } else reader.skip(tag & 7);
  }
  return { step, items };
}

/** SummaryRecord / ConfigRecord: `repeated Item update = 1` (removals are rare and ignored). */
function readUpdates(reader: ProtobufReader, into: WandbItem[]): void {
  while (reader.pos < reader.end) {
    const tag = reader.key();
    if (tag === ((1 << 3) | LENGTH)) {
      const outer = reader.pushLimit();
      into.push(readItem(reader));
      reader.popLimit(outer);
    } else reader.skip(tag & 7);
  }
}

function readRun(reader: ProtobufReader): NonNullable<WandbRecords['run']> {
  const run: NonNullable<WandbRecords['run']> = { tags: [] };
  while (reader.pos < reader.end) {
    const tag = reader.key();
    const wire = tag & 7;
    const field = tag >>> 3;
    if (wire !== LENGTH) reader.skip(wire);
    else if (field === 1) run.runId = reader.string();
    else if (field === 2) run.entity = reader.string();
    else if (field === 3) run.project = reader.string();
    else if (field === 8) run.displayName = reader.string();
    else if (field === 10) run.tags.push(reader.string());
    else if (field === 13) run.host = reader.string();
    else if (field === 17) {
      // google.protobuf.Timestamp { seconds = 1; nanos = 2 }
      const outer = reader.pushLimit();
      let seconds = 0;
      let nanos = 0;
      while (reader.pos < reader.end) {
        const t = reader.key();
        if (t === ((1 << 3) | 0)) seconds = reader.int64();
        else if (t === ((2 << 3) | 0)) nanos = reader.int64();
        else reader.skip(t & 7);
      }
      reader.popLimit(outer);
      run.startTime = seconds * 1000 + Math.floor(nanos / 1e6);
    } else reader.skip(wire);
  }
  return run;
}

function readExit(reader: ProtobufReader): { exitCode: number; runtime: number } {
  const exit = { exitCode: 0, runtime: 0 };
  while (reader.pos < reader.end) {
    const tag = reader.key();
    if (tag === ((1 << 3) | 0)) exit.exitCode = reader.int64();
    else if (tag === ((2 << 3) | 0)) exit.runtime = reader.int64();
    else reader.skip(tag & 7);
  }
  return exit;
}
