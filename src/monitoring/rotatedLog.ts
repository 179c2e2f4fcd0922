import { existsSync, statSync } from 'node:fs';
import { UserError } from '../common/errors';
import type { SqlParams } from '../data/engine/sqlText';

// A served app's request log rotates by size (requestLogText.ts: requests.jsonl.1 … .N, .1 the
// newest old file), so right after a rotation the live file holds a handful of rows. As the current
// side, the log is read with its rotated files, oldest first, in place: DuckDB's read_json is given
// the list (nothing copied; union_by_name, so a file written before the app gained a column still
// reads). A rotation renames the files under the reader, so one during the read could skip or repeat
// a file's rows: each path's file identity (device and inode) is taken before and after, and a read
// that saw them change is done again. The report says how many files were read.

/** At most this many rotated files are read (MODEL_REQUEST_LOG_FILES is 5 by default). */
const MAX_ROTATED = 100;
/** Reads of a log that kept rotating under them; the last one's rows are taken, marked `unstable`. */
export const MAX_READS = 3;

/** The log's files oldest first (`path.N` … `path.1`, `path`), or just `path` when nothing rotated. */
export function rotatedLogFiles(path: string): string[] {
  if (!/\.jsonl$/i.test(path)) return [path];
  const old: string[] = [];
  for (let i = 1; i <= MAX_ROTATED && existsSync(`${path}.${i}`); i++) old.push(`${path}.${i}`);
  return [...old.reverse(), path];
}

/** The files as DuckDB reads them: one scan of the list, in order. */
export function logScan(files: readonly string[], params: SqlParams): string {
  return `read_json([${files.map((f) => params.bind(f)).join(', ')}], format = 'newline_delimited', union_by_name = true)`;
}

/** Which file each path is: a rename (a rotation) changes it, an append does not. */
function identities(files: readonly string[]): string {
  return files.map((f) => {
    const s = statSync(f, { throwIfNoEntry: false, bigint: true });
    return s ? `${s.dev}:${s.ino}` : '-';
  }).join(' ');
}

/**
 * `read(files)` on the log's files, listed again and read again when a rotation happened meanwhile
 * (an error then too: the live file is missing between its rename and the new one). `files`: how
 * many the last read took; `unstable`: every read saw a rotation, so the last may skip or repeat rows.
 */
export async function readRotatedLog<T>(path: string, read: (files: readonly string[]) => Promise<T>): Promise<{ readonly result: T; readonly files: number; readonly unstable?: true }> {
  for (let attempt = 1; ; attempt++) {
    const files = rotatedLogFiles(path);
    const before = identities(files);
    let result: T;
    try {
      result = await read(files);
    } catch (error) {
      if (identities(rotatedLogFiles(path)) === before) throw error;
      if (attempt >= MAX_READS) throw new UserError(`The request log rotated during each of ${MAX_READS} reads, the last failing (${(error as Error).message}): try again when the server is less busy, or raise MODEL_REQUEST_LOG_BYTES.`);
      continue;
    }
    if (identities(rotatedLogFiles(path)) === before) return { result, files: files.length };
    if (attempt >= MAX_READS) return { result, files: files.length, unstable: true };
  }
}
