import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Largest single read: the biggest part any reader holds whole is a 256 MB pickle. */
const MAX_READ = 256 * 1024 * 1024;

/**
 * Positional reads from a model file that may be gigabytes: readers ask for the bytes they need
 * (a header, a protobuf field) and skip the rest, so inspecting never loads the weights.
 */
export class FileWindow {
  readonly size: number;
  private readonly fd: number;
  /** Bytes read so far: the cost of an inspection, for tests and benches. */
  bytesRead = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** Exactly `length` bytes at `offset`, or an error naming what was cut short (or asked too much at once). */
  read(offset: number, length: number, what = 'data'): Uint8Array {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelFormatError(`${what} at byte ${offset} (${length} bytes) runs past the end of the file (${this.size} bytes): the file is truncated or not what its header claims`);
    }
    if (length > MAX_READ) throw new ModelFormatError(`${what} at byte ${offset} is ${length} bytes, more than the ${MAX_READ / 2 ** 20} MB the readers take at once: not read`);
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, offset + done);
      if (n === 0) throw new ModelFormatError(`${what} at byte ${offset}: the file ended early`);
      done += n;
    }
    this.bytesRead += length;
    return buffer;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A model file that is not what it claims: the message says what and where. */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
}
