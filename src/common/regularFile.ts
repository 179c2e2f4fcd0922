import { constants, promises as fs } from 'node:fs';

// Reading a workspace file on the extension host: a FIFO named requirements.txt or train.py
// (a tar or zip can carry one) blocks open(2) in a libuv thread until something writes to it,
// which may be never, and the extension host has four such threads for every extension's file
// and DNS work. So the file is opened without blocking, checked to be a regular file on the
// open descriptor (no window to swap it after a check by name), and read up to a cap.

/** O_NONBLOCK does nothing to regular files; Windows has neither it nor FIFOs in the file system. */
const OPEN_FLAGS = constants.O_NONBLOCK === undefined ? 'r' : constants.O_RDONLY | constants.O_NONBLOCK;

/** The file is a FIFO, socket, device or folder: `kind` says which. */
export class NotARegularFile extends Error {
  override readonly name = 'NotARegularFile';
  constructor(
    readonly path: string,
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file: not read`);
  }
}

/** The file is larger than the caller takes whole. */
export class FileTooLarge extends Error {
  override readonly name = 'FileTooLarge';
  constructor(
    readonly path: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${path} is ${size} bytes, more than the ${maxBytes} read`);
  }
}

/**
 * A regular file's bytes, at most `maxBytes`: larger files throw FileTooLarge, or with `cut`
 * give their first `maxBytes`. Symbolic links are followed (callers confine the path first).
 */
export async function readRegularFile(path: string, maxBytes: number, options: { cut?: boolean } = {}): Promise<Buffer> {
  const handle = await fs.open(path, OPEN_FLAGS).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENXIO' ? new NotARegularFile(path, 'a socket') : error; // open(2) of a Unix socket
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotARegularFile(path, fileKind(stat));
    if (stat.size > maxBytes && !options.cut) throw new FileTooLarge(path, stat.size, maxBytes);
    // The size is what fstat said: a file that grows meanwhile is read as it was, one that shrinks to its end.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

function fileKind(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a file';
}
