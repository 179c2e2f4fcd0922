import { deflateRawSync } from 'node:zlib';
import { buf as crc32 } from 'crc-32';
import { buf as crc32c } from 'crc-32/crc32c';

// Builders for hostile model and run files: the attack shapes issue 14 found (negative protobuf
// lengths, pickle object-graph bombs, nesting, huge counts), written from the formats' specs so
// each test says exactly what its file holds.

/** A protobuf varint; negative numbers as int64 two's complement (10 bytes), as protobuf writes them. */
export function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/** A length-delimited protobuf field with its real length. */
export function pbBytes(field: number, body: Uint8Array | string): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(payload.length)]), payload]);
}

/** A varint protobuf field. */
export function pbVarint(field: number, value: number | bigint): Buffer {
  return Buffer.from([...varint(field * 8), ...varint(value)]);
}

/** A length-delimited field whose length prefix is `claimed` (negative: a 10-byte varint), followed by `body`. */
export function pbClaimed(field: number, claimed: number | bigint, body: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([Buffer.from([...varint(field * 8 + 2), ...varint(claimed)]), body]);
}

/** A pickle from opcodes and their arguments, as bytes (protocol 2 header added). */
export class PickleWriter {
  private readonly parts: number[] = [0x80, 2];
  op(...bytes: number[]): this {
    return this.raw(bytes);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  mark(): this {
    return this.op(0x28);
  }
  appends(): this {
    return this.op(0x65);
  }
  append(): this {
    return this.op(0x61);
  }
  setitem(): this {
    return this.op(0x73);
  }
  tuple(): this {
    return this.op(0x74);
  }
  none(): this {
    return this.op(0x4e);
  }
  int(n: number): this {
    return n < 256 ? this.op(0x4b, n) : this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  put(key: number): this {
    return key < 256 ? this.op(0x71, key) : this.op(0x72, key & 0xff, (key >> 8) & 0xff, (key >> 16) & 0xff, (key >>> 24) & 0xff);
  }
  get(key: number): this {
    return key < 256 ? this.op(0x68, key) : this.op(0x6a, key & 0xff, (key >> 8) & 0xff, (key >> 16) & 0xff, (key >>> 24) & 0xff);
  }
  text(s: string): this {
    const b = Buffer.from(s);
    if (b.length < 256) return this.op(0x8c, b.length).raw(b);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, (b.length >>> 24) & 0xff).raw(b);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(Buffer.from(`${module}\n${name}\n`));
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  newobj(): this {
    return this.op(0x81);
  }
  tuple1(): this {
    return this.op(0x85);
  }
  tuple2(): this {
    return this.op(0x86);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  setitems(): this {
    return this.op(0x75);
  }
  pop(): this {
    return this.op(0x30);
  }
  /** `torch._utils._rebuild_tensor_v2(<storage key>, 0, shape, stride, False, OrderedDict())`, as torch.save writes a float32 tensor. */
  tensor(storageKey: string, shape: number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().text('storage').global('torch', 'FloatStorage').text(storageKey).text('cpu').int(shape.reduce((a, b) => a * b, 1)).tuple().op(0x51); // BINPERSID
    this.int(0).mark();
    for (const d of shape) this.int(d);
    this.tuple().mark();
    for (let i = 0; i < shape.length; i++) this.int(shape.slice(i + 1).reduce((a, b) => a * b, 1));
    return this.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  stop(): Buffer {
    return Buffer.from([...this.parts, 0x2e]);
  }
}

/** A protocol-2 pickle of `count` copies of one opcode byte between `head` and `tail` opcodes (bombs a few kilobytes deflate to). */
export function opcodeRun(head: number[], byte: number, count: number, tail: number[]): Buffer {
  return Buffer.concat([Buffer.from([0x80, 2, ...head]), Buffer.alloc(count, byte), Buffer.from([...tail, 0x2e])]);
}

/** A list of `count` empty lists, appended in batches of 1,000 as pickle writes them (the stack stays small). */
export function batchedLists(count: number): Buffer {
  const batch = Buffer.from([0x28, ...new Array<number>(1000).fill(0x5d), 0x65]);
  return Buffer.concat([Buffer.from([0x80, 2, 0x5d]), ...new Array<Buffer>(Math.ceil(count / 1000)).fill(batch), Buffer.from([0x2e])]);
}

/** The 15-byte first pickle of a legacy torch.save file (its magic number). */
export const TORCH_LEGACY_MAGIC = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

/**
 * A zip archive (stored or deflated entries), laid out as zipfile / torch.save write it. An entry
 * given `deflated` is already deflated and claims that uncompressed size (bombs).
 */
export function zipArchive(entries: { name: string; data: Uint8Array; deflate?: boolean; deflated?: { size: number } }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const method = entry.deflate || entry.deflated ? 8 : 0;
    const body = entry.deflate && !entry.deflated ? deflateRawSync(entry.data) : Buffer.from(entry.data);
    const size = entry.deflated?.size ?? entry.data.length;
    const crc = entry.deflated ? 0 : crc32(entry.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    central.push(dir, name);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** GGUF pieces (little-endian). */
export const gguf = {
  u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  },
  u64(n: number | bigint): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  },
  string(s: string): Buffer {
    return Buffer.concat([gguf.u64(Buffer.byteLength(s)), Buffer.from(s)]);
  },
  /** The header: magic, version, tensor count, metadata count. */
  header(version: number, tensors: number | bigint, kv: number | bigint): Buffer {
    return Buffer.concat([Buffer.from('GGUF'), gguf.u32(version), gguf.u64(tensors), gguf.u64(kv)]);
  },
};

/** A safetensors file: the u64 header size, the JSON header (as given, not re-encoded), `data` bytes. */
export function safetensors(header: string, data = 0): Buffer {
  const json = Buffer.from(header);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, Buffer.alloc(data)]);
}

const maskedCrc = (crc: number): number => ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;

/** A TFRecord's 12-byte header for a body of `length` bytes: the length and its masked CRC32C. */
export function tfRecordHeader(length: number): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(length), 0);
  head.writeUInt32LE(maskedCrc(crc32c(head.subarray(0, 8)) >>> 0), 8);
  return head;
}

/** One TFRecord around `body`, framed as TensorFlow writes it (length, masked CRC32C of each). */
export function tfRecord(body: Uint8Array): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc(crc32c(body) >>> 0), 0);
  return Buffer.concat([tfRecordHeader(body.length), body, tail]);
}
