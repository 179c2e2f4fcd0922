// An LZ4 frame decoder (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), for Arrow IPC
// buffers compressed LZ4_FRAME. Our own because npm's pure-JS one, lz4js (what apache-arrow's tests
// use; unreleased since 2017), reads a block checksum as if it came before the block, and the Rust
// writers (polars, arrow-rs) set block checksums: its output for their files is garbage, silently.
// Checksums are skipped, not verified: every length and back-reference is bounds-checked instead.

const MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

function fail(what: string): never {
  throw new Error(`LZ4 frame: ${what}`);
}

function u32(src: Uint8Array, at: number): number {
  if (at + 4 > src.length) fail('truncated');
  return ((src[at] ?? 0) | ((src[at + 1] ?? 0) << 8) | ((src[at + 2] ?? 0) << 16)) + (src[at + 3] ?? 0) * 0x1000000;
}

/**
 * Decodes one LZ4 block, src[from, to), into dst at `out`; returns the new end of dst. Earlier
 * blocks in dst are the window (linked blocks). Hot: short copies byte by byte (no subarray).
 */
function decodeBlock(src: Uint8Array, from: number, to: number, dst: Uint8Array, out: number): number {
  let i = from;
  while (i < to) {
    const token = src[i++] as number;
    let literals = token >>> 4;
    if (literals === 15) {
      let byte = 255;
      while (byte === 255 && i < to) {
        byte = src[i++] as number;
        literals += byte;
      }
    }
    if (i + literals > to || out + literals > dst.length) fail('literals run past the block');
    if (literals < 32) for (let k = 0; k < literals; k++) dst[out++] = src[i++] as number;
    else {
      dst.set(src.subarray(i, i + literals), out);
      i += literals;
      out += literals;
    }
    if (i >= to) break; // The last sequence holds literals only.
    if (i + 2 > to) fail('truncated block');
    const offset = (src[i] as number) | ((src[i + 1] as number) << 8);
    i += 2;
    if (offset === 0 || offset > out) fail('a match points before the start of the data');
    let match = token & 15;
    if (match === 15) {
      let byte = 255;
      while (byte === 255) {
        if (i >= to) fail('truncated block');
        byte = src[i++] as number;
        match += byte;
      }
    }
    match += 4;
    if (out + match > dst.length) fail('a match runs past the block size');
    // Byte by byte when short or overlapping itself (a run), else one copyWithin.
    if (match < 32 || offset < match) for (let k = out - offset, end = out + match; out < end; ) dst[out++] = dst[k++] as number;
    else {
      dst.copyWithin(out, out - offset, out - offset + match);
      out += match;
    }
  }
  return out;
}

/** The most one compressed block of `bytes` bytes decodes to: a byte of a length run adds at most 255, a sequence's token and offset a few more. */
function blockBound(bytes: number, blockMax: number): number {
  return Math.min(blockMax, bytes * 255 + 24);
}

/**
 * The bytes of one LZ4 frame (Arrow: each compressed buffer is a single frame). `size`: the length
 * the data must have (Arrow's length prefix): the output is that long exactly, or it fails.
 */
export function decodeLz4Frame(src: Uint8Array, size?: number): Uint8Array {
  if (u32(src, 0) !== MAGIC) fail('not an LZ4 frame (bad magic number)');
  const flags = src[4] ?? 0;
  const bd = src[5] ?? 0;
  if (flags >> 6 !== 1) fail(`unsupported frame version ${flags >> 6}`);
  if (flags & 1) fail('frames with a dictionary are not supported');
  const blockChecksum = (flags & 0x10) !== 0;
  const blockMax = BLOCK_MAX[(bd >> 4) & 7] ?? 0;
  if (!blockMax) fail('invalid block size');
  let at = 6;
  let declared: number | undefined;
  if (flags & 8) {
    declared = u32(src, at) + u32(src, at + 4) * 0x100000000;
    at += 8;
  }
  at += 1; // Header checksum.
  // A first pass over the block headers bounds the output: stored blocks exactly, compressed ones by
  // what their bytes can decode to (not the block size: 5-byte blocks reserving 4 MiB each were a bomb).
  let bound = 0;
  for (let p = at; ; ) {
    const size = u32(src, p);
    if (size === 0) break;
    const stored = size >= 0x80000000;
    const bytes = stored ? size - 0x80000000 : size;
    if (bytes > blockMax) fail('a block is larger than the frame allows');
    bound += stored ? bytes : blockBound(bytes, blockMax);
    p += 4 + bytes + (blockChecksum ? 4 : 0);
  }
  if (declared !== undefined && declared > bound) fail(`the frame declares ${declared} bytes, its blocks hold at most ${bound}`);
  if (declared !== undefined && size !== undefined && declared !== size) fail(`the frame declares ${declared} bytes, Arrow's length prefix ${size}`);
  if (size !== undefined && size > bound) fail(`Arrow's length prefix says ${size} bytes, the frame's blocks hold at most ${bound}`);
  const dst = new Uint8Array(size ?? declared ?? bound);
  let out = 0;
  for (;;) {
    const size = u32(src, at);
    at += 4;
    if (size === 0) break;
    const stored = size >= 0x80000000;
    const bytes = stored ? size - 0x80000000 : size;
    if (stored) {
      if (out + bytes > dst.length) fail('more data than the frame declares');
      dst.set(src.subarray(at, at + bytes), out);
      out += bytes;
    } else {
      const start = out;
      out = decodeBlock(src, at, at + bytes, dst, out);
      if (out - start > blockBound(bytes, blockMax)) fail('a block decodes larger than the frame allows');
    }
    at += bytes + (blockChecksum ? 4 : 0);
  }
  if (declared !== undefined && out !== declared) fail(`decoded ${out} bytes, the frame declares ${declared}`);
  if (size !== undefined && out !== size) fail(`decoded ${out} bytes, Arrow's length prefix says ${size}`);
  // Much over-allocated (few, small compressed blocks): copied, so the spare bytes are not kept alive.
  return out === dst.length ? dst : out * 2 < dst.length ? dst.slice(0, out) : dst.subarray(0, out);
}
