// The decoders for compressed Arrow IPC record batches, registered with apache-arrow's reader:
// Feather files from pandas/pyarrow (to_feather() writes LZ4 by default) and polars are compressed
// per buffer, and apache-arrow ships no codec. Imported by arrowImport.ts, so it runs in the data
// engine's child process only. ZSTD: fzstd (pure JS, by fflate's author, small, decodes every
// frame zstd writes); LZ4_FRAME: lz4Frame.ts (why not an npm package: there).
import { compressionRegistry, CompressionType } from 'apache-arrow';
import { decompress as decodeZstd } from 'fzstd';
import { decodeLz4Frame } from './lz4Frame';

/** Arrow's names of its codecs (Message.fbs CompressionType), for messages. */
const NAMES: Record<number, string> = { [CompressionType.LZ4_FRAME]: 'LZ4_FRAME', [CompressionType.ZSTD]: 'ZSTD' };

/** A decoder failure names the codec (the file is named by the import's caller). */
function named(codec: CompressionType, decode: (bytes: Uint8Array) => Uint8Array): { decode(bytes: Uint8Array): Uint8Array } {
  return {
    decode(bytes) {
      try {
        return decode(bytes);
      } catch (error) {
        throw new Error(`a ${NAMES[codec] ?? codec}-compressed buffer cannot be decompressed (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
    },
  };
}

compressionRegistry.set(CompressionType.LZ4_FRAME, named(CompressionType.LZ4_FRAME, decodeLz4Frame));
compressionRegistry.set(CompressionType.ZSTD, named(CompressionType.ZSTD, (bytes) => decodeZstd(bytes)));

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
