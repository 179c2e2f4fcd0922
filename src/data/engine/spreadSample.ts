// A sample of a big text file's rows spread over the whole file (not its first rows, which say
// nothing of a sorted column's range): whole lines from evenly spaced windows, under the header,
// written to a temporary file the engine reads with the file's own options and types. The one-scan
// profile (columnSummary.ts) takes its histograms, quantiles and top-value candidates from it.
import { mkdtemp, open, rm } from 'node:fs/promises';
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
/** The widest window (a file of lines past 64 KB gets few of them sampled, none past 1 MB). */
const WINDOW_BYTES_MAX = 1024 * 1024;
/** The sample's size at most: fewer windows where they are wide. */
const SAMPLE_BYTES_MAX = 16 * 1024 * 1024;
/** The head the line length is judged from. */
const HEAD_BYTES = 1024 * 1024;

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
 * change a count. Fewer windows where they would overlap (a row sampled twice) or would pass
 * SAMPLE_BYTES_MAX (wide windows, for long lines). Undefined for a file with no line break in its
 * first MB or no whole line in any window (nothing to sample: the profile then takes two scans).
 */
export async function spreadSample(path: string, signal: AbortSignal, windows = SAMPLE_WINDOWS, windowBytes = SAMPLE_WINDOW_BYTES): Promise<SampleFile | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'ml-engineer-sample-'));
  const file = join(dir, 'sample.csv');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const result = await writeSample(path, file, signal, windows, windowBytes);
    if (!result) await remove();
    return result && { path: file, share: result.share, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Writes the sample to `file` window by window (the editor holds one window at a time); undefined when no whole line was sampled. */
async function writeSample(path: string, file: string, signal: AbortSignal, windows: number, windowBytes: number): Promise<{ share: number } | undefined> {
  const input = await open(path, 'r');
  const output = await open(file, 'w');
  try {
    const size = (await input.stat()).size;
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await input.read(head, 0, head.length, 0);
    const headerEnd = head.indexOf(10);
    if (headerEnd < 0) return undefined;
    await output.write(head.subarray(0, headerEnd + 1));
    const width = Math.min(WINDOW_BYTES_MAX, Math.max(windowBytes, WINDOW_LINES_MIN * meanLineBytes(head.subarray(headerEnd + 1))));
    const body = size - (headerEnd + 1);
    const count = Math.max(1, Math.min(windows, Math.floor(SAMPLE_BYTES_MAX / width), Math.floor(body / width)));
    // The first window at the first row, the last one ending at the end of the file.
    const step = count > 1 ? Math.max(0, body - width) / (count - 1) : 0;
    const buf = Buffer.alloc(Math.min(width, Math.max(0, body)));
    let sampled = 0;
    let last = 10;
    for (let k = 0; k < count; k++) {
      signal.throwIfAborted();
      const at = headerEnd + 1 + Math.floor(step * k);
      const { bytesRead } = await input.read(buf, 0, Math.min(buf.length, size - at), at);
      const chunk = buf.subarray(0, bytesRead);
      // The first window starts on a line; the others start mid-line.
      const from = k === 0 ? 0 : chunk.indexOf(10) + 1;
      const to = at + bytesRead >= size ? bytesRead : chunk.lastIndexOf(10) + 1;
      if ((from > 0 || k === 0) && to > from) {
        await output.write(chunk.subarray(from, to));
        sampled += to - from;
        last = chunk[to - 1] ?? 10;
      }
    }
    if (sampled === 0) return undefined;
    if (last !== 10) await output.write(Buffer.from('\n'));
    return { share: body > 0 ? Math.min(1, sampled / body) : 1 };
  } finally {
    await output.close();
    await input.close();
  }
}
