// Experiment tracking readers. So far: TensorBoard event files, read with CRC checks, beside a
// raw read of the same bytes in the same run (issue #7's tfevents_mb_per_s; the MLflow figure
// comes with the MLflow reader).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTfEvents } from '../src/tracking/tfevents';
import { median, withBaseline, type BenchMetric } from './metric';

const TARGET_MB = Number(process.env.BENCH_TFEVENTS_MB ?? 100);

export function run(): Promise<BenchMetric[]> {
  // A real scalar event file (torch.utils.tensorboard), its records repeated to 100 MB: still valid TFRecords.
  const dir = join(__dirname, '..', '..', 'shared', 'corpora', 'tfevents', 'runs', 'strict', 'run_1');
  const one = readFileSync(join(dir, readdirSync(dir)[0]!));
  const copies = Math.ceil((TARGET_MB * 1024 * 1024) / one.length);
  const file = join(mkdtempSync(join(tmpdir(), 'mle-bench-tf-')), 'events.out.tfevents.bench');
  writeFileSync(file, Buffer.concat(Array.from({ length: copies }, () => one)));

  const ours: number[] = [];
  const raw: number[] = [];
  let points = 0;
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    const bytes = readFileSync(file);
    raw.push(performance.now() - t);
    t = performance.now();
    const read = readTfEvents(readFileSync(file));
    ours.push(performance.now() - t);
    points = read.scalars.length;
    if (read.problems.length > 0 || read.consumedBytes !== bytes.length) throw new Error(`bad read: ${read.problems.join('; ')}`);
  }
  const mb = (copies * one.length) / 1024 / 1024;
  return Promise.resolve([
    withBaseline('tfevents_mb_per_s', mb / (median(ours) / 1000), 'MB/s', mb / (median(raw) / 1000)),
    withBaseline('tfevents_points', points, 'points'),
  ]);
}
