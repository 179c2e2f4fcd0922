import { CRC32C_TABLES } from '../crc32c';
import { scalarScanWasm } from './scalarScanBinary';

// The JavaScript side of scalarScan.wat: instantiates it once, copies the file into its memory a
// slice at a time and hands back its output columns. The layout constants mirror the .wat.

const TABLES = 0;
const OUT_STEPS = 41216;
const OUT_TIMES = 172288;
const OUT_VALUES = 303360;
const OUT_SLOTS = 434432;
const INPUT = 450816;
/** Records decoded per scan call: the length of each output column. */
const BATCH = 16384;
/** Bytes of the file copied in at a time. */
const INPUT_BYTES = 2 * 1024 * 1024;
/** The longest record the scanner decodes: framing (16 bytes) and 4095 of data. */
const MAX_FAST_RECORD = 16 + 4095;

export enum ScanStop {
  /** Not the fast shape, or damaged: the general decoder takes this record. */
  Other = 0,
  /** The input ended (or a record runs past it). */
  InputEnded = 1,
  /** The output columns are full. */
  OutputFull = 2,
  /** A tag that is not in its slot: fill the slot, then scan again from `stopAt`. */
  TagMiss = 3,
}

interface ScanExports {
  readonly memory: WebAssembly.Memory;
  scan(at: number, end: number): number;
  fillSlot(slot: number, at: number, length: number): void;
  clearSlots(): void;
  readonly stopAt: WebAssembly.Global;
  readonly reason: WebAssembly.Global;
  readonly missSlot: WebAssembly.Global;
  readonly missStart: WebAssembly.Global;
  readonly missLength: WebAssembly.Global;
}

/** One instance (reads are synchronous, so they never interleave). */
export class ScalarScanner {
  readonly steps: Float64Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
  readonly slots: Uint8Array;
  private readonly bytes: Uint8Array;
  private inputStart = 0;
  private inputEnd = 0;

  constructor(private readonly exports: ScanExports) {
    const buffer = exports.memory.buffer;
    this.steps = new Float64Array(buffer, OUT_STEPS, BATCH);
    this.times = new Float64Array(buffer, OUT_TIMES, BATCH);
    this.values = new Float64Array(buffer, OUT_VALUES, BATCH);
    this.slots = new Uint8Array(buffer, OUT_SLOTS, BATCH);
    this.bytes = new Uint8Array(buffer);
    new Int32Array(buffer, TABLES, CRC32C_TABLES.length).set(CRC32C_TABLES);
  }

  /** Starts a read of new data: no tag is in any slot, nothing of it copied in. */
  reset(): void {
    this.exports.clearSlots();
    this.inputEnd = this.inputStart = 0;
  }

  /**
   * Copies up to 2 MB of `data` from `offset` in (unless what the last copy holds from there still
   * fits a whole fast-shape record, or reaches the end); returns the file offset it ends at. `data`
   * must not change between `reset` calls.
   */
  load(data: Uint8Array, offset: number): number {
    if (offset >= this.inputStart && (this.inputEnd === data.length ? offset < this.inputEnd : offset + MAX_FAST_RECORD <= this.inputEnd)) return this.inputEnd;
    const length = Math.min(INPUT_BYTES, data.length - offset);
    this.bytes.set(data.subarray(offset, offset + length), INPUT);
    this.inputStart = offset;
    this.inputEnd = offset + length;
    return this.inputEnd;
  }

  /** Decodes from file offset `from` to `to` (both within what `load` copied): points written. */
  scan(from: number, to: number): number {
    return this.exports.scan(INPUT + from - this.inputStart, INPUT + to - this.inputStart);
  }

  /** Where the last scan stopped, as a file offset. */
  get stopAt(): number {
    return (this.exports.stopAt.value as number) - INPUT + this.inputStart;
  }

  get reason(): ScanStop {
    return this.exports.reason.value as ScanStop;
  }

  /** After a TagMiss: the slot and the tag's bytes (a view of the scanner's memory). */
  missedTag(): { slot: number; bytes: Uint8Array } {
    const start = this.exports.missStart.value as number;
    return { slot: this.exports.missSlot.value as number, bytes: this.bytes.subarray(start, start + (this.exports.missLength.value as number)) };
  }

  /** Puts the tag of the last TagMiss in its slot. */
  fillMissedSlot(): void {
    this.exports.fillSlot(this.exports.missSlot.value as number, this.exports.missStart.value as number, this.exports.missLength.value as number);
  }
}

let scanner: ScalarScanner | null | undefined;

/** The scanner, or null where WebAssembly cannot run (the general decoder then reads everything). */
export function scalarScanner(): ScalarScanner | null {
  if (scanner === undefined) {
    try {
      const module = new WebAssembly.Module(Buffer.from(scalarScanWasm, 'base64'));
      scanner = new ScalarScanner(new WebAssembly.Instance(module).exports as unknown as ScanExports);
    } catch {
      scanner = null;
    }
  }
  return scanner;
}
