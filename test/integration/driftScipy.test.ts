import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataEngine } from '../../src/data/engine/engineClient';
import { FileDatasetSource } from '../../src/data/engine/fileDatasetSource';
import { detectDrift, detectFileDrift, type DriftResult } from '../../src/monitoring/driftScan';
import { driftMarkdown } from '../../src/monitoring/driftReport';
import { driftView } from '../../src/monitoring/driftView';
import type { CategoriesChart } from '../../src/monitoring/protocol';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';

// Drift computed in DuckDB (the data engine's child process) against scipy 1.10 (Debian's
// python3-scipy) on data generated with known shifts: ks_2samp, chi2_contingency,
// wasserstein_distance / np.std, jensenshannon, to 1e-9; empty, constant and all-null columns,
// categories on one side only; a shifted dataset must be found drifting and an unshifted one not.

const PYTHON = '/usr/bin/python3';

const GENERATE = `
import sys, numpy as np, pandas as pd
rng = np.random.default_rng(int(sys.argv[3]))
n, shift = int(sys.argv[2]), float(sys.argv[4])
df = pd.DataFrame({
    "age": rng.normal(40 + 8 * shift, 10, n).round(1),
    "income": rng.lognormal(10, 0.5 + 0.3 * shift, n),
    "clicks": rng.poisson(3 + 3 * shift, n),
    "plan": rng.choice(["basic", "pro", "team"] + (["enterprise"] if shift else []), n),
    "region": rng.choice(["north", "south"], n, p=[0.5, 0.5]),
    "rating": rng.choice([1, 2, 3, 4, 5], n, p=[0.05, 0.1, 0.3, 0.3, 0.25] if shift else [0.1, 0.2, 0.4, 0.2, 0.1]),
    "flag": rng.integers(0, 2, n),
    "constant": np.full(n, 7.0),
    "empty": pd.Series([None] * n, dtype="float64"),
    "mostly_null": np.where(rng.random(n) < 0.9, np.nan, rng.normal(0, 1, n)),
})
df.to_csv(sys.argv[1], index=False)
`;

const SCIPY = `
import sys, json, numpy as np, pandas as pd
from scipy.stats import ks_2samp, chi2_contingency, wasserstein_distance
from scipy.spatial.distance import jensenshannon
from scipy.stats import norm
def ztest(r, s):  # two proportions, pooled (Evidently's proportions_diff_z_test), two-sided
    n1, n2 = sum(r), sum(s)
    p1, p2 = r[0] / n1, s[0] / n2
    p = (r[0] + s[0]) / (n1 + n2)
    return 1.0 if p in (0, 1) else float(2 * norm.sf(abs((p1 - p2) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)))))
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
out = {}
for c in a.columns:
    x, y = a[c].dropna(), b[c].dropna()
    if len(x) == 0 or len(y) == 0:
        continue
    keys = sorted(set(x) | set(y))
    out[c] = {}
    if a[c].dtype == object or len(keys) <= 5:  # Evidently: a number with at most 5 values is compared per value
        r = [int((x == k).sum()) for k in keys]; s = [int((y == k).sum()) for k in keys]
        out[c] = {"chi2": chi2_contingency([r, s])[1] if len(keys) > 1 else 1.0, "js": float(jensenshannon(r, s)), "z": ztest(r, s) if len(keys) <= 2 else None}
    if a[c].dtype != object:
        out[c] |= {"ks_stat": float(ks_2samp(x, y).statistic), "ks": float(ks_2samp(x, y).pvalue), "wd": float(wasserstein_distance(x, y) / max(np.std(x), 0.001))}
print(json.dumps(out))
`;

