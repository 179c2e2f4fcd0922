import { closeSync, fstatSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import { open, opendir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

// Small file helpers shared by the folder-based readers. Bounded: a tracking folder can hold
// 100,000 small files, and one of them can be a 10 GB artifact we must never read whole.

/** Names in a folder, or [] when it is missing; other errors are thrown. */
export async function listDir(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/**
 * At most `max` names in a folder (`truncated` when there are more), or [] when it is missing:
 * a folder of a million files costs `max` entries, not a million.
 */
export async function listDirBounded(path: string, max: number): Promise<{ entries: Dirent[]; truncated: boolean }> {
  const entries: Dirent[] = [];
  let dir;
  try {
    dir = await opendir(path, { bufferSize: 256 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return { entries, truncated: false };
    throw error;
  }
  try {
    for (let entry = await dir.read(); entry; entry = await dir.read()) {
      if (entries.length === max) return { entries, truncated: true };
      entries.push(entry);
    }
    return { entries, truncated: false };
  } finally {
    await dir.close();
  }
}

/** A text file, or an error when it is larger than `maxBytes` (params and tags are short). */
export async function readSmallText(path: string, maxBytes = 1024 * 1024): Promise<string> {
  const info = await stat(path);
  if (info.size > maxBytes) throw new Error(`${info.size} bytes, more than the ${maxBytes} expected`);
  return readFile(path, 'utf8');
}

/** Room before each chunk for the unconsumed tail of the one before (a record cut by the chunk edge). */
const CARRY_ROOM = 1024 * 1024;

/**
 * Feeds `path` from byte `from` to its current end to `consume` in chunks, reading the next chunk
 * while `consume` works on this one (the read overlaps the decode, and memory stays at two chunks
 * however large the file). `consume` returns how many bytes it used and whether to go on; the rest
 * is given again in front of the next chunk. When the rest is the start of a record larger than a
 * chunk, `need` says the record's whole size: it is then read into one buffer of that size (at most
 * what the file still holds) rather than grown by doubling copies, which took a 12-byte file
 * claiming a 255 MB record (the rest a sparse hole) to 1.3 GB of buffers the heap limit does not
 * count. Returns the bytes used in all.
 */
export async function consumeFrom(
  path: string,
  from: number,
  consume: (data: Buffer, base: number) => { used: number; stop?: boolean; need?: number },
  chunkBytes = 8 * 1024 * 1024,
): Promise<{ used: number; size: number; mtimeMs: number }> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    const end = info.size; // what is appended after this stat is read next time
    let used = 0;
    if (end > from) {
      type Chunk = { buffer: Buffer; length: number };
      let chunk = chunkBytes;
      const readAt = async (at: number): Promise<Chunk> => {
        const length = Math.min(chunk, end - at);
        const buffer = Buffer.allocUnsafe(CARRY_ROOM + length); // only the bytes read are passed on
        const { bytesRead } = await handle.read(buffer, CARRY_ROOM, length, at);
        return { buffer, length: bytesRead };
      };
      let next = from;
      let carry: Buffer = Buffer.alloc(0);
      /** The size of the record `carry` starts, when the consumer knows it. */
      let need = 0;
      let pending: Promise<Chunk> | undefined = readAt(next);
      while (pending) {
        const { buffer, length }: Chunk = await pending;
        next += length;
        let data: Buffer;
        if (carry.length <= CARRY_ROOM) {
          carry.copy(buffer, CARRY_ROOM - carry.length);
          data = buffer.subarray(CARRY_ROOM - carry.length, CARRY_ROOM + length);
        } else if (need > carry.length + length && length > 0 && next < end) {
          data = Buffer.allocUnsafe(Math.min(need, carry.length + length + (end - next)));
          carry.copy(data, 0);
          buffer.copy(data, carry.length, CARRY_ROOM, CARRY_ROOM + length);
          let filled = carry.length + length;
          while (filled < data.length) {
            const { bytesRead } = await handle.read(data, filled, data.length - filled, next);
            if (bytesRead === 0) break; // cut short since the stat: the rest is read next time
            filled += bytesRead;
            next += bytesRead;
          }
          data = data.subarray(0, filled);
        } else {
          data = Buffer.concat([carry, buffer.subarray(CARRY_ROOM, CARRY_ROOM + length)]);
          chunk = Math.max(chunk, data.length); // a record larger than a chunk: read more at once, not copy it over and over
        }
        carry = Buffer.alloc(0); // its bytes are in `data` now
        pending = length > 0 && next < end ? readAt(next) : undefined;
        const step = consume(data, from + used);
        used += step.used;
        carry = data.subarray(step.used);
        need = step.need ?? 0;
        if (step.stop) {
          await pending?.catch(() => undefined);
          break;
        }
      }
    }
    return { used, size: info.size, mtimeMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}

// Synchronous reads for the hot path of a big store: 10,000 runs are ~160,000 small files, and a
// promise per open/stat/read/close costs more than the read itself. Callers yield between runs.

export function listDirSync(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

/** Files under `dir`, keyed by their path relative to it with "/" (MLflow's `train/loss` is a nested folder). Depth-bounded. */
export function filesUnderSync(dir: string, depth = 8): { key: string; path: string }[] {
  const out: { key: string; path: string }[] = [];
  const walk = (at: string, prefix: string, left: number): void => {
    for (const entry of listDirSync(at)) {
      const path = join(at, entry.name);
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (left > 0) walk(path, key, left - 1);
      } else if (entry.isFile()) out.push({ key, path });
    }
  };
  walk(dir, '', depth);
  return out;
}


const scratch = Buffer.alloc(64 * 1024);

/**
 * A small file's text, or its last `tailBytes` when it is larger: one open and one read for a file
 * that fits (most metric files, every param and tag); a stat and a second read only for big ones.
 */
export function readSmallOrTailSync(path: string, tailBytes: number): { text: string; whole: boolean } {
  const fd = openSync(path, 'r');
  try {
    const want = Math.min(tailBytes, scratch.length);
    const read = readSync(fd, scratch, 0, want, 0);
    if (read < want) return { text: scratch.toString('utf8', 0, read), whole: true };
    const size = fstatSync(fd).size;
    if (size === read) return { text: scratch.toString('utf8', 0, read), whole: true };
    const tail = readSync(fd, scratch, 0, want, Math.max(0, size - want));
    return { text: scratch.toString('utf8', 0, tail), whole: false };
  } finally {
    closeSync(fd);
  }
}
