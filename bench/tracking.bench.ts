// Experiment tracking readers, each beside a raw read of the same files in the same run:
// - tfevents_mb_per_s: a 100 MB scalar event file loaded as a TensorBoard run (CRC checks, decode,
//   series, summaries), vs readFileSync of it; tfevents_decode_mb_per_s: the decoder alone (into columns).
// - mlflow_10k_runs_ms: a FileStore of 10,000 runs x 10 metrics x 100 steps (+ params and tags, as
//   MLflow writes them): time until the tree's first rows (every run listed with name, status and
//   times), vs `cat` of every file of the store; mlflow_10k_runs_full_ms: until every run also has
//   its params, tags and latest metrics, sorted by the key metric.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowFileStore } from '../src/tracking/mlflowFileStore';
import { RunCatalog } from '../src/tracking/runCatalog';
import { filterRuns, keyMetric, sortRuns } from '../src/tracking/runQuery';
import { TensorBoardLogDir } from '../src/tracking/tensorboardRuns';
import { readTfEvents } from '../src/tracking/tfevents';
import type { ColumnSeries } from '../src/tracking/columnSeries';
import { writeMlflowExperiment } from '../test/support/trackingFixtures';
import { median, withBaseline, type BenchMetric } from './metric';

const RUNS = Number(process.env.BENCH_MLFLOW_RUNS ?? 10_000);

async function mlflow(): Promise<BenchMetric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-mlflow-'));
  try {
    const steps = (seed: number) => Array.from({ length: 100 }, (_, i) => 1 / (i + 1) + seed * 1e-6);
    const runs = Array.from({ length: RUNS }, (_, r) => ({
      id: r.toString(16).padStart(32, '0'),
      name: `run-${r}`,
      params: { lr: String(10 ** -(r % 5)), batch_size: String(32 << r % 4), model: r % 2 ? 'mlp' : 'cnn' },
      metrics: Object.fromEntries(Array.from({ length: 10 }, (_, m) => [m === 0 ? 'val_loss' : `metric_${m}`, steps(r)])),
    }));
    writeMlflowExperiment(join(dir, 'mlruns'), '1', 'bench', runs);
    const files = Number(execFileSync('sh', ['-c', `find "${dir}/mlruns" -type f | wc -l`], { encoding: 'utf8' }).trim());
    const ours: number[] = [];
    const firstRows: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      execFileSync('sh', ['-c', `find "${dir}/mlruns" -type f -exec cat {} + > /dev/null`]);
      raw.push(performance.now() - t);
      t = performance.now();
      const catalog = new RunCatalog();
      catalog.setSources([new MlflowFileStore(join(dir, 'mlruns'))]);
      const started = t;
      // What the tree does: it draws when the quick listing arrives (names, status, times), then again with metrics.
      await catalog.loadAll(undefined, () => {
        const rows = sortRuns(filterRuns(catalog.runs(), {}));
        if (rows.length !== RUNS) throw new Error(`first listing had ${rows.length} runs`);
        firstRows.push(performance.now() - started);
      });
      const all = catalog.runs();
      const rows = sortRuns(filterRuns(all, {}), keyMetric(all));
      ours.push(performance.now() - t);
      if (rows.length !== RUNS || rows[0]!.metrics.length !== 10) throw new Error(`read ${rows.length} runs`);
    }
    return [
      withBaseline('mlflow_10k_runs_ms', median(firstRows), 'ms', median(raw)),
      withBaseline('mlflow_10k_runs_full_ms', median(ours), 'ms', median(raw)),
      withBaseline('mlflow_files', files, 'files'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TARGET_MB = Number(process.env.BENCH_TFEVENTS_MB ?? 100);

export async function run(): Promise<BenchMetric[]> {
  return [...(await tfevents()), ...(await mlflow())];
}

async function tfevents(): Promise<BenchMetric[]> {
  // A real scalar event file (torch.utils.tensorboard), its records repeated to 100 MB: still valid
  // TFRecords. Timed as the Experiments view reads it: a TensorBoard log folder loaded from disk
  // (read, CRC checks, decode, per-tag series, summaries), beside readFileSync of the same file.
  const dir = join(__dirname, '..', '..', 'shared', 'corpora', 'tfevents', 'runs', 'strict', 'run_1');
  const one = readFileSync(join(dir, readdirSync(dir)[0]!));
  const copies = Math.ceil((TARGET_MB * 1024 * 1024) / one.length);
  const logs = mkdtempSync(join(tmpdir(), 'mle-bench-tf-'));
  mkdirSync(join(logs, 'run'));
  const file = join(logs, 'run', 'events.out.tfevents.bench');
  writeFileSync(file, Buffer.concat(Array.from({ length: copies }, () => one)));
  try {
    const ours: number[] = [];
    const decodeOnly: number[] = [];
    const raw: number[] = [];
    let points = 0;
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      const bytes = readFileSync(file);
      raw.push(performance.now() - t);
      t = performance.now();
      const snapshot = await new TensorBoardLogDir(logs).load();
      ours.push(performance.now() - t);
      const run = snapshot.experiments[0]?.runs[0];
      points = run?.metrics[0]?.count ?? 0;
      if (!run || run.problems.length > 0 || points === 0) throw new Error(`bad read: ${run?.problems.join('; ')}`);
      t = performance.now();
      const columns = new Map<string, ColumnSeries>();
      readTfEvents(bytes, 0, new Map(), columns);
      decodeOnly.push(performance.now() - t);
      const n = [...columns.values()].reduce((sum, c) => sum + c.length, 0);
      if (n !== points) throw new Error(`${n} points decoded, ${points} in the run`);
    }
    const mb = (copies * one.length) / 1024 / 1024;
    return [
      withBaseline('tfevents_mb_per_s', mb / (median(ours) / 1000), 'MB/s', mb / (median(raw) / 1000)),
      withBaseline('tfevents_decode_mb_per_s', mb / (median(decodeOnly) / 1000), 'MB/s', mb / (median(raw) / 1000)),
      withBaseline('tfevents_points', points, 'points'),
    ];
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
}
