import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { formatBytes } from '../common/units';
import { ModelFormatError } from './fileWindow';

// Compressed parts of model files (zip entries, joblib's zlib / gzip files) inflated with a cap: a
// few hundred kilobytes can claim gigabytes, and the error says which of "too large" or "damaged".
// Output comes in 1 MB chunks: with zlib's default 16 KB, inflating a bomb to the 256 MB cap took
// 2.8 s instead of 0.1 s.

export function inflateCapped(format: 'deflate-raw' | 'zlib' | 'gzip', data: Uint8Array, maxBytes: number, what: string): Uint8Array {
  const inflate = format === 'gzip' ? gunzipSync : format === 'zlib' ? inflateSync : inflateRawSync;
  try {
    return inflate(data, { maxOutputLength: maxBytes, chunkSize: Math.min(1 << 20, Math.max(64 * 1024, maxBytes)) });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new ModelFormatError(`${what} inflates to more than ${formatBytes(maxBytes)}, more than the readers take: not read`);
    throw new ModelFormatError(`${what} does not inflate (${(error as Error).message})`);
  }
}
