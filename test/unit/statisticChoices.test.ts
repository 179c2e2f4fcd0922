import * as assert from 'node:assert/strict';
import type { ColumnDrift } from '../../src/monitoring/columnDrift';
import { chooseTest, columnTestProblem, ownTest, testFits, unfitReason } from '../../src/monitoring/driftTests';
import { statisticChoices } from '../../src/monitoring/statisticChoices';

// "Change a Column's Statistic…": per column kind, every statistic the engine computes that fits
// (per-value tests for a numeric column with few values, the Z-test for two values), the one in use
// marked, and Evidently's choice offered back once a column has its own.

const column = (kind: 'numeric' | 'categorical', test: ColumnDrift['test'], detail: Record<string, number>): ColumnDrift => ({
  column: 'x',
  kind,
  test,
  value: 0.5,
  threshold: 0.05,
  drifted: false,
  referenceCount: 10,
  currentCount: 10,
  histogram: { labels: [], reference: [], current: [] },
  detail,
});
const thresholds = { pValue: 0.05, distance: 0.1 };
const offered = (c: ColumnDrift, own = false): string[] => statisticChoices(c, own, thresholds).map((s) => `${s.test ?? 'auto'}${s.current ? '*' : ''}`);

describe('Statistic choices per column', () => {
  it('a numeric column with many values: KS, Wasserstein, PSI', () => {
    assert.deepEqual(offered(column('numeric', 'ks', { ks_statistic: 0.1 })), ['ks*', 'wasserstein', 'psi']);
    assert.deepEqual(offered(column('numeric', 'wasserstein', { ks_statistic: 0.1 })), ['ks', 'wasserstein*', 'psi']);
  });

  it('a numeric column with at most 5 values adds the per-value tests; with 2 the Z-test too', () => {
    assert.deepEqual(offered(column('numeric', 'chisquare', { values: 5 })), ['ks', 'wasserstein', 'chisquare*', 'jensenshannon', 'psi']);
    assert.deepEqual(offered(column('numeric', 'ztest', { values: 2 })), ['ks', 'wasserstein', 'chisquare', 'ztest*', 'jensenshannon', 'psi']);
    // KS picked on a flag still counts its values: the per-value tests stay on offer.
    assert.deepEqual(offered(column('numeric', 'ks', { ks_statistic: 0.1, values: 2 }), true), ['auto', 'ks*', 'wasserstein', 'chisquare', 'ztest', 'jensenshannon', 'psi']);
  });

  it('a category: chi-squared, Jensen-Shannon, PSI, and the Z-test for two values', () => {
    assert.deepEqual(offered(column('categorical', 'jensenshannon', { categories: 7 })), ['chisquare', 'jensenshannon*', 'psi']);
    assert.deepEqual(offered(column('categorical', 'ztest', { categories: 2 })), ['chisquare', 'ztest*', 'jensenshannon', 'psi']);
    assert.deepEqual(offered(column('categorical', 'psi', { categories: 2 }), true), ['auto', 'chisquare', 'ztest', 'jensenshannon', 'psi*']);
  });

  it('each with a line on what it measures and when it says drift', () => {
    for (const s of statisticChoices(column('numeric', 'ks', { values: 2 }), true, thresholds)) assert.match(s.description, /\w{3,}/);
    const by = new Map(statisticChoices(column('numeric', 'ks', { values: 2 }), false, thresholds).map((s) => [s.test, s.description]));
    assert.match(by.get('ks')!, /drift at p < 0\.05$/);
    assert.match(by.get('ztest')!, /two values.*drift at p < 0\.05$/);
    assert.match(by.get('psi')!, /drift at ≥ 0\.1$/);
  });

  it('the engine takes what is offered, and refuses the rest with the reason', () => {
    const own = (test: ColumnDrift['test']) => ({ columnTests: { x: test } });
    assert.equal(chooseTest('numeric', 500, own('jensenshannon'), 'x', 4), 'jensenshannon');
    assert.equal(chooseTest('numeric', 5000, own('ztest'), 'x', 2), 'ztest');
    assert.equal(columnTestProblem('x', 'numeric', own('chisquare'), 'unscanned'), undefined);
    assert.match(columnTestProblem('x', 'numeric', own('chisquare'), undefined)!, /at most 5 distinct values, and x has more than 5/);
    assert.match(columnTestProblem('x', 'categorical', own('ztest'), 3)!, /at most 2 values, and x has 3/);
    assert.match(columnTestProblem('x', 'categorical', own('ks'), 'unscanned')!, /is for numeric columns, and x is compared as categorical/);
    assert.equal(testFits('psi', 'categorical', 4000), true);
    // The note that replaces a live log's outgrown choice says which of the three changes happened.
    assert.match(unfitReason('x', 'categorical', own('ks')), /became a category/);
    assert.match(unfitReason('x', 'numeric', own('chisquare')), /more than 5 distinct values now/);
    assert.match(unfitReason('x', 'categorical', own('ztest'), 3), /has 3 values now, and a Z-test compares 2/);
  });

  it("columns named as Object.prototype's members are columns like any other", () => {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
      // No own statistic: the choice by kind, no "problem" from the prototype's function.
      assert.equal(columnTestProblem(name, 'numeric', { columnTests: {} }, 'unscanned'), undefined, name);
      assert.equal(columnTestProblem(name, 'categorical', { columnTests: {} }, 3), undefined, name);
      assert.equal(chooseTest('numeric', 10, { columnTests: {} }, name), 'ks', name);
      assert.equal(ownTest({ columnTests: {} }, name), undefined, name);
      // An own statistic, as the agent's tool builds the map (Object.fromEntries: `__proto__` is an own key).
      const own = { columnTests: Object.fromEntries<ColumnDrift['test']>([[name, 'psi']]) };
      assert.equal(chooseTest('numeric', 10, own, name), 'psi', name);
      assert.equal(chooseTest('numeric', 10, own, 'other'), 'ks', name);
      assert.match(columnTestProblem(name, 'categorical', { columnTests: Object.fromEntries<ColumnDrift['test']>([[name, 'ks']]) }, 'unscanned')!, new RegExp(`^${name}: Kolmogorov-Smirnov`), name);
    }
  });
});
