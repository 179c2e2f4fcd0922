import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { once } from 'node:events';

// A served app's request log rotates by size (requestLogText.ts: requests.jsonl.1 … .N, .1 the
// newest old file), so right after a rotation the live file holds a handful of rows. As the current
// side, the log is read with its rotated files, oldest first, joined into one temporary JSON lines
// file (the engine reads one file per side); the report says how many files were read.

/** At most this many rotated files are read (MODEL_REQUEST_LOG_FILES is 5 by default). */
const MAX_ROTATED = 100;

/** The log's files oldest first (`path.N` … `path.1`, `path`), or just `path` when nothing rotated. */
export function rotatedLogFiles(path: string): string[] {
  if (!/\.jsonl$/i.test(path)) return [path];
  const old: string[] = [];
  for (let i = 1; i <= MAX_ROTATED && existsSync(`${path}.${i}`); i++) old.push(`${path}.${i}`);
  return [...old.reverse(), path];
}

export interface JoinedLog {
  /** The file to read: the log itself when nothing rotated, else the joined copy. */
  readonly path: string;
  readonly files: number;
  dispose(): Promise<void>;
}

/** The request log with its rotated files as one JSON lines file of the same name, in a temporary folder. */
export async function joinRotatedLog(path: string): Promise<JoinedLog> {
  const files = rotatedLogFiles(path);
  if (files.length === 1) return { path, files: 1, dispose: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'mle-drift-log-'));
  const joined = join(dir, basename(path));
  try {
    const out = createWriteStream(joined);
    for (const file of files) {
      let last = 10;
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
        if (!out.write(chunk)) await once(out, 'drain');
        if (chunk.length) last = chunk[chunk.length - 1]!;
      }
      // A file cut mid-line (copied by hand) must not glue its last line to the next file's first.
      if (last !== 10) out.write('\n');
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { path: joined, files: files.length, dispose: () => rm(dir, { recursive: true, force: true }) };
}
