import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TensorBoardLogDir } from '../../src/tracking/tensorboardRuns';
import { tfRecordHeader } from './hostileFiles';

// Cases of test/unit/attackReaders.test.ts that run inside the bounded worker (boundedWorker.ts):
// array buffers are counted per worker, and the heap limit does not bound them.

/** Samples this worker's array buffers every millisecond while `work` runs; the most seen, in MB. */
async function peakArrayBuffersMb<T>(work: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage().arrayBuffers;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
  try {
    const value = await work();
    return { value, peakMb: Math.round(Math.max(peak, process.memoryUsage().arrayBuffers) / 2 ** 20) };
  } finally {
    clearInterval(sample);
  }
}

/**
 * A TensorBoard event file of 12 real bytes: a record header claiming `claimMb` MB (its length CRC
 * right), the rest of `fileMb` MB a sparse hole (zeros that cost no disk). Loaded through the real
 * source; the peak of array buffers in MB, and the run's problems.
 */
export async function claimedTfRecord({ claimMb, fileMb }: { claimMb: number; fileMb: number }): Promise<{ peakMb: number; problems: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'mle-attack-tb-'));
  try {
    const run = join(root, 'run1');
    mkdirSync(run);
    const fd = openSync(join(run, 'events.out.tfevents.1.host'), 'w');
    writeSync(fd, tfRecordHeader(claimMb * 2 ** 20));
    ftruncateSync(fd, fileMb * 2 ** 20);
    closeSync(fd);
    const { value, peakMb } = await peakArrayBuffersMb(() => new TensorBoardLogDir(root).load());
    return { peakMb, problems: value.experiments.flatMap((e) => e.runs.flatMap((r) => r.problems)) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
