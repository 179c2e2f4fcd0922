// A sample of a big text file's rows spread over the whole file (not its first rows, which say
// nothing of a sorted column's range): whole lines from evenly spaced windows, under the header,
// written to a temporary file the engine reads with the file's own options and types. The one-scan
// profile (columnSummary.ts) takes its histograms, quantiles and top-value candidates from it.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// 8 MB: about 100,000 rows of the bench's 1 GB, 10M-row CSV. A sorted column's quantiles are as
// near their rank as the windows are apart (0.4% of the rows), a shuffled one's within 0.2% (one
// standard error at the median); 16 MB (64 KB windows) said no more and its reads, serial before
// the scan, cost 0.5 s of the profile's 4.5 s on two threads.
export const SAMPLE_WINDOWS = 256;
export const SAMPLE_WINDOW_BYTES = 32 * 1024;
/** Lines a window holds at least: wider windows for a file of long lines. */
const WINDOW_LINES_MIN = 16;
/** The widest window that makes (a file of 64 KB+ lines gets few lines sampled). */
const WINDOW_BYTES_MAX = 1024 * 1024;

/** The mean length of the lines `head` holds whole (its length when it holds none). */
function meanLineBytes(head: Buffer): number {
  let lines = 0;
  for (let at = head.indexOf(10); at >= 0; at = head.indexOf(10, at + 1)) lines++;
  return lines > 0 ? (head.lastIndexOf(10) + 1) / lines : head.length;
}

/** A sample file and how to remove it. */
export interface SampleFile {
  readonly path: string;
  /** The share of the file's rows (past the header) the sample holds, by bytes. */
  readonly share: number;
  readonly remove: () => Promise<void>;
}

/**
 * The header line and the whole lines of SAMPLE_WINDOWS windows spread evenly past it, the first at
 * the first row and the last ending at the end of the file (a window's partial lines dropped). A
 * window that starts inside a quoted field may yield rows that do not parse; the engine drops
 * those (ignore_errors), and any that parse wrongly can only widen a histogram's range, never
 * change a count. Fewer windows where they would overlap (a row sampled twice). Undefined for a
 * file with no line break in its first window (nothing to sample).
 */
export async function spreadSample(path: string, signal: AbortSignal, windows = SAMPLE_WINDOWS, windowBytes = SAMPLE_WINDOW_BYTES): Promise<SampleFile | undefined> {
  const handle = await open(path, 'r');
  const parts: Buffer[] = [];
  let body: number;
  try {
    const size = (await handle.stat()).size;
    const head = Buffer.alloc(Math.min(size, windowBytes));
    await handle.read(head, 0, head.length, 0);
    const headerEnd = head.indexOf(10);
    if (headerEnd < 0) return undefined;
    windowBytes = Math.min(WINDOW_BYTES_MAX, Math.max(windowBytes, WINDOW_LINES_MIN * meanLineBytes(head)));
    parts.push(head.subarray(0, headerEnd + 1));
    body = size - (headerEnd + 1);
    const count = Math.max(1, Math.min(windows, Math.floor(body / windowBytes)));
    // The first window at the first row, the last one ending at the end of the file.
    const step = count > 1 ? Math.max(0, body - windowBytes) / (count - 1) : 0;
    for (let k = 0; k < count; k++) {
      signal.throwIfAborted();
      const at = headerEnd + 1 + Math.floor(step * k);
      const buf = Buffer.alloc(Math.min(windowBytes, size - at));
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      const chunk = buf.subarray(0, bytesRead);
      // The first window starts on a line; the others start mid-line.
      const from = k === 0 ? 0 : chunk.indexOf(10) + 1;
      const to = at + bytesRead >= size ? bytesRead : chunk.lastIndexOf(10) + 1;
      if (from > 0 && to > from) parts.push(chunk.subarray(from, to));
      else if (k === 0 && to > 0) parts.push(chunk.subarray(0, to));
    }
  } finally {
    await handle.close();
  }
  const last = parts[parts.length - 1];
  if (last && last[last.length - 1] !== 10) parts.push(Buffer.from('\n'));
  const dir = await mkdtemp(join(tmpdir(), 'ml-engineer-sample-'));
  const file = join(dir, 'sample.csv');
  await writeFile(file, Buffer.concat(parts));
  const sampled = parts.slice(1).reduce((n, part) => n + part.length, 0);
  return { path: file, share: body > 0 ? Math.min(1, sampled / body) : 1, remove: () => rm(dir, { recursive: true, force: true }) };
}
