// Serving and monitoring, beside baselines in the same run:
// - drift_1m_rows_20_cols_ms: a drift report (detectDrift: the data engine, from cold, started from the
//   bundle the extension runs, dist/engine/dataEngine.js: `npm run build` first) over a 1M-row
//   reference and a 1M-row current CSV of 20 columns (15 numeric, 5 categorical; so normed Wasserstein
//   and Jensen-Shannon), beside pandas read_csv of both files + a scipy loop over the same columns
//   (wasserstein_distance / np.std, jensenshannon of value counts; Debian python3-scipy) timed inside
//   Python. Target ratio <= 0.5. drift_scipy_stats_only_ms: the scipy loop alone, files already read.
// - request_log_overhead_ms: p50 latency added per /predict request by the request log: the
//   scikit-learn app served twice (log on, log off) by Debian's uvicorn, requests alternated between
//   them from one client; p50(on) - p50(off). Target < 0.5. On a loaded machine that difference is
//   noise (it read -8.9 and 0.48 at load 17), so request_log_overhead_cpu_ms gives the CPU the log
//   costs: (CPU time of the server logging - of the one not) / requests, from /proc (Linux).
// ML_ENGINEER_BENCH_DRIFT_ROWS scales the files down for a quick check (the name keeps "1m").
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DataEngine } from '../src/data/engine/engineClient';
import { FileDatasetSource } from '../src/data/engine/fileDatasetSource';
import { writeDeployment } from '../src/models/deploy/deployPlan';
import { inspectModel } from '../src/models/inspectModel';
import { detectDrift } from '../src/monitoring/driftScan';
import { latencyStats } from '../src/models/runtime/benchmarkStats';
import { LocalModelServer } from '../src/serving/localServer';
import { planServeApp } from '../src/serving/servePlan';
import { withBaseline, type BenchMetric } from './metric';

const ROWS = Number(process.env.ML_ENGINEER_BENCH_DRIFT_ROWS ?? 1_000_000);
const PYTHON = '/usr/bin/python3';
const sqlPath = (p: string): string => `'${p.replaceAll("'", "''")}'`;

async function writeFiles(dir: string): Promise<{ reference: string; current: string }> {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  const file = async (name: string, seed: number, shift: number): Promise<string> => {
    const path = join(dir, name);
    const numeric = Array.from({ length: 15 }, (_, k) => `round((random() + random() + random()) * ${10 + k} + ${shift * (k % 3)}, 3) AS n${k}`);
    const categorical = Array.from({ length: 5 }, (_, k) => `'c' || CAST(floor(random() * ${3 + k * 4} + ${shift * (k % 2)}) AS INTEGER) AS c${k}`);
    await c.run(`SELECT setseed(${seed})`);
    await c.run(`COPY (SELECT ${[...numeric, ...categorical].join(', ')} FROM range(${ROWS})) TO ${sqlPath(path)} (HEADER)`);
    return path;
  };
  const reference = await file('reference.csv', 0.1, 0);
  const current = await file('current.csv', 0.2, 1);
  c.closeSync();
  return { reference, current };
}

function scipyMs(reference: string, current: string): { total: number; stats: number } {
  const code = `import sys, time, json, numpy as np, pandas as pd
from scipy.stats import wasserstein_distance
from scipy.spatial.distance import jensenshannon
t0 = time.perf_counter()
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
t1 = time.perf_counter()
out = {}
for c in a.columns:
    x, y = a[c].dropna(), b[c].dropna()
    if x.dtype == object:
        r, s = x.value_counts(), y.value_counts()
        keys = sorted(set(r.index) | set(s.index))
        out[c] = jensenshannon([r.get(k, 0) for k in keys], [s.get(k, 0) for k in keys])
    else:
        out[c] = wasserstein_distance(x, y) / max(np.std(x), 0.001)
t2 = time.perf_counter()
print(json.dumps({"total": (t2 - t0) * 1000, "stats": (t2 - t1) * 1000}))`;
  const result = spawnSync(PYTHON, ['-c', code, reference, current], { encoding: 'utf8', timeout: 900_000 });
  if (result.status !== 0) throw new Error(`scipy baseline failed (python3-scipy, python3-pandas?): ${result.stderr}`);
  return JSON.parse(result.stdout) as { total: number; stats: number };
}