describe('Drift in the data engine, checked against scipy', function () {
  this.timeout(120_000);
  let dir: string;
  let engine: DataEngine;
  const file = (name: string, n: number, seed: number, shift: number): string => {
    const path = join(dir, name);
    execFileSync(PYTHON, ['-c', GENERATE, path, String(n), String(seed), String(shift)]);
    return path;
  };
  const drift = (ref: string, cur: string, options = {}): Promise<DriftResult> => detectDrift(new FileDatasetSource(ref, engine), new FileDatasetSource(cur, engine), options, new AbortController().signal);
  const scipy = (ref: string, cur: string): Record<string, Record<string, number>> => JSON.parse(execFileSync(PYTHON, ['-c', SCIPY, ref, cur], { encoding: 'utf8' })) as Record<string, Record<string, number>>;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-drift-'));
    engine = new DataEngine({ memoryLimitMb: 512, threads: 2 });
  });
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [label, nRef, nCur] of [['small reference (KS, chi-squared)', 800, 600], ['large reference (Wasserstein, Jensen-Shannon)', 5000, 3000]] as const) {
    it(`${label}: each column's statistic equals scipy's to 1e-9, and the shift is found`, async () => {
      const ref = file(`ref_${nRef}.csv`, nRef, 1, 0);
      const same = file(`same_${nRef}.csv`, nCur, 2, 0);
      const shifted = file(`shifted_${nRef}.csv`, nCur, 3, 1);
      for (const cur of [same, shifted]) {
        const result = await drift(ref, cur);
        const expected = scipy(ref, cur);
        for (const c of result.columns) {
          const e = expected[c.column]!;
          assert.ok(e, `${c.column} compared by scipy too`);
          const want = c.test === 'ks' ? e.ks : c.test === 'chisquare' ? e.chi2 : c.test === 'ztest' ? e.z : c.test === 'wasserstein' ? e.wd : e.js;
          assert.ok(Math.abs(c.value - want!) <= 1e-9, `${c.column} ${c.test}: ${c.value} vs scipy ${want}`);
          if (c.test === 'ks' || c.test === 'wasserstein') assert.ok(Math.abs(c.detail!.ks_statistic! - e.ks_stat!) <= 1e-12, `${c.column} KS statistic`);
        }
        assert.deepEqual(result.skipped.map((s) => s.column), ['empty']);
        assert.match(result.skipped[0]!.reason, /no values/);
        if (cur === same) {
          assert.equal(result.datasetDrift, false, driftMarkdown(result));
          assert.ok(result.columns.filter((c) => c.drifted).length <= 1, driftMarkdown(result));
        } else {
          assert.equal(result.datasetDrift, true, driftMarkdown(result));
          for (const name of ['age', 'income', 'clicks', 'plan', 'rating']) assert.ok(result.columns.find((c) => c.column === name)?.drifted, `${name} drifted\n${driftMarkdown(result)}`);
          assert.equal(result.columns.find((c) => c.column === 'constant')?.drifted, false);
          assert.equal(result.columns.find((c) => c.column === 'region')?.drifted, false);
        }
      }
      // Evidently's choice: by the reference's size, and per value where a column has few (a number: at most 5; a Z-test at most 2 with a small reference).
      const tests = new Map((await drift(ref, same)).columns.map((c) => [c.column, c.test]));
      const small = nRef <= 1000;
      assert.deepEqual(
        ['age', 'clicks', 'plan', 'region', 'rating', 'flag', 'constant'].map((c) => tests.get(c)),
        small ? ['ks', 'ks', 'chisquare', 'ztest', 'chisquare', 'ztest', 'ztest'] : ['wasserstein', 'wasserstein', 'jensenshannon', 'jensenshannon', 'jensenshannon', 'jensenshannon', 'jensenshannon'],
      );
      // Each choice stays overridable: a few-valued number back to KS, a binary category to chi-squared.
      const own = await drift(ref, shifted, { numericTest: 'ks', columnTests: { region: 'chisquare' } });
      const byOwn = new Map(own.columns.map((c) => [c.column, c]));
      const expected = scipy(ref, shifted);
      assert.equal(byOwn.get('rating')?.test, 'ks');
      assert.ok(Math.abs(byOwn.get('rating')!.value - expected['rating']!.ks!) <= 1e-9);
      assert.equal(byOwn.get('region')?.test, 'chisquare');
      assert.ok(Math.abs(byOwn.get('region')!.value - expected['region']!.chi2!) <= 1e-9);
    });
  }

  it("the report view's histograms come from the scan: both sides on the same bins, equal to numpy's; one-sided categories kept", async () => {
    const ref = file('ref_bins.csv', 900, 11, 0);
    const cur = file('cur_bins.csv', 700, 12, 1);
    const result = await drift(ref, cur);
    const NUMPY = String.raw`
import sys, json, numpy as np, pandas as pd
a, b = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
out = {}
for c in ["age", "income", "clicks"]:
    x, y = a[c].dropna().to_numpy(float), b[c].dropna().to_numpy(float)
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    # The bins as the report defines them, floor((x - lo) / width) with the last one closed: np.histogram
    # agrees but for values on an edge, which floating point may put a bin apart.
    bins = lambda v: np.bincount(np.clip(np.floor((v - lo) / ((hi - lo) / 20)), 0, 19).astype(int), minlength=20).tolist()
    out[c] = {"lo": lo, "hi": hi, "ref": bins(x), "cur": bins(y)}
out["plan"] = {"ref": a["plan"].value_counts().to_dict(), "cur": b["plan"].value_counts().to_dict()}
print(json.dumps(out))
`;
    type Bins = { lo: number; hi: number; ref: number[]; cur: number[] };
    const numpy = JSON.parse(execFileSync(PYTHON, ['-c', NUMPY, ref, cur], { encoding: 'utf8' })) as Record<string, Bins> & { plan: { ref: Record<string, number>; cur: Record<string, number> } };
    const by = new Map(result.columns.map((c) => [c.column, c]));
    for (const name of ['age', 'income', 'clicks']) {
      const h = by.get(name)!.histogram;
      const want = numpy[name]!;
      assert.equal(h.edges?.length, 21, `${name}: 20 bins, 21 edges`);
      assert.equal(h.edges[0], want.lo);
      assert.equal(h.edges[20], want.hi);
      assert.equal(h.reference.length, 20);
      assert.equal(h.current.length, 20);
      assert.equal(h.reference.reduce((s, x) => s + x, 0), by.get(name)!.referenceCount);
      assert.equal(h.current.reduce((s, x) => s + x, 0), by.get(name)!.currentCount);
      assert.deepEqual([h.reference, h.current], [want.ref, want.cur], name);
    }
    const plan = by.get('plan')!.histogram;
    const i = plan.labels.indexOf('enterprise');
    assert.ok(i >= 0, 'a category of the current data only is in the histogram');
    assert.deepEqual([plan.reference[i], plan.current[i]], [0, numpy.plan.cur.enterprise]);
    for (const [j, label] of plan.labels.entries()) assert.deepEqual([plan.reference[j], plan.current[j]], [numpy.plan.ref[label] ?? 0, numpy.plan.cur[label] ?? 0]);
    const bars = (driftView(result).rows.find((r) => r.column === 'plan')!.chart as CategoriesChart).bars;
    assert.equal(bars.find((b) => b.label === 'enterprise')?.only, 'current');
  });

  it('PSI on request, thresholds from options, ignored columns, and a report that stays small', async () => {
    const ref = file('ref_psi.csv', 20_000, 4, 0);
    const cur = file('cur_psi.csv', 20_000, 5, 1);
    const result = await drift(ref, cur, { numericTest: 'psi', categoricalTest: 'psi', ignore: ['region'] });
    assert.ok(result.columns.every((c) => c.test === 'psi'));
    assert.ok(!result.columns.some((c) => c.column === 'region'));
    assert.ok(result.columns.find((c) => c.column === 'age')!.drifted);
    const loose = await drift(ref, cur, { distance: 100 });
    assert.equal(loose.columns.filter((c) => c.drifted).length, 0);
    assert.ok(JSON.stringify(result).length < 20_000, 'a few kilobytes for 40,000 rows');
  });

  it('a statistic per column over the choice by kind (PSI for one, KS for another), equal to scipy; one that does not fit the column refused', async () => {
    const ref = file('ref_cols.csv', 5_000, 6, 0);
    const cur = file('cur_cols.csv', 4_000, 7, 1);
    const expected = scipy(ref, cur);
    const all = await drift(ref, cur, { numericTest: 'psi' });
    const mixed = await drift(ref, cur, { columnTests: { age: 'psi', income: 'ks', plan: 'chisquare' } });
    const by = new Map(mixed.columns.map((c) => [c.column, c]));
    assert.deepEqual([by.get('age')?.test, by.get('income')?.test, by.get('plan')?.test, by.get('clicks')?.test, by.get('region')?.test], ['psi', 'ks', 'chisquare', 'wasserstein', 'jensenshannon']);
    assert.equal(by.get('age')!.value, all.columns.find((c) => c.column === 'age')!.value);
    for (const [column, test, key] of [['income', 'ks', 'ks'], ['plan', 'chisquare', 'chi2'], ['clicks', 'wasserstein', 'wd']] as const) {
      const want = expected[column]![key]!;
      assert.equal(by.get(column)!.test, test);
      assert.ok(Math.abs(by.get(column)!.value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${column}: ${by.get(column)!.value} vs scipy ${want}`);
    }
    await assert.rejects(drift(ref, cur, { columnTests: { plan: 'ks' } }), /plan: Kolmogorov-Smirnov p-value is for numeric columns, and plan is compared as categorical/);
    // The per-value choices a few-valued number is offered (statisticChoices.ts), by name: equal to scipy's too.
    const few = await drift(ref, cur, { columnTests: { rating: 'chisquare', flag: 'ztest', clicks: 'psi' } });
    const byFew = new Map(few.columns.map((c) => [c.column, c]));
    assert.ok(Math.abs(byFew.get('rating')!.value - expected['rating']!.chi2!) <= 1e-9, `rating: ${byFew.get('rating')!.value} vs scipy ${expected['rating']!.chi2}`);
    assert.ok(Math.abs(byFew.get('flag')!.value - expected['flag']!.z!) <= 1e-9, `flag: ${byFew.get('flag')!.value} vs scipy ${expected['flag']!.z}`);
    assert.deepEqual([byFew.get('rating')?.test, byFew.get('flag')?.test, byFew.get('rating')?.detail?.['values'], byFew.get('clicks')?.detail?.['values']], ['chisquare', 'ztest', 5, undefined]);
    await assert.rejects(drift(ref, cur, { columnTests: { age: 'chisquare' } }), /age: chi-squared p-value is for categories and numeric columns with at most 5 distinct values, and age has more than 5/);
    await assert.rejects(drift(ref, cur, { columnTests: { plan: 'ztest' } }), /plan: Z-test p-value is for columns with at most 2 values, and plan has 4/);
    // Change a Column's Statistic… on a live log: a choice the data has outgrown (a Z-test picked when
    // plan had 2 values) is replaced by the choice by kind, with a note, and the rest of the report stands.
    const outgrown = await drift(ref, cur, { columnTests: { plan: 'ztest', rating: 'psi' }, replaceUnfitTests: true });
    const byOutgrown = new Map(outgrown.columns.map((c) => [c.column, c.test]));
    assert.deepEqual([byOutgrown.get('plan'), byOutgrown.get('rating'), outgrown.columns.length], ['jensenshannon', 'psi', few.columns.length]);
    assert.deepEqual(outgrown.notes, ['plan: Z-test p-value is for columns with at most 2 values, and plan has 4: compared with Jensen-Shannon distance instead (the column has 4 values now, and a Z-test compares 2).']);
    assert.match(driftMarkdown(outgrown), /rows\. plan: Z-test p-value is for columns with at most 2 values, and plan has 4: compared with Jensen-Shannon/);
    assert.match(driftView(outgrown).sizes, /plan has 4: compared with Jensen-Shannon distance instead/);
    assert.equal(few.notes, undefined);
    // A live log's numeric column that gains one text value (its last row) is compared as a category:
    // the KS picked for it is replaced before the scan rather than failing the report; each note says why.
    const texted = join(dir, 'cur_text.csv');
    execFileSync(PYTHON, ['-c', 'import sys, pandas as pd\nd = pd.read_csv(sys.argv[1]).astype({"clicks": object})\nd.loc[len(d) - 1, "clicks"] = "n/a"\nd.to_csv(sys.argv[2], index=False)', cur, texted]);
    await assert.rejects(drift(ref, texted, { columnTests: { clicks: 'ks' } }), /clicks: Kolmogorov-Smirnov p-value is for numeric columns, and clicks is compared as categorical/);
    const gainedText = await drift(ref, texted, { columnTests: { clicks: 'ks', age: 'chisquare' }, replaceUnfitTests: true });
    const byText = new Map(gainedText.columns.map((c) => [c.column, c]));
    assert.deepEqual([byText.get('clicks')?.test, byText.get('age')?.test, gainedText.columns.length], ['jensenshannon', 'wasserstein', outgrown.columns.length]);
    assert.deepEqual(gainedText.notes, [
      'age: chi-squared p-value is for categories and numeric columns with at most 5 distinct values, and age has more than 5: compared with Wasserstein distance (normed) instead (the column has more than 5 distinct values now, too many to compare per value).',
      'clicks: Kolmogorov-Smirnov p-value is for numeric columns, and clicks is compared as categorical: compared with Jensen-Shannon distance instead (the column became a category since it was chosen: it holds text now).',
    ]);
  });

  it("columns named as Object.prototype's members (constructor, __proto__, …) are compared and take their own statistic", async () => {
    const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
    const rows = (n: number, shift: number): string =>
      [names.join(','), ...Array.from({ length: n }, (_, i) => `${(i % 97) + shift},${['a', 'b', 'c'][i % 3]},${i % 2},${(i * 31) % 89},${(i * 17) % 83 + shift}`)].join('\n') + '\n';
    const ref = join(dir, 'proto_ref.csv');
    const cur = join(dir, 'proto_cur.csv');
    writeFileSync(ref, rows(300, 0));
    writeFileSync(cur, rows(300, 40));
    const plain = await drift(ref, cur, { columnTests: {} });
    assert.deepEqual(plain.columns.map((c) => c.column).sort(), [...names].sort());
    // As the agent's tool builds the map: Object.fromEntries makes `__proto__` an own key.
    const own = await drift(ref, cur, { columnTests: Object.fromEntries([['__proto__', 'psi'], ['constructor', 'wasserstein'], ['toString', 'psi']]) });
    const by = new Map(own.columns.map((c) => [c.column, c.test]));
    assert.deepEqual(names.map((n) => by.get(n)), ['wasserstein', 'psi', 'ztest', 'ks', 'psi']);
    assert.equal(own.columns.find((c) => c.column === '__proto__')?.drifted, true);
  });

  it('reads each file in place: no table of either file is left in the engine, and types come from the whole scan', async () => {
    // Over 64 MB, so opening takes a quick look at the first 2,048 rows only: "code" is digits there and text from row 5,000 on (inside the sample DuckDB sniffs for a whole scan).
    const rows = (n: number, shift: number): string => {
      const out = ['id,amount,code,note'];
      for (let i = 0; i < n; i++) out.push(`${i},${((i * 7919) % 1000) / 10 + shift},${i < 5_000 ? i % 50 : `K${i % 50}`},${'x'.repeat(180)}`);
      return out.join('\n') + '\n';
    };
    const ref = join(dir, 'big_ref.csv');
    const cur = join(dir, 'big_cur.csv');
    writeFileSync(ref, rows(360_000, 0));
    writeFileSync(cur, rows(360_000, 5));
    const tables = async (): Promise<number> => Number((await engine.query('SELECT count(*) FROM duckdb_tables()', { maxRows: 1 })).rows[0]?.[0]);
    const before = await tables();
    const result = await detectFileDrift(engine, ref, cur, { ignore: ['id'] }, new AbortController().signal);
    assert.equal(result.referenceRows, 360_000);
    assert.equal(result.columns.find((c) => c.column === 'code')?.kind, 'categorical', 'typed by the scan, not by the first rows');
    assert.equal(result.columns.find((c) => c.column === 'amount')?.drifted, true);
    assert.equal(await tables(), before, 'the report built no table of the files');
  });

  it('leaves out text whose values are nearly all distinct (ids, numbers with units), and still compares real categories', async () => {
    // As in examples/data/churn.csv: "2983.26 USD" is a number written with units; any new sample
    // shares few such strings with the reference, so a distance over them always said "drifted".
    const rows = (n: number, seed: number): string => {
      const out = ['customer_id,total_charges,plan'];
      for (let i = 0; i < n; i++) out.push(`C${seed}-${i},${(((i * 7919 + seed * 104729) % 900000) / 100 + 10).toFixed(2)} USD,${['basic', 'standard', 'premium'][i % 3]}`);
      return out.join('\n') + '\n';
    };
    const ref = join(dir, 'units_ref.csv');
    const cur = join(dir, 'units_cur.csv');
    writeFileSync(ref, rows(2000, 1));
    writeFileSync(cur, rows(800, 2));
    const result = await drift(ref, cur);
    const skipped = Object.fromEntries(result.skipped.map((s) => [s.column, s.reason]));
    assert.match(skipped.customer_id ?? '', /2000 distinct values in 2000 rows: text that is not a category/);
    assert.match(skipped.total_charges ?? '', /distinct values in 2000 rows: .*numbers written with units/);
    assert.deepEqual(result.columns.map((c) => c.column), ['plan']);
    assert.equal(result.columns[0]!.drifted, false);
    assert.equal(result.datasetDrift, false, driftMarkdown(result));
  });

  it('ml-engineer drift: the report, --json, exit code 3 on dataset drift and 0 without', async () => {
    file('cli_ref.csv', 700, 6, 0);
    file('cli_same.csv', 700, 7, 0);
    file('cli_shift.csv', 700, 8, 1);
    const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runCli(['drift', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: dir }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      return { code, out, err };
    };
    const drifting = await cli('cli_ref.csv', 'cli_shift.csv');
    assert.equal(drifting.code, 3, drifting.err);
    assert.match(drifting.out, /^# Drift: cli_shift\.csv against cli_ref\.csv\n\nDataset drift: /);
    assert.match(drifting.out, /\| age \| \*\*yes\*\* \| Kolmogorov-Smirnov p-value \|/);
    const calm = await cli('cli_ref.csv', 'cli_same.csv', '--json', '--ignore', 'region');
    assert.equal(calm.code, 0, calm.err);
    const parsed = JSON.parse(calm.out) as { datasetDrift: boolean; columns: { column: string }[] };
    assert.equal(parsed.datasetDrift, false);
    assert.ok(!parsed.columns.some((c) => c.column === 'region'));
    const missing = await cli('cli_ref.csv', 'nope.csv');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.csv/);
    assert.equal((await cli('cli_ref.csv')).code, 2);
  });
});
