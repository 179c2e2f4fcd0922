import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { buildCompareData } from '../../src/tracking/compareData';
import { MlflowFileStore } from '../../src/tracking/mlflowFileStore';
import { RunCatalog } from '../../src/tracking/runCatalog';
import type { MetricPoint, RunRecord } from '../../src/tracking/runModel';
import { compareRuns, downsample, filterRuns, formatMetric, keyMetric, lowerIsBetter, sortRuns } from '../../src/tracking/runQuery';
import { smooth } from '../../src/tracking/smoothing';
import { trackingTools } from '../../src/tracking/trackingTools';
import { runRecord } from '../support/runRecords';
import { writeLightningVersion, writeMlflowExperiment } from '../support/trackingFixtures';

const run = runRecord;

describe('run queries', () => {
  const a = run('a', { params: { lr: '0.1', opt: 'adam' }, metrics: [{ key: 'val_loss', last: 0.5, lastStep: 9 }, { key: 'val_acc', last: 0.8, lastStep: 9 }], startTime: 1 });
  const b = run('b', { params: { lr: '0.01', opt: 'adam' }, metrics: [{ key: 'val_loss', last: 0.3, lastStep: 9 }, { key: 'val_acc', last: 0.9, lastStep: 9 }], startTime: 2, status: 'running' });
  const c = run('c', { params: { lr: '1.0' }, metrics: [{ key: 'val_loss', last: NaN, lastStep: 3 }], startTime: 3, status: 'failed' });
  const d = run('d', { deleted: true });

  it('sorts best first: ascending for losses, descending for accuracies, NaN and missing last', () => {
    assert.deepEqual(sortRuns([a, b, c, d], 'val_loss').map((r) => r.name), ['b', 'a', 'c', 'd']);
    assert.deepEqual(sortRuns([a, b, c], 'val_acc').map((r) => r.name), ['b', 'a', 'c']);
    assert.deepEqual(sortRuns([a, b, c], 'val_loss', 'desc').map((r) => r.name), ['a', 'b', 'c']);
    assert.deepEqual(sortRuns([a, b, c]).map((r) => r.name), ['c', 'b', 'a'], 'newest first without a metric');
    assert.ok(lowerIsBetter('train/loss') && lowerIsBetter('rmse') && !lowerIsBetter('val_accuracy') && !lowerIsBetter('f1_score'));
  });

  it('filters by words over names, params and tags, by status, and hides deleted runs', () => {
    assert.deepEqual(filterRuns([a, b, c, d], {}).map((r) => r.name), ['a', 'b', 'c']);
    assert.deepEqual(filterRuns([a, b, c, d], { includeDeleted: true }).length, 4);
    assert.deepEqual(filterRuns([a, b, c], { text: 'lr=0.01' }).map((r) => r.name), ['b']);
    assert.deepEqual(filterRuns([a, b, c], { text: 'ADAM lr=0.1' }).map((r) => r.name), ['a']);
    assert.deepEqual(filterRuns([a, b, c], { statuses: ['failed', 'running'] }).map((r) => r.name), ['b', 'c']);
  });

  it('picks the key metric a person would sort by', () => {
    assert.equal(keyMetric([a, b]), 'val_loss');
    assert.equal(keyMetric([run('x', { metrics: [{ key: 'train_loss', last: 1, lastStep: 1 }, { key: 'epoch', last: 1, lastStep: 1 }] })]), 'train_loss');
  });

  it('prefers the headline metric in the documented order, held-out before training, over alphabetical', () => {
    const keys = (...names: string[]): ReturnType<typeof run> => run(names.join(','), { metrics: names.map((key) => ({ key, last: 1, lastStep: 0 })) });
    // The churn runs: roc_auc, not the alphabetically first average_precision.
    assert.equal(keyMetric([keys('average_precision', 'roc_auc'), keys('average_precision', 'roc_auc')]), 'roc_auc');
    assert.equal(keyMetric([keys('val_pr_auc', 'val_auc')]), 'val_auc');
    assert.equal(keyMetric([keys('pr_auc', 'f1_macro')]), 'f1_macro');
    assert.equal(keyMetric([keys('accuracy', 'f1', 'loss')]), 'f1');
    assert.equal(keyMetric([keys('accuracy', 'val_loss')]), 'val_loss');
    assert.equal(keyMetric([keys('accuracy', 'perplexity')]), 'accuracy');
    assert.equal(keyMetric([keys('rmse', 'mae', 'r2')]), 'r2');
    assert.equal(keyMetric([keys('mae', 'rmse')]), 'rmse');
    assert.equal(keyMetric([keys('val_loss', 'val_mae')]), 'val_mae');
    // The held-out value before the training one, whatever their headline order.
    assert.equal(keyMetric([keys('train_accuracy', 'val_loss')]), 'val_loss');
    assert.equal(keyMetric([keys('train/f1', 'eval/f1')]), 'eval/f1');
    // A known metric before an unknown one; a metric too few runs log is no sort column.
    assert.equal(keyMetric([keys('val_grad_norm', 'train_loss')]), 'train_loss');
    assert.equal(keyMetric([keys('roc_auc', 'loss'), keys('loss'), keys('loss')]), 'loss');
    assert.equal(keyMetric([keys('throughput', 'epoch')]), 'epoch');
    assert.equal(keyMetric([]), undefined);
  });

  it('compares runs: differing and shared params, the best value of each metric', () => {
    const cmp = compareRuns([a, b, c]);
    assert.deepEqual(cmp.differentParams, [{ key: 'lr', values: ['0.1', '0.01', '1.0'] }, { key: 'opt', values: ['adam', 'adam', undefined] }]);
    assert.deepEqual(cmp.metrics.map((m) => [m.key, m.best]), [['val_acc', 1], ['val_loss', 1]]);
    assert.deepEqual(compareRuns([a, run('a2', { params: { lr: '0.1', opt: 'adam' } })]).sameParams.map((p) => p.key), ['lr', 'opt']);
  });

  it('downsamples to the budget keeping first, last, spikes and NaNs', () => {
    const points: MetricPoint[] = Array.from({ length: 10_000 }, (_, i) => ({ step: i, value: i === 5000 ? 100 : i === 7000 ? NaN : 1 / (i + 1) }));
    const small = downsample(points, 200);
    assert.ok(small.length <= 200);
    assert.equal(small[0], points[0]);
    assert.equal(small.at(-1), points.at(-1));
    assert.ok(small.some((p) => p.value === 100), 'the spike survives');
    assert.ok(small.some((p) => Number.isNaN(p.value)), 'the NaN survives');
    assert.ok(small.every((p, i) => i === 0 || p.step > small[i - 1]!.step), 'in step order');
    assert.equal(downsample(points.slice(0, 50), 200).length, 50);
  });

  it('smooths like TensorBoard: debiased at the start, gaps pass through', () => {
    assert.deepEqual(smooth([1, 1, 1], 0.9), [1, 1, 1]);
    const s = smooth([0, 10, null, 10], 0.5);
    assert.equal(s[0], 0);
    assert.equal(s[2], null);
    assert.ok(Math.abs(s[1]! - 10 * 0.5 / 0.75) < 1e-9);
    assert.deepEqual(smooth([3, NaN, 1], 0), [3, NaN, 1]);
  });

  it('formats values for a narrow column', () => {
    assert.deepEqual([0.123456, 1234567, 0.00001234, 42, NaN, -Infinity, undefined].map(formatMetric), ['0.1235', '1.23e+6', '1.23e-5', '42', 'NaN', '-∞', '–']);
  });
});