async function driftMetrics(dir: string): Promise<BenchMetric[]> {
  // The engine as users get it: from source it would first be compiled by tsx in its child, seconds
  // the extension never spends.
  const script = join(__dirname, '..', 'dist', 'engine', 'dataEngine.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  const { reference, current } = await writeFiles(dir);
  const engine = new DataEngine({ memoryLimitMb: 2048, threads: 2, script });
  try {
    const started = performance.now();
    const result = await detectDrift(new FileDatasetSource(reference, engine), new FileDatasetSource(current, engine), {}, new AbortController().signal);
    const ours = performance.now() - started;
    if (result.columns.length !== 20) throw new Error(`compared ${result.columns.length} columns, not 20`);
    const scipy = scipyMs(reference, current);
    return [withBaseline('drift_1m_rows_20_cols_ms', ours, 'ms', scipy.total), withBaseline('drift_scipy_stats_only_ms', scipy.stats, 'ms')];
  } finally {
    await engine.close();
  }
}

/** A process's CPU time (user + system, all threads), ms, from /proc/<pid>/stat; undefined off Linux. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function requestLogMetric(dir: string): Promise<BenchMetric[]> {
  const model = join(__dirname, '..', 'examples', 'models', 'churn_pipeline.joblib');
  const app = join(dir, 'app');
  writeDeployment(planServeApp(inspectModel(model), model), app);
  const on = await LocalModelServer.start({ python: PYTHON, appDir: app, module: 'app', env: { MODEL_REQUEST_LOG: join(dir, 'log', 'requests.jsonl') } });
  const off = await LocalModelServer.start({ python: PYTHON, appDir: app, module: 'app', env: { MODEL_REQUEST_LOG: 'off' } });
  try {
    const body = JSON.stringify({ instances: [{ tenure_months: 12, monthly_charges: 70.5, support_calls: 2, contract_years: 1 }] });
    const times: Record<'on' | 'off', number[]> = { on: [], off: [] };
    let cpuStart: [number | undefined, number | undefined] = [undefined, undefined];
    for (let i = 0; i < 1100; i++) {
      if (i === 100) cpuStart = [cpuMs(on.pid), cpuMs(off.pid)];
      for (const [name, server] of (i % 2 ? [['on', on], ['off', off]] : [['off', off], ['on', on]]) as [['on' | 'off', LocalModelServer], ['on' | 'off', LocalModelServer]]) {
        const t = performance.now();
        const reply = await server.call('/predict', body);
        if (reply.status !== 200) throw new Error(`/predict answered ${reply.status}: ${reply.body}`);
        if (i >= 100) times[name].push(performance.now() - t);
      }
    }
    const p50On = latencyStats(times.on).p50Ms;
    const p50Off = latencyStats(times.off).p50Ms;
    const [cpuOn, cpuOff] = [cpuMs(on.pid), cpuMs(off.pid)];
    const metrics = [withBaseline('request_log_overhead_ms', p50On - p50Off, 'ms')];
    if (cpuOn !== undefined && cpuOff !== undefined && cpuStart[0] !== undefined && cpuStart[1] !== undefined) {
      metrics.push(withBaseline('request_log_overhead_cpu_ms', (cpuOn - cpuStart[0] - (cpuOff - cpuStart[1])) / times.on.length, 'ms'));
    }
    return metrics;
  } finally {
    await on.stop();
    await off.stop();
  }
}

export async function run(): Promise<BenchMetric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mle-bench-monitoring-'));
  try {
    return [...(await driftMetrics(dir)), ...(await requestLogMetric(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
