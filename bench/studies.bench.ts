// Optuna studies, each figure beside its baseline in the same run:
// - optuna_10k_trials_ms: a 10,000-trial study (3 params, 2 reports each) written by the real
//   Optuna into SQLite, read as the extension reads it (through the reader worker, the snapshot
//   copied back to this thread), to the tree's items (the study's line, the 300 newest trials'
//   lines, studyLines.ts as studiesTree.ts calls it) and the study view's data (buildStudyView:
//   history, table rows; the fANOVA importances come fitted by the worker on the first read and
//   are reused by the next reads of the unchanged file, so the median leaves the fit out), vs
//   `optuna.load_study(...).trials_dataframe()` on the same file timed inside Python (interpreter
//   start and import not counted). Median of 5; the first pays for starting the worker. Target ≤ 0.1.
// - study_live_update_ms: a trial completed by a running Optuna process (its datetime_complete)
//   until the catalog polling the file (300 ms, through the reader worker) has it and the tree's
//   items for the study (the strings its TreeItems get) list it; median and max. VS Code's own
//   drawing of the tree after onDidChangeTreeData is not in it (no VS Code here).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historySeries } from '../src/studies/studyAnalysis';
import { StudyCatalog } from '../src/studies/studyCatalog';
import { StudyReaders } from '../src/studies/studyReaders';
import { buildStudyView } from '../src/studies/studyViewData';
import { studyDescription, treeTrials, trialDescription } from '../src/studies/studyLines';
import type { StudyRecord } from '../src/studies/studyModel';
import { OPTUNA_PYTHON, optunaBulkScript, startOptunaStudy } from '../test/support/optunaWriter';
import { median, withBaseline, type BenchMetric } from './metric';

const TRIALS = Number(process.env.BENCH_OPTUNA_TRIALS ?? 10_000);

/** The tree's items for a study: its line and its listed trials' labels and lines. */
function treeItems(study: StudyRecord): string[] {
  return [studyDescription(study), ...treeTrials(study).shown.map((t) => `#${t.number} ${trialDescription(t)}`)];
}

async function bigStudy(dir: string): Promise<BenchMetric[]> {
  const path = join(dir, 'big.db');
  execFileSync(OPTUNA_PYTHON, ['-c', optunaBulkScript(), path, String(TRIALS)], { stdio: 'inherit' });
  const pythonMs = execFileSync(
    OPTUNA_PYTHON,
    ['-c', `import sys, time, optuna\noptuna.logging.set_verbosity(optuna.logging.WARNING)\nts = []\nfor _ in range(3):\n    t = time.perf_counter()\n    df = optuna.load_study(study_name='big', storage='sqlite:///' + sys.argv[1]).trials_dataframe()\n    ts.append((time.perf_counter() - t) * 1000)\n    assert len(df) == ${TRIALS}\nprint(sorted(ts)[1])`, path],
    { encoding: 'utf8' },
  );
  const ours: number[] = [];
  const readers = new StudyReaders();
  try {
    // Five reads, the median kept: the first pays for starting the worker and compiling the readers (Python's imports are not timed either).
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const snap = await readers.read({ kind: 'optuna-sqlite', path });
      const study = snap.studies[0]!;
      const items = treeItems(study);
      const history = historySeries(study);
      const view = buildStudyView(study, path, snap.problems, () => undefined);
      ours.push(performance.now() - t);
      if (study.trials.length !== TRIALS || items.length !== Math.min(TRIALS, 300) + 1 || history.numbers.length !== TRIALS || view.importances.length !== 3) throw new Error(`read ${study.trials.length} trials`);
    }
  } finally {
    readers.dispose();
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
      const study = catalog.studies()[0];
      if (!study) return;
      const items = treeItems(study);
      const now = Date.now();
      for (const t of study.trials) {
        if (t.state !== 'complete' || seen.has(t.number) || t.complete === undefined) continue;
        if (!items.some((line) => line.startsWith(`#${t.number} `))) continue; // not among the tree's items (yet)
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
    return [...(await bigStudy(dir)), ...(await liveUpdate(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
