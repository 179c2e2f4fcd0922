import * as fc from 'fast-check';
import { gguf, opcodeRun, pbBytes, pbClaimed, varint } from './hostileFiles';

export { varint };

// Mutations of real files for the readers' fuzz tests: random damage (bytes flipped, cut, spliced,
// inserted) and the attack shapes issue 14 found, spliced in at random places: negative and huge
// lengths and counts, deep nesting, pickle memo loops, names Object.prototype owns.

/** Bytes flipped, a cut, a chunk of random bytes and a chunk of the file itself inserted. */
export function bitRot(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      flips: fc.array(fc.record({ at: fc.nat(Math.max(0, base.length - 1)), xor: fc.integer({ min: 1, max: 255 }) }), { maxLength: 8 }),
      cut: fc.option(fc.nat(base.length), { nil: undefined }),
      insertAt: fc.option(fc.nat(base.length), { nil: undefined }),
      insert: fc.uint8Array({ maxLength: 32 }),
      spliceFrom: fc.nat(Math.max(0, base.length - 1)),
      spliceLength: fc.nat(200),
    })
    .map(({ flips, cut, insertAt, insert, spliceFrom, spliceLength }) => {
      let out = Buffer.from(base);
      for (const { at, xor } of flips) if (at < out.length) out[at] = out[at]! ^ xor;
      if (insertAt !== undefined) out = Buffer.concat([out.subarray(0, insertAt), insert, out.subarray(spliceFrom, spliceFrom + spliceLength), out.subarray(insertAt)]);
      return cut !== undefined ? out.subarray(0, cut) : out;
    });
}

/** One of `payloads`, repeated 1 to `maxRepeat` times, inserted at or written over a random place. */
export function attacked(base: Uint8Array, payloads: readonly Uint8Array[], maxRepeat = 64): fc.Arbitrary<Uint8Array> {
  return fc
    .record({ which: fc.nat(payloads.length - 1), at: fc.nat(base.length), repeat: fc.integer({ min: 1, max: maxRepeat }), overwrite: fc.boolean() })
    .map(({ which, at, repeat, overwrite }) => {
      const payload = Buffer.concat(new Array<Uint8Array>(repeat).fill(payloads[which]!));
      const rest = overwrite ? base.subarray(Math.min(base.length, at + payload.length)) : base.subarray(at);
      return Buffer.concat([base.subarray(0, at), payload, rest]);
    });
}

/** Random damage or an attack, about evenly. */
export function mutations(base: Uint8Array, payloads: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(bitRot(base), attacked(base, payloads));
}

const le = (n: bigint, bytes: 4 | 8): Buffer => {
  const b = Buffer.alloc(bytes);
  if (bytes === 4) b.writeUInt32LE(Number(n & 0xffffffffn));
  else b.writeBigUInt64LE(n & 0xffffffffffffffffn);
  return b;
};

/** Counts and lengths: the largest, negative ones as two's complement, and ones just past a small file. */
const BIG_NUMBERS = [le(0xffffffffn, 4), le(0x7fffffffn, 4), le(2n ** 64n - 1n, 8), le(2n ** 40n, 8), le(2n ** 63n, 8), le(4096n, 4)];
const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];

/** Attack payloads per kind of format. */
export const ATTACKS = {
  protobuf: [
    ...[-1, -4096, -(2 ** 40), 2 ** 40, 2 ** 31].map((n) => Buffer.from(varint(n))),
    ...[-4096, -1, 2 ** 33].map((n) => pbClaimed(1, n)),
    ...[1, 4, 5, 11].map((field) => pbClaimed(field, -4096)),
    Buffer.from([0x0b]), // start group
    Buffer.from([0x0f, 0x0e]), // wire types 7 and 6
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // past 64 bits
    ...NAMES.map((name) => pbBytes(4, name)),
  ],
  json: [Buffer.from('['), Buffer.from('{"a":'), Buffer.from('"'), Buffer.from('\\'), Buffer.from('1e999,'), Buffer.from('-1,'), ...NAMES.map((n) => Buffer.from(`"${n}":{"dtype":"${n}","shape":[1],"data_offsets":[0,4]},`)), Buffer.from('"shape":[1e300,1e300],')],
  pickle: [
    Buffer.from([0x28]), // MARK
    Buffer.from([0x5d]), // EMPTY_LIST
    Buffer.from([0x71, 0x00, 0x68, 0x00, 0x61]), // BINPUT 0, BINGET 0, APPEND: a list inside itself
    Buffer.from([0x32]), // DUP
    Buffer.from([0x68, 0x00, 0x68, 0x00, 0x86]), // two GETs of one object in a tuple
    Buffer.from([0x8b, 0xff, 0xff, 0xff, 0x7f]), // LONG4 of 2 GB
    Buffer.from([0x58, 0xff, 0xff, 0xff, 0xff]), // BINUNICODE of 4 GB
    Buffer.from([0x8e, ...le(2n ** 62n, 8)]), // BINBYTES8
    Buffer.from([0x6a, 0xff, 0xff, 0xff, 0xff]), // LONG_BINGET never stored
    Buffer.from('c__torch__.M\nM\n'),
    opcodeRun([0x5d, 0x28], 0x5d, 2000, [0x65]).subarray(2, -1), // a batch of 2,000 lists
    ...NAMES.map((n) => Buffer.from([0x8c, n.length, ...Buffer.from(n)])),
  ],
  gguf: [
    Buffer.concat([gguf.u32(9), gguf.u32(9), gguf.u64(1)]), // arrays of arrays
    Buffer.concat([gguf.u32(9), gguf.u32(8), gguf.u64(2n ** 40n)]), // 2^40 strings
    gguf.u64(2n ** 63n),
    gguf.u32(0xffffffff),
    ...NAMES.map((n) => gguf.string(n)),
  ],
  numbers: BIG_NUMBERS,
};

/**
 * Protobuf fields that send an old cursor back to their own start, for ever: a padding string field
 * (`padField`), then field 20 claiming -(4096 * k) bytes, which lands exactly on the padding.
 */
export function backwardsBlock(padField: number, k = 1): Buffer {
  const hostile = pbClaimed(20, -4096 * k);
  const total = 4096 * k - hostile.length;
  let body = total - 3;
  while (varint(padField * 8 + 2).length + varint(body).length + body > total) body--;
  while (varint(padField * 8 + 2).length + varint(body).length + body < total) body++;
  return Buffer.concat([pbBytes(padField, 'x'.repeat(body)), hostile]);
}

/** A pickle's last opcodes (before STOP) extended to set top['dag'] = a list graph of 2^depth paths, memo keys from 2^30. */
export function withPickleDag(pickle: Uint8Array, depth: number): Buffer {
  const key = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
  const base = 2 ** 30;
  const ops: number[] = [0x5d, 0x72, ...key(base), 0x30];
  for (let i = 1; i <= depth; i++) ops.push(0x5d, 0x28, 0x6a, ...key(base + i - 1), 0x6a, ...key(base + i - 1), 0x65, 0x72, ...key(base + i), 0x30);
  ops.push(0x8c, 3, ...Buffer.from('dag'), 0x6a, ...key(base + depth), 0x73);
  const stop = pickle.lastIndexOf(0x2e);
  return Buffer.concat([pickle.subarray(0, stop), Buffer.from(ops), pickle.subarray(stop)]);
}

/** Nesting depths: mostly modest, sometimes the millions that took seconds and hundreds of megabytes. */
export const nestingDepth = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 2000 }), weight: 4 }, { arbitrary: fc.integer({ min: 2_000_000, max: 3_000_000 }), weight: 1 });
