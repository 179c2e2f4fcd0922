// The decoders for compressed Arrow IPC record batches, registered with apache-arrow's reader:
// Feather files from pandas/pyarrow (to_feather() writes LZ4 by default) and polars are compressed
// per buffer, and apache-arrow ships no codec. Imported by arrowImport.ts, so it runs in the data
// engine's child process only. ZSTD: fzstd (pure JS, by fflate's author, small, decodes every
// frame zstd writes); LZ4_FRAME: lz4Frame.ts (why not an npm package: there).
import { compressionRegistry, CompressionType } from 'apache-arrow';
import { Decompress as ZstdStream } from 'fzstd';
import { decodeLz4Frame } from './lz4Frame';

/** Arrow's names of its codecs (Message.fbs CompressionType), for messages. */
const NAMES: Record<number, string> = { [CompressionType.LZ4_FRAME]: 'LZ4_FRAME', [CompressionType.ZSTD]: 'ZSTD' };

/** The largest buffer a codec may decode to: the engine's memory limit (setDecodedBufferCap; 1 GiB until set). */
let decodedCap = 1 << 30;

/** Called by the engine with its memory limit: a length prefix past it is refused, not allocated. */
export function setDecodedBufferCap(bytes: number): void {
  decodedCap = bytes;
}

/**
 * Arrow's length prefix of a compressed buffer (its uncompressed length, an int64). apache-arrow
 * hands a codec the bytes after it (a view of the record batch's body), so it lies just before them.
 */
function lengthPrefix(bytes: Uint8Array): number {
  if (bytes.byteOffset < 8) throw new Error("Arrow's length prefix is not before the buffer");
  const size = new DataView(bytes.buffer, bytes.byteOffset - 8, 8).getBigInt64(0, true);
  if (size < 0n) throw new Error(`Arrow's length prefix is ${size}`);
  if (size > BigInt(decodedCap)) throw new Error(`it would decode to ${size} bytes, more than the engine's memory limit (${decodedCap} bytes)`);
  return Number(size);
}

/** The window a zstd frame's header asks the decoder to allocate (https://datatracker.ietf.org/doc/html/rfc8878#section-3.1.1.1.2). */
function zstdWindow(src: Uint8Array): number {
  const flags = src[4] ?? 0;
  if ((flags >> 5) & 1) return 0; // Single segment: the window is the content, which the output bounds.
  const descriptor = src[5] ?? 0;
  const base = 2 ** (10 + (descriptor >> 3));
  return base + (base / 8) * (descriptor & 7);
}

/**
 * ZSTD into a buffer of Arrow's length exactly, block by block through fzstd's stream decoder so
 * the length is counted: its one-shot decoder allocates what the frame's header claims, and given a
 * buffer, silently drops what does not fit and leaves what is not written as zeros.
 */
function decodeZstdBuffer(bytes: Uint8Array, size: number): Uint8Array {
  const window = zstdWindow(bytes);
  if (window > decodedCap) throw new Error(`its frame asks for a ${window}-byte window, more than the engine's memory limit (${decodedCap} bytes)`);
  const out = new Uint8Array(size);
  let at = 0;
  const stream = new ZstdStream((chunk) => {
    if (at + chunk.length > size) throw new Error(`it decodes to more than Arrow's length prefix, ${size} bytes`);
    out.set(chunk, at);
    at += chunk.length;
  });
  stream.push(bytes, true);
  if (at !== size) throw new Error(`decoded ${at} bytes, Arrow's length prefix says ${size}`);
  return out;
}

/** A decoder failure names the codec (the file is named by the import's caller). */
function named(codec: CompressionType, decode: (bytes: Uint8Array, size: number) => Uint8Array): { decode(bytes: Uint8Array): Uint8Array } {
  return {
    decode(bytes) {
      try {
        return decode(bytes, lengthPrefix(bytes));
      } catch (error) {
        throw new Error(`a ${NAMES[codec] ?? codec}-compressed buffer cannot be decompressed (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
    },
  };
}

compressionRegistry.set(CompressionType.LZ4_FRAME, named(CompressionType.LZ4_FRAME, decodeLz4Frame));
compressionRegistry.set(CompressionType.ZSTD, named(CompressionType.ZSTD, decodeZstdBuffer));

// A codec number Arrow may define after these two: the reader's own error ("codec not found") does
// not say which, so every other number a flatbuffer byte can hold gets a decoder that says it.
for (let id = -128; id < 128; id++) {
  if (id in NAMES) continue;
  compressionRegistry.set(id, {
    decode() {
      throw new Error(`the file is compressed with codec number ${id}, which this reader does not know (it reads ${Object.values(NAMES).join(' and ')}, the codecs Arrow defines)`);
    },
  });
}
