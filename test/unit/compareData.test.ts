import * as assert from 'node:assert/strict';
import { buildCompareData, curveStop, paramDifferences, summaryCell } from '../../src/tracking/compareData';
import type { MetricPoint } from '../../src/tracking/runModel';
import { compareRuns, metricDirection } from '../../src/tracking/runQuery';
import { STEP_INCREMENTS, stepLabel } from '../../src/tracking/stepTicks';
import { runRecord, useMixedCatalog } from '../support/runRecords';

const run = runRecord;

describe('compare: summary of last and best values, where curves stop, which params differ', () => {
  const points = (values: number[]): MetricPoint[] => values.map((value, step) => ({ step, value, time: 1_700_000_000_000 + step * 1000 }));

  it('decides the best direction from the name, and says none for epoch or lr', () => {
    assert.deepEqual(['val_loss', 'train/loss', 'rmse', 'val_acc', 'f1_score', 'auc', 'reward', 'epoch', 'lr', 'grad_norm'].map(metricDirection), ['lower', 'lower', 'lower', 'higher', 'higher', 'higher', 'higher', undefined, undefined, undefined]);
  });

  it('summarises a curve: the last value at the highest step and the best finite one by direction', () => {
    assert.deepEqual(summaryCell(points([0.9, 0.4, 0.5]), 'lower'), { last: 0.5, lastStep: 2, best: 0.4, bestStep: 1, stop: null });
    assert.deepEqual(summaryCell(points([0.5, 0.8, 0.7]), 'higher'), { last: 0.7, lastStep: 2, best: 0.8, bestStep: 1, stop: null });
    assert.deepEqual(summaryCell(points([3, 2, 1]), null), { last: 1, lastStep: 2, best: null, bestStep: null, stop: null }, 'no direction, no best');
    const diverged = summaryCell(points([0.7, 0.6, 2.4, 9.1, NaN]), 'lower')!;
    assert.equal(diverged.last, null, 'NaN is not a value JSON carries');
    assert.equal(diverged.best, 0.6);
    assert.deepEqual(diverged.stop, { step: 4, time: 1_700_000_004, value: 'NaN', lastFinite: { step: 3, time: 1_700_000_003, value: 9.1 } });
    assert.equal(summaryCell([], 'lower'), null);
  });

  it('marks where a curve stops: the first NaN or infinity, with the last finite point before it', () => {
    assert.equal(curveStop(points([1, 2, 3])), null);
    assert.deepEqual(curveStop(points([Infinity, 1]))!.lastFinite, null);
    assert.equal(curveStop(points([1, -Infinity]))!.value, '-inf');
    assert.equal(curveStop(points([1, Infinity, NaN]))!.value, 'inf');
  });

  it('highlights only the cells that differ: a missing value is no difference', () => {
    assert.deepEqual(paramDifferences(['0.1', null]), { differs: false, highlight: [false, false] });
    assert.deepEqual(paramDifferences(['0.1', '0.1', null]), { differs: false, highlight: [false, false, false] });
    assert.deepEqual(paramDifferences(['0.1', '0.01']), { differs: true, highlight: [true, true] }, 'two runs: both values differ');
    assert.deepEqual(paramDifferences(['adam', 'adam', 'sgd', null]), { differs: true, highlight: [false, false, true, false] }, 'the odd one out');
    assert.deepEqual(paramDifferences(['a', 'b', 'c']), { differs: true, highlight: [true, true, true] });
    assert.deepEqual(paramDifferences(['a']), { differs: false, highlight: [false] });
  });

  it('marks no best for a metric without a direction (the agent\'s compare_runs too)', () => {
    const a = run('a', { metrics: [{ key: 'epoch', last: 9, lastStep: 9 }, { key: 'val_loss', last: 0.5, lastStep: 9 }] });
    const b = run('b', { metrics: [{ key: 'epoch', last: 19, lastStep: 19 }, { key: 'val_loss', last: 0.3, lastStep: 19 }] });
    assert.deepEqual(compareRuns([a, b]).metrics.map((m) => [m.key, m.best]), [['epoch', undefined], ['val_loss', 1]]);
  });

  it('labels step ticks with whole numbers only', () => {
    assert.ok(STEP_INCREMENTS.every((n) => Number.isInteger(n) && n >= 1));
    assert.deepEqual(STEP_INCREMENTS.slice(0, 6), [1, 2, 5, 10, 20, 50]);
    assert.deepEqual([0, 1500, 25_000, 3_500_000].map(stepLabel), ['0', '1,500', '25k', '3.5M']);
  });
});

describe('compare data over real MLflow and Lightning files', () => {
  const mixed = useMixedCatalog('mle-compare-');
  const { byName } = mixed;

  it('builds the summary table from whole histories: last, best, the best run, the NaN stop', async () => {
    const data = await buildCompareData(mixed.catalog, [byName('good'), byName('diverged'), byName('alone')]);
    const loss = data.summary.find((r) => r.metric === 'val_loss')!;
    assert.equal(loss.direction, 'lower');
    assert.deepEqual(loss.cells.map((c) => [c?.last, c?.best]), [[0.38, 0.35], [null, 0.7], [0.45, 0.45]]);
    assert.equal(loss.bestLast, 0, 'good ends lowest');
    assert.equal(loss.bestBest, 0, 'and reached the lowest');
    assert.deepEqual(loss.cells[1]!.stop, { step: 2, time: loss.cells[1]!.stop!.time, value: 'NaN', lastFinite: { step: 1, time: loss.cells[1]!.stop!.lastFinite!.time, value: 2.4 } });
    const acc = data.summary.find((r) => r.metric === 'val_acc')!;
    assert.deepEqual(acc.cells.map((c) => c?.last ?? null), [0.85, null, null]);
    assert.equal(acc.bestLast, null, 'one run has it: nothing to be best against');
    assert.equal(data.series.find((s) => s.run === 1 && s.metric === 'val_loss')!.stop!.step, 2);
    // model is set in two runs alike and missing in the third: not a difference. seed likewise.
    const params = Object.fromEntries(data.params.map((p) => [p.key, [p.differs, p.highlight]]));
    assert.deepEqual(params, { extra: [false, [false, false, false]], lr: [true, [true, true, true]], model: [false, [false, false, false]], seed: [false, [false, false, false]] });
  });

  it('a single run: its params all shown as not differing, its summary without a best', async () => {
    const data = await buildCompareData(mixed.catalog, [byName('good')]);
    assert.ok(data.params.every((p) => !p.differs));
    assert.deepEqual(data.summary.map((r) => [r.metric, r.cells[0]!.last, r.bestLast]), [['val_acc', 0.85, null], ['val_loss', 0.38, null]]);
  });
});
