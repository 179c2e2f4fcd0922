import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/common/errors';
import { DataEngine } from '../../src/data/engine/engineClient';
import { execute } from '../../src/kernels/execution';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { detectFileDrift, type DriftResult } from '../../src/monitoring/driftScan';
import { detectDriftTool } from '../../src/monitoring/driftTool';
import { kernelFrameFile, type KernelFrameFile } from '../../src/monitoring/kernelFrame';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { startJupyter, type JupyterFixture } from '../support/jupyterHarness';

// Drift on kernel DataFrames (Compare Datasets… and detect_drift with a variable on either side)
// against a real ipykernel with Debian's pandas and scipy: the frame written by the kernel to a
// temporary file (CSV typed by the kernel here: pyarrow is not installed), read by the real data
// engine, the statistics equal to scipy's computed in the same kernel on the same frames, the
// user's history and namespace untouched, the temporary files removed.

const SETUP = String.raw`
import numpy as np, pandas as pd
rng = np.random.default_rng(7)
def frame(n, shift):
    return pd.DataFrame({
        "age": rng.normal(40 + 8 * shift, 10, n).round(1),
        "income": rng.lognormal(10, 0.5 + 0.3 * shift, n).astype(np.float32),
        "clicks": pd.array(np.where(rng.random(n) < 0.1, None, rng.poisson(3 + 3 * shift, n)), dtype="Int64"),
        "plan": pd.Categorical(rng.choice(["basic", "pro", "team"] + (["enterprise"] if shift else []), n)),
        "zip": rng.choice(["01", "1", "", "02"], n).astype(object),
        "flag": rng.random(n) < 0.3 + 0.4 * shift,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 100, n), unit="D"),
        "note": np.where(rng.random(n) < 0.5, None, 'a "quoted", multi\nline value').astype(object),
    })
ref_small, cur_small = frame(600, 0), frame(500, 1)
ref_big, cur_big = frame(3000, 0), frame(2500, 0)
not_a_frame = 42
`;

const SCIPY = String.raw`
import json
from scipy.stats import ks_2samp, chi2_contingency, wasserstein_distance
from scipy.spatial.distance import jensenshannon
from scipy.stats import norm
def ztest(r, s):  # two proportions, pooled (Evidently's proportions_diff_z_test), two-sided
    n1, n2 = sum(r), sum(s)
    p = (r[0] + s[0]) / (n1 + n2)
    return 1.0 if p in (0, 1) else float(2 * norm.sf(abs((r[0] / n1 - s[0] / n2) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)))))
def stats(a, b):
    out = {}
    for c in a.columns:
        x, y = a[c].dropna(), b[c].dropna()
        if str(a[c].dtype).startswith("datetime") or len(x) == 0 or len(y) == 0:
            continue
        if a[c].dtype == object or str(a[c].dtype) in ("category", "bool"):
            x, y = x.astype(str).str.lower(), y.astype(str).str.lower()
            keys = sorted(set(x) | set(y))
            r = [int((x == k).sum()) for k in keys]; s = [int((y == k).sum()) for k in keys]
            out[c] = {"chisquare": chi2_contingency([r, s])[1] if len(keys) > 1 else 1.0, "jensenshannon": float(jensenshannon(r, s)), "ztest": ztest(r, s) if len(keys) <= 2 else None}
        else:
            x, y = x.astype("float64"), y.astype("float64")
            out[c] = {"ks": float(ks_2samp(x, y).pvalue), "wasserstein": float(wasserstein_distance(x, y) / max(np.std(x), 0.001))}
    return out
print(json.dumps({"small": stats(ref_small, cur_small), "big": stats(ref_big, cur_big)}))
`;

const ac = (): AbortSignal => new AbortController().signal;

