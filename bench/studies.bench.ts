// Optuna studies, each figure beside its baseline in the same run:
// - optuna_10k_trials_ms: a 10,000-trial study (3 params, 2 reports each) written by the real
//   Optuna into SQLite, read into the tree (every trial's line, the study's description) and the
//   study view's history chart data, vs `optuna.load_study(...).trials_dataframe()` on the same
//   file timed inside Python (interpreter start and import not counted). Target ratio ≤ 0.1.
// - study_live_update_ms: a trial completed by a running Optuna process (its datetime_complete)
//   until the catalog polling the file (300 ms, through the reader worker) has it; median and max.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOptunaSqlite } from '../src/studies/optunaSqlite';
import { historySeries } from '../src/studies/studyAnalysis';
import { StudyCatalog } from '../src/studies/studyCatalog';
import { StudyReaders } from '../src/studies/studyReaders';
import { buildStudyView } from '../src/studies/studyViewData';
import { paramText, studyDescription } from '../src/studies/studyLines';
import { OPTUNA_PYTHON, optunaBulkScript, startOptunaStudy } from '../test/support/optunaWriter';
import { median, withBaseline, type BenchMetric } from './metric';

const TRIALS = Number(process.env.BENCH_OPTUNA_TRIALS ?? 10_000);

function bigStudy(dir: string): BenchMetric[] {
  const path = join(dir, 'big.db');
  execFileSync(OPTUNA_PYTHON, ['-c', optunaBulkScript(), path, String(TRIALS)], { stdio: 'inherit' });
  const pythonMs = execFileSync(
    OPTUNA_PYTHON,
    ['-c', `import sys, time, optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)\nts = []\nfor _ in range(3):\n    t = time.perf_counter()\n    df = optuna.load_study(study_name='big', storage='sqlite:///' + sys.argv[1]).trials_dataframe()\n    ts.append((time.perf_counter() - t) * 1000)\n    assert len(df) == ${TRIALS}\nprint(sorted(ts)[1])`, path],
    { encoding: 'utf8' },
  );
  const ours: number[] = [];
  // Five reads, the median kept: the first pays for compiling the readers (Python's imports are not timed either).
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const snap = readOptunaSqlite(path);
    const study = snap.studies[0]!;
    // What the tree and the view compute: the study's line, each trial's line, the chart's series.
    const lines = [studyDescription(study), ...study.trials.map((tr) => `#${tr.number} ${tr.values?.join(',') ?? ''} ${Object.entries(tr.params).map(([k, v]) => `${k}=${paramText(v)}`).join(', ')}`)];
    const history = historySeries(study);
    buildStudyView(study, path, [], () => undefined);
    ours.push(performance.now() - t);
    if (lines.length !== TRIALS + 1 || history.numbers.length !== TRIALS) throw new Error(`read ${study.trials.length} trials`);
  }
  return [withBaseline('optuna_10k_trials_ms', median(ours), 'ms', Number(pythonMs.trim())), withBaseline('optuna_trials', TRIALS, 'trials')];
}

async function liveUpdate(dir: string): Promise<BenchMetric[]> {
  const path = join(dir, 'live.db');
  const writer = startOptunaStudy(`sqlite:///${path}`, { trials: 12, sleepS: 0.5 });
  const readers = new StudyReaders();
  const lags: number[] = [];
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(await readers.read({ kind: 'optuna-sqlite', path })).studies[0]) await new Promise((r) => setTimeout(r, 100));
    const catalog = new StudyCatalog(readers);
    await catalog.setFiles([{ kind: 'optuna-sqlite', path }]);
    const seen = new Set(catalog.studies()[0]?.trials.filter((t) => t.state === 'complete').map((t) => t.number));
    const done = new Promise<void>((resolve) => writer.on('exit', () => resolve()));
    catalog.startPolling(() => {
      const now = Date.now();
      for (const t of catalog.studies()[0]?.trials ?? []) {
        if (t.state !== 'complete' || seen.has(t.number) || t.complete === undefined) continue;
        seen.add(t.number);
        lags.push(now - t.complete);
      }
    });
    await done;
    await new Promise((r) => setTimeout(r, 1000));
    catalog.dispose();
  } finally {
    writer.kill();
    readers.dispose();
  }
  if (lags.length < 5) throw new Error(`saw ${lags.length} trials complete`);
  return [withBaseline('study_live_update_ms', median(lags), 'ms'), withBaseline('study_live_update_max_ms', Math.max(...lags), 'ms')];
}

export async function run(): Promise<BenchMetric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-studies-'));
  try {
    return [...bigStudy(dir), ...(await liveUpdate(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