describe('tracking tools, compare data and the runs CLI over real files', () => {
  let dir: string;
  let catalog: RunCatalog;
  const hex = (ch: string): string => ch.repeat(32);
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mle-track-tools-'));
    const long = Array.from({ length: 5000 }, (_, i) => (i < 4000 ? 0.9 - i * 0.0001 : i === 4000 ? NaN : 5 + i / 1000)); // diverges
    writeMlflowExperiment(join(dir, 'mlruns'), '0', 'Default', [
      { id: hex('a'), name: 'baseline', params: { lr: '0.1', bs: '64' }, metrics: { val_loss: [0.9, 0.7, 0.6], val_acc: [0.5, 0.6, 0.7] } },
      { id: hex('b'), name: 'bigger-lr', status: 4, params: { lr: '1.0', bs: '64' }, metrics: { val_loss: long } },
    ]);
    writeLightningVersion(join(dir, 'lightning_logs'), 0, { lr: 0.01 }, 20, (s) => 1 / (s + 1));
    catalog = new RunCatalog();
    catalog.setSources([new MlflowFileStore(join(dir, 'mlruns'))]);
    await catalog.loadAll();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const tool = (name: string) => trackingTools(catalog, () => Promise.resolve()).find((t) => t.name === name)!;
  const ctx = {} as never;

  it('list_runs sorts by a metric and says what matched', async () => {
    const out = await tool('list_runs').run({ sort_by_metric: 'val_loss' } as never, ctx, new AbortController().signal);
    const lines = out.content.split('\n');
    assert.match(lines[0]!, /^2 run\(s\), sorted by val_loss/);
    assert.match(lines[1]!, /^baseline \[finished, 1m 0s\] MLflow\/Default id=a{32} val_loss=0\.6@2/);
    assert.match(lines[2]!, /^bigger-lr \[failed/);
    const none = await tool('list_runs').run({ filter: 'nothing-like-this' } as never, ctx, new AbortController().signal);
    assert.match(none.content, /None of the 2 runs match/);
  });

  it('metric_history returns a downsampled curve that keeps the first NaN, and refuses unknown metrics', async () => {
    const out = await tool('metric_history').run({ run: 'bigger-lr', metric: 'val_loss', max_points: 100 } as never, ctx, new AbortController().signal);
    assert.match(out.content, /5000 points, steps 0\.\.4999/);
    assert.match(out.content, /first NaN at step 4000/);
    assert.match(out.content, /showing \d+: bucket min\/max/);
    assert.ok(out.content.split('\n').length < 110);
    await assert.rejects(tool('metric_history').run({ run: 'baseline', metric: 'nope' } as never, ctx, new AbortController().signal), /has no metric "nope"\. It has: val_acc, val_loss/);
    await assert.rejects(tool('metric_history').run({ run: 'zzz', metric: 'x' } as never, ctx, new AbortController().signal), /No run "zzz"/);
  });

  it('compare_runs gives the params diff and each metric with its full range', async () => {
    const out = await tool('compare_runs').run({ runs: ['baseline', hex('b')] } as never, ctx, new AbortController().signal);
    assert.match(out.content, /Params that differ:\n {2}lr: #1=0\.1 #2=1\.0/);
    assert.match(out.content, /Same in all: bs=64/);
    assert.match(out.content, /val_loss: #1=0\.6@2 \[0\.6\.\.0\.9\]\* #2=9\.999@4999 \[0\.5001\.\.9\.999\]$/m);
  });

  it('builds the compare page data: every curve, downsampled for drawing, NaN as null', async () => {
    const runs = catalog.runs().sort((x, y) => x.name.localeCompare(y.name));
    const data = await buildCompareData(catalog, runs);
    assert.deepEqual(data.runs.map((r) => r.name), ['baseline', 'bigger-lr']);
    assert.deepEqual(data.selected, ['val_loss']);
    const big = data.series.find((s) => s.run === 1 && s.metric === 'val_loss')!;
    assert.equal(big.total, 5000);
    assert.ok(big.steps.length <= 4000 && big.steps.length > 2000, 'drawn from at most 4000 points');
    assert.equal(big.values[big.steps.indexOf(4000)], null, 'the NaN is drawn as a gap');
    assert.deepEqual(data.params.map((p) => [p.key, p.differs]), [['bs', false], ['lr', true]]);
  });

  it('`ml-engineer runs` lists runs as a table and as JSON, and fails on an empty folder', async () => {
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['runs', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      return { code, out, err };
    };
    const table = await run('.', '--sort', 'val_loss');
    assert.equal(table.code, 0, table.err);
    const rows = table.out.trim().split('\n');
    assert.match(rows[0]!, /^SOURCE\s+EXPERIMENT\s+RUN\s+STATUS\s+val_loss/);
    assert.equal(rows.length, 4);
    assert.match(rows[1]!, /^Lightning CSV\s+lightning_logs\s+version_0\s+unknown\s+0\.055/);
    assert.match(rows[2]!, /^MLflow\s+Default\s+baseline\s+finished\s+0\.6/);
    assert.match(rows[3]!, /^MLflow\s+Default\s+bigger-lr\s+failed\s+9\.999/);
    const json = await run('mlruns', '--json');
    const parsed = JSON.parse(json.out) as RunRecord[];
    assert.deepEqual(parsed.map((r) => r.name).sort(), ['baseline', 'bigger-lr']);
    const empty = await run(join(dir, 'mlruns', '0', hex('a'), 'params'));
    assert.equal(empty.code, 1);
    assert.match(empty.err, /no runs under/);
  });
});

describe('column series', () => {
  it('summarises like summarize() over the same points, and merges files by the latest step', async () => {
    const { ColumnSeries, mergeSummaries } = await import('../../src/tracking/columnSeries');
    const { summarize } = await import('../../src/tracking/runModel');
    const series = new ColumnSeries();
    const points = Array.from({ length: 1000 }, (_, i) => ({ step: i % 300, time: i, value: i === 500 ? NaN : Math.sin(i) }));
    for (const p of points) series.push(p.step, p.time, p.value);
    assert.deepEqual(series.summary('x'), summarize('x', points));
    assert.deepEqual(series.points(), points);
    const merged = mergeSummaries('x', [{ key: 'x', last: 1, lastStep: 10, min: 0, max: 5, count: 3 }, { key: 'x', last: 2, lastStep: 20, min: -1, max: 4, count: 4 }]);
    assert.deepEqual(merged, { key: 'x', last: 2, lastStep: 20, min: -1, max: 5, count: 7 });
  });
});