describe('Drift on kernel DataFrames, through the data engine, checked against scipy in the kernel', function () {
  this.timeout(180_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;
  let engine: DataEngine;
  let scipy: Record<'small' | 'big', Record<string, Record<string, number>>>;

  const cell = async (code: string): Promise<{ text: string; count: number }> => {
    const run = execute(kernel, code);
    await run.done;
    assert.equal(run.outputs.outputs.find((o) => o.type === 'error'), undefined, JSON.stringify(run.outputs.outputs));
    return { text: run.outputs.outputs.map((o) => (o.type === 'stream' ? o.text : '')).join(''), count: run.outputs.executionCount! };
  };

  const compare = async (a: string, b: string, options: { csv?: boolean; copy?: boolean } = {}): Promise<{ result: DriftResult; files: KernelFrameFile[] }> => {
    const files = [await kernelFrameFile(kernel, a, ac(), options), await kernelFrameFile(kernel, b, ac(), options)];
    try {
      return { result: await detectFileDrift(engine, files[0]!, files[1]!, {}, ac()), files };
    } finally {
      await Promise.all(files.map((f) => f.dispose()));
    }
  };

  const checkAgainstScipy = (result: DriftResult, expected: Record<string, Record<string, number>>): void => {
    assert.deepEqual(result.columns.map((c) => c.column).sort(), Object.keys(expected).sort());
    for (const c of result.columns) {
      const want = expected[c.column]![c.test];
      assert.ok(want !== undefined, `${c.column}: no scipy value for ${c.test}`);
      assert.ok(Math.abs(c.value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${c.column} ${c.test}: ${c.value} vs scipy ${want}`);
    }
  };

  before(async () => {
    jupyter = await startJupyter();
    kernel = await jupyter.start();
    await cell(SETUP);
    scipy = JSON.parse((await cell(SCIPY)).text) as typeof scipy;
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
  });
  after(async () => {
    await engine?.close();
    await jupyter?.close();
  });

  it('compares two small frames (KS, chi-squared) as scipy does, text of digits kept as text, dates left out with their dtype', async () => {
    const nulls = Number((await cell('print(int(ref_small["clicks"].isna().sum()))')).text);
    const before = await cell('names_before = sorted(globals())');
    const { result, files } = await compare('ref_small', 'cur_small');
    assert.equal(result.reference, 'ref_small');
    assert.equal(result.current, 'cur_small');
    assert.equal(result.referenceRows, 600);
    assert.equal(result.currentRows, 500);
    assert.deepEqual(files.map((f) => [f.format, f.copied]), [['csv', false], ['csv', false]]);
    checkAgainstScipy(result, scipy.small);
    const byName = new Map(result.columns.map((c) => [c.column, c]));
    assert.equal(byName.get('zip')?.kind, 'categorical', 'zip codes "01" and "1" are two categories, not the number 1');
    assert.ok(byName.get('zip')?.histogram.labels.includes(''), 'an empty string is a value, not a null');
    assert.equal(byName.get('clicks')?.referenceCount, 600 - nulls);
    // The report view's bins come from the scan for a frame as for a file: edges, and counts adding up per side.
    const clicks = byName.get('clicks')!.histogram;
    assert.equal(clicks.edges?.length, clicks.reference.length + 1);
    assert.equal(clicks.reference.reduce((s, x) => s + x, 0), 600 - nulls);
    const plan = byName.get('plan')!.histogram;
    const enterprise = plan.labels.indexOf('enterprise');
    assert.ok(enterprise >= 0 && plan.reference[enterprise] === 0 && plan.current[enterprise]! > 0, 'a category of the current frame only is counted');
    assert.ok(byName.get('plan')?.drifted && byName.get('age')?.drifted && byName.get('flag')?.drifted);
    assert.deepEqual(result.skipped, [{ column: 'when', reason: 'datetime64[ns] columns are not compared' }]);
    for (const f of files) assert.equal(existsSync(f.path), false, `${f.path} was left behind`);
    // Silent requests: no execution counted, nothing added to the user's namespace.
    const after = await cell('import re; print([k for k in sorted(set(globals()) - set(names_before)) if not re.fullmatch(r"_+|_i+|_i?[0-9]+", k)])');
    assert.equal(after.count, before.count + 1);
    assert.equal(after.text.trim(), "['names_before', 're']");
  });

  it('compares two large frames (Wasserstein, Jensen-Shannon) as scipy does, a frame copied over the connection too', async () => {
    const { result, files } = await compare('ref_big', 'cur_big', { copy: true });
    assert.deepEqual(files.map((f) => f.copied), [true, true]);
    checkAgainstScipy(result, scipy.big);
    assert.equal(result.datasetDrift, false);
    for (const f of files) assert.equal(existsSync(f.path), false);
    assert.equal((await cell('import glob, tempfile, os; print(len(glob.glob(os.path.join(tempfile.gettempdir(), "ml-engineer-frame-*"))))')).text.trim(), '0');
  });

  it('compares a frame with a file pandas wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-drift-kernel-'));
    try {
      const path = join(dir, 'ref big.csv');
      await cell(`ref_big.drop(columns=["when"]).to_csv(${JSON.stringify(path)}, index=False)`);
      assert.ok(readFileSync(path, 'utf8').startsWith('age,'));
      const frame = await kernelFrameFile(kernel, 'cur_big', ac());
      try {
        const result = await detectFileDrift(engine, path, frame, {}, ac());
        assert.equal(result.current, 'cur_big');
        // Numbers and categories as in the frame-to-frame comparison: the file's columns are sniffed, the frame's declared.
        const values = new Map(result.columns.map((c) => [c.column, c.value]));
        for (const c of ['age', 'clicks', 'plan']) assert.ok(Math.abs(values.get(c)! - scipy.big[c]![c === 'plan' ? 'jensenshannon' : 'wasserstein']!) < 1e-6, c);
      } finally {
        await frame.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detect_drift takes a kernel variable on either side, a file on the other, and removes the temporary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-drift-tool-'));
    try {
      await cell(`ref_small.to_csv(${JSON.stringify(join(dir, 'ref.csv'))}, index=False)`);
      const tool = detectDriftTool(() => engine, () => Promise.resolve(kernel));
      const context = { files: new WorkspaceFiles([{ name: 'ws', path: dir }]), applyChange: () => Promise.resolve() };
      const out = await tool.run({ reference: 'ref.csv', current_variable: 'cur_small' }, context, ac());
      assert.match(out.content, /^# Drift: cur_small against ref\.csv/);
      assert.match(out.summary ?? '', /^\d+\/7 columns drifted/);
      await assert.rejects(tool.run({ reference: 'ref.csv', reference_variable: 'ref_small', current_variable: 'cur_small' }, context, ac()), /either reference \(a file\) or reference_variable/);
      await assert.rejects(detectDriftTool(() => engine).run({ reference_variable: 'ref_small', current: 'ref.csv' }, context, ac()), /needs a notebook kernel/);
      assert.equal((await cell('import glob, tempfile, os; print(len(glob.glob(os.path.join(tempfile.gettempdir(), "ml-engineer-frame-*"))))')).text.trim(), '0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what is wrong: not a DataFrame, undefined, too large for the bound (and leaves no file)', async () => {
    await assert.rejects(kernelFrameFile(kernel, 'not_a_frame', ac()), (e: unknown) => e instanceof UserError && /not_a_frame is a int, not a DataFrame/.test(e.message));
    await assert.rejects(kernelFrameFile(kernel, 'missing_frame', ac()), (e: unknown) => e instanceof UserError && /not defined/.test(e.message));
    await assert.rejects(kernelFrameFile(kernel, 'ref_big', ac(), { maxBytes: 10_000 }), (e: unknown) => e instanceof UserError && /ref_big takes more than .* sample/.test(e.message));
    await assert.rejects(kernelFrameFile(kernel, 'x; import os', ac()), /not a variable name/);
    assert.equal((await cell('print(len(glob.glob(os.path.join(tempfile.gettempdir(), "ml-engineer-frame-*"))))')).text.trim(), '0');
  });
});
