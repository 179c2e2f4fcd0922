// The one protobuf wire-format reader for the formats we read field by field (ONNX models, W&B run
// files, TensorBoard events outside the WebAssembly scalar loop). Files are hostile input: every
// varint is at most 64 bits, every length is checked against what its message holds (a 10-byte
// varint can decode to 2^64 - 1, or to a negative number in signed arithmetic, which would move a
// cursor backwards and loop forever), and wire types 3, 4 (groups, which none of these formats
// use), 6 and 7 are refused. Errors are `ProtobufError`s with a message for people, or whatever
// `fail` makes (the model readers turn them into their own format error).

export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

/** Makes the error thrown for bad data: lets a reader's callers see their own error class. */
export type ProtobufFail = (message: string) => Error;

const protobufError: ProtobufFail = (message) => new ProtobufError(message);
const utf8 = new TextDecoder();

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;
/** Wire types 0, 1, 2 and 5 are read (bits 0, 1, 2, 5); 3 and 4 (groups), 6 and 7 are not. */
const VALID_WIRES = 0b100111;

/**
 * A cursor over one message in memory: `pos` moves from `pos` to `end` (offsets in `data`, so a
 * sub-message is walked in place). Errors name positions in the file: `origin` is where `data`
 * starts in it.
 */
export class ProtobufReader {
  pos: number;
  /** Where the message (or, between `pushLimit` and `popLimit`, the field being read) ends. */
  end: number;
  private view: DataView | undefined;

