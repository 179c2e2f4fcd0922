import { type FileWindow, ModelFormatError } from './fileWindow';
import { inflateCapped } from './inflate';

// The central directory of a zip archive (PyTorch .pt/.ckpt, TorchScript, Keras .keras), read from
// the end of the file, and single entries read on demand: a 10 GB checkpoint costs a few kilobytes
// plus the entries asked for. ZIP64 included (torch writes it past 4 GB). Bounded against bombs.

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const MAX_ENTRIES = 200_000;
/** 200,000 entries with long names fit in a few tens of megabytes. */
const MAX_DIRECTORY = 64 * 1024 * 1024;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 2 ** 32;
}

export function readZipDirectory(file: FileWindow): ZipEntry[] {
  // The end-of-central-directory record sits in the last 22 + 65,535 (comment) bytes; archives
  // rarely have a comment, so look in the last kilobyte first.
  let tail: Uint8Array = new Uint8Array(0);
  let tailLength = 0;
  let eocd = -1;
  for (const span of [1024, 22 + 65_535]) {
    tailLength = Math.min(file.size, span);
    tail = file.read(file.size - tailLength, tailLength, 'the end of the zip archive');
    for (let i = tail.length - 22; i >= 0; i--) {
      if (u32(tail, i) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd >= 0 || tailLength === file.size) break;
  }
  if (eocd < 0) throw new ModelFormatError('a zip archive without its central directory: the file is truncated');
  let count = u16(tail, eocd + 10);
  let directorySize = u32(tail, eocd + 12);
  let directoryOffset = u32(tail, eocd + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    // ZIP64: a locator just before the record points at the 64-bit record.
    const locatorAt = file.size - tailLength + eocd - 20;
    const locator = file.read(locatorAt, 20, 'the ZIP64 locator');
    if (u32(locator, 0) !== EOCD64_LOCATOR) throw new ModelFormatError('a ZIP64 archive without its locator');
    const record = file.read(u64(locator, 8), 56, 'the ZIP64 end record');
    if (u32(record, 0) !== EOCD64) throw new ModelFormatError('a ZIP64 locator that points at no end record');
    count = u64(record, 32);
    directorySize = u64(record, 40);
    directoryOffset = u64(record, 48);
  }
  if (count > MAX_ENTRIES) throw new ModelFormatError(`a zip archive that claims ${count} entries (more than ${MAX_ENTRIES})`);
  if (directoryOffset + directorySize > file.size) throw new ModelFormatError('a zip central directory that runs past the end of the file');
  if (directorySize > MAX_DIRECTORY) throw new ModelFormatError(`a zip central directory of ${directorySize} bytes (more than ${MAX_DIRECTORY / 2 ** 20} MB): not read`);
  const dir = file.read(directoryOffset, directorySize, 'the zip central directory');
  const entries: ZipEntry[] = [];
  let at = 0;
  const utf8 = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || u32(dir, at) !== CENTRAL) throw new ModelFormatError(`zip central directory entry ${i} is damaged`);
    const method = u16(dir, at + 10);
    let compressedSize = u32(dir, at + 20);
    let size = u32(dir, at + 24);
    const nameLength = u16(dir, at + 28);
    const extraLength = u16(dir, at + 30);
    const commentLength = u16(dir, at + 32);
    let localHeaderOffset = u32(dir, at + 42);
    if (at + 46 + nameLength + extraLength > dir.length) throw new ModelFormatError(`zip central directory entry ${i} runs past the directory`);
    const name = utf8.decode(dir.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field (id 1): the 64-bit values, in order, of those set to 0xffffffff.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(dir, extra);
      // A field's own length may claim more than the entry's extra area: it ends there.
      const length = Math.min(u16(dir, extra + 2), extraEnd - extra - 4);
      if (id === 1) {
        let p = extra + 4;
        if (size === 0xffffffff && p + 8 <= extra + 4 + length) {
          size = u64(dir, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff && p + 8 <= extra + 4 + length) {
          compressedSize = u64(dir, p);
          p += 8;
        }
        if (localHeaderOffset === 0xffffffff && p + 8 <= extra + 4 + length) localHeaderOffset = u64(dir, p);
      }
      extra += 4 + length;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** An entry's bytes, refused over `maxBytes` (after inflating: a small deflated entry can claim gigabytes). */
export function readZipEntry(file: FileWindow, entry: ZipEntry, maxBytes: number): Uint8Array {
  if (entry.size > maxBytes) throw new ModelFormatError(`${entry.name} is ${entry.size} bytes, more than the ${maxBytes} read`);
  const local = file.read(entry.localHeaderOffset, 30, `the local header of ${entry.name}`);
  if (u32(local, 0) !== LOCAL) throw new ModelFormatError(`the local header of ${entry.name} is damaged`);
  const dataAt = entry.localHeaderOffset + 30 + u16(local, 26) + u16(local, 28);
  if (entry.method === 0 && entry.compressedSize !== entry.size) throw new ModelFormatError(`${entry.name} is stored uncompressed but its sizes differ (${entry.compressedSize} and ${entry.size} bytes): the archive is damaged`);
  const raw = file.read(dataAt, entry.compressedSize, entry.name);
  if (entry.method === 0) return raw;
  if (entry.method !== 8) throw new ModelFormatError(`${entry.name} uses zip compression method ${entry.method}, which is not read`);
  return inflateCapped('deflate-raw', raw, maxBytes, entry.name);
}