  constructor(
    readonly data: Uint8Array,
    start = 0,
    end = data.length,
    readonly fail: ProtobufFail = protobufError,
    readonly origin = 0,
  ) {
    if (start < 0 || end > data.length || start > end) throw fail(`a message at byte ${origin + start} runs past its data`);
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint (up to 64 bits; exact up to 2^53). */
  varint(): number {
    const short = this.shortVarint();
    return short >= 0 ? short : this.varint64(false);
  }

  /** A signed int64 / int32 (negatives are 10-byte two's complement varints), exact up to ±2^53. */
  int64(): number {
    const short = this.shortVarint();
    return short >= 0 ? short : this.varint64(true);
  }

  /** A varint of up to 4 bytes (28 bits: keys, lengths, steps), straight-line; -1 (cursor unmoved) for anything else. */
  private shortVarint(): number {
    const data = this.data;
    const pos = this.pos;
    if (this.end - pos < 4) {
      if (pos < this.end && data[pos]! < 0x80) {
        this.pos = pos + 1;
        return data[pos]!;
      }
      return -1;
    }
    let byte = data[pos]!;
    if (byte < 0x80) {
      this.pos = pos + 1;
      return byte;
    }
    let value = byte & 0x7f;
    byte = data[pos + 1]!;
    if (byte < 0x80) {
      this.pos = pos + 2;
      return value | (byte << 7);
    }
    value |= (byte & 0x7f) << 7;
    byte = data[pos + 2]!;
    if (byte < 0x80) {
      this.pos = pos + 3;
      return value | (byte << 14);
    }
    value |= (byte & 0x7f) << 14;
    byte = data[pos + 3]!;
    if (byte < 0x80) {
      this.pos = pos + 4;
      return value | (byte << 21);
    }
    return -1;
  }

  /** A varint as two 32-bit halves (so int64 negatives come out exact), then as one number. */
  private varint64(signed: boolean): number {
    const data = this.data;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.fail(`a varint at byte ${this.origin + this.pos} runs past its message`);
      const byte = data[pos++]!;
      if (i < 4) lo |= (byte & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (byte & 0x7f) << 28;
        hi = (byte & 0x7f) >> 4;
      } else {
        // The tenth byte holds bit 63 only (a continuation bit there makes an eleventh byte).
        if (i === 9 && byte > 1) throw this.fail(`a varint at byte ${this.origin + this.pos} is longer than 64 bits`);
        hi |= (byte & 0x7f) << (7 * i - 32);
      }
      if (byte < 0x80) break;
    }
    this.pos = pos;
    lo >>>= 0;
    hi >>>= 0;
    if (signed && hi >= 0x80000000) return -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1);
    return hi * 4294967296 + lo;
  }

  /**
   * A field key: `field * 8 + wire`, with the wire type checked. Field numbers fit 29 bits, so
   * `key >>> 3` and `key & 7` are exact.
   */
  key(): number {
    const pos = this.pos;
    if (pos < this.end) {
      // One-byte keys (fields 1-15) with the common wire types: the hot case, checked in one step.
      const byte = this.data[pos]!;
      if (byte >= 8 && byte < 0x80 && ((VALID_WIRES >> (byte & 7)) & 1) === 1) {
        this.pos = pos + 1;
        return byte;
      }
    }
    const at = this.origin + pos;
    const key = this.varint();
    const wire = key & 7;
    if (key > 0xffffffff || key < 8) throw this.fail(`a field key at byte ${at} (${key}) is not a protobuf field`);
    if (wire === 3 || wire === 4) throw this.fail(`a field at byte ${at} uses protobuf groups (wire type ${wire}): not this format, or damaged`);
    if (wire > 5) throw this.fail(`a field at byte ${at} has wire type ${wire}: not protobuf, or damaged`);
    return key;
  }

  /** Reads a length prefix and returns where that length-delimited field ends (the cursor is at its start). */
  lengthEnd(): number {
    const start = this.pos;
    const length = this.varint();
    if (length > this.end - this.pos) {
      this.pos = start;
      throw this.fail(`a field at byte ${this.origin + start} claims ${describeLength(length)}: more than its message holds (truncated or damaged)`);
    }
    return this.pos + length;
  }

  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const out = this.data.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    // Keys and tags are short ASCII: built directly, without a subarray and a TextDecoder call each.
    if (end - start <= 16) {
      let text = '';
      for (let i = start; i < end; i++) {
        const c = this.data[i]!;
        if (c >= 0x80) return utf8.decode(this.data.subarray(start, end));
        text += String.fromCharCode(c);
      }
      return text;
    }
    return utf8.decode(this.data.subarray(start, end));
  }

  /**
   * Narrows the reader to the next length-delimited field (no new reader: the hot paths read
   * millions of small messages); returns the outer end, for `popLimit`.
   */
  pushLimit(): number {
    const outer = this.end;
    this.end = this.lengthEnd();
    return outer;
  }

  /** Back to the outer message, past the whole field (what was not read of it is skipped). */
  popLimit(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** A reader over the next length-delimited field, which the cursor moves past. */
  message(): ProtobufReader {
    const end = this.lengthEnd();
    const sub = new ProtobufReader(this.data, this.pos, end, this.fail, this.origin);
    this.pos = end;
    return sub;
  }

  fixed32(): number {
    const at = this.take(4);
    return (this.view ?? this.dataView()).getUint32(at, true);
  }

  float(): number {
    const at = this.take(4);
    return (this.view ?? this.dataView()).getFloat32(at, true);
  }

  double(): number {
    const at = this.take(8);
    return (this.view ?? this.dataView()).getFloat64(at, true);
  }

  /** Skips a field's value of the given wire type. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.take(8);
        return;
      case WIRE_LENGTH:
        this.pos = this.lengthEnd();
        return;
      case WIRE_FIXED32:
        this.take(4);
        return;
      default:
        throw this.fail(`wire type ${wire} at byte ${this.origin + this.pos}: not protobuf, or damaged`);
    }
  }

  /** Packed (one length-delimited field) or unpacked repeated int64s, at most `max` in all. */
  int64s(wire: number, into: number[], max: number, what: string): void {
    if (wire === WIRE_VARINT) {
      if (into.length >= max) throw this.fail(`more than ${max} ${what} at byte ${this.origin + this.pos}`);
      into.push(this.int64());
    } else if (wire === WIRE_LENGTH) this.message().packedInt64s(into, max, what);
    else this.skip(wire);
  }

  /** The rest of this message as packed int64s, at most `max` in all. */
  packedInt64s(into: number[], max: number, what: string): void {
    while (this.pos < this.end) {
      if (into.length >= max) throw this.fail(`more than ${max} ${what} at byte ${this.origin + this.pos}`);
      into.push(this.int64());
    }
  }

  /** The position of the next `n` bytes, which the cursor moves past. */
  private take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) throw this.fail(`a ${n}-byte value at byte ${this.origin + at} runs past its message`);
    this.pos = at + n;
    return at;
  }

  private dataView(): DataView {
    return (this.view = new DataView(this.data.buffer, this.data.byteOffset, this.data.byteLength));
  }
}

/** A claimed length for an error message: a 10-byte varint is a negative number written as int64. */
export function describeLength(length: number): string {
  return length > Number.MAX_SAFE_INTEGER ? 'a negative or impossible number of bytes' : `${length} bytes`;
}
