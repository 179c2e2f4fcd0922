import * as assert from 'node:assert/strict';
import { scrollToShow, visibleRange } from '../../media/runs/virtualWindow';
import { RunFilterState } from '../../src/tracking/runFilterState';
import { buildRunsTable, defaultColumns, tableColumns } from '../../src/tracking/runsTable';
import { parseFromRunsView, type RunsTableRow } from '../../src/tracking/runsTableProtocol';
import { firstSortDescending, sortRows } from '../../src/tracking/runsTableSort';
import { runRecord, useMixedCatalog } from '../support/runRecords';

describe('runs table over real MLflow and Lightning files', () => {
  const mixed = useMixedCatalog('mle-runs-table-');

  it('builds the table across sources: default columns, cells for JSON, counts of columns to pick', () => {
    const all = mixed.catalog.runs();
    const columns = defaultColumns(all);
    assert.deepEqual(columns, [
      { kind: 'metric', key: 'val_loss' },
      { kind: 'metric', key: 'val_acc' },
      { kind: 'metric', key: 'epoch' },
      { kind: 'metric', key: 'train_loss' },
      { kind: 'param', key: 'lr' },
    ], 'the key metric first; params whose values differ (model and seed are the same wherever set)');
    const state = new RunFilterState();
    state.set('status!=failed');
    const data = buildRunsTable({ all, shown: state.apply(all), columns, filter: state.text, filterError: null, notes: [] });
    assert.equal(data.total, 4);
    assert.deepEqual(data.rows.map((r) => r.name).sort(), ['alone', 'good', 'version_0']);
    assert.deepEqual(data.directions, ['lower', 'higher', null, 'lower', null]);
    const good = data.rows.find((r) => r.name === 'good')!;
    assert.deepEqual(good.cells, [0.38, 0.85, null, null, '0.001']);
    assert.equal(good.source, 'MLflow');
    assert.deepEqual(data.metrics.map((m) => [m.key, m.count]).slice(0, 2), [['val_loss', 4], ['val_acc', 2]]);
    const diverged = buildRunsTable({ all, shown: all, columns, filter: '', filterError: null, notes: [] }).rows.find((r) => r.name === 'diverged')!;
    assert.equal(diverged.cells[0], 'NaN');
    assert.doesNotThrow(() => JSON.stringify(data));
  });
});

describe('runs table: columns', () => {
  it('keeps choosing the default columns until the person picks: runs listed before their metrics get metric columns later', () => {
    const listed = [runRecord('a', { params: { lr: '0.1' } }), runRecord('b', { params: { lr: '0.01' } })];
    assert.deepEqual(tableColumns(undefined, listed), [{ kind: 'param', key: 'lr' }], 'names and params first');
    const read = listed.map((r, i) => ({ ...r, metrics: [{ key: 'val_loss', last: 0.5 - i / 10, lastStep: 9 }] }));
    assert.deepEqual(tableColumns(undefined, read), [{ kind: 'metric', key: 'val_loss' }, { kind: 'param', key: 'lr' }], 'then the metrics');
    assert.deepEqual(tableColumns([{ kind: 'param', key: 'lr' }], read), [{ kind: 'param', key: 'lr' }], 'a pick stays');
  });
});

describe('runs table: sorting across sources, virtual rows, messages from the page', () => {
  const row = (name: string, source: string, cells: (number | string | null)[], started: number | null = null): RunsTableRow => ({ key: name, name, status: 'finished', source, experiment: 'e', started, duration: null, problems: 0, cells });
  const rows = [row('mlflow-a', 'MLflow', [0.31, '10']), row('tb-1', 'TensorBoard', [0.2, null]), row('nan', 'MLflow', ['NaN', '9']), row('none', 'W&B', [null, '1e-3']), row('mlflow-b', 'MLflow', [0.46, 'abc']), row('inf', 'TensorBoard', ['inf', '2'])];
  const names = (sorted: RunsTableRow[]): string[] => sorted.map((r) => r.name);

  it('sorts a metric column across sources, NaN and missing last both ways', () => {
    assert.deepEqual(names(sortRows(rows, { column: 0, descending: false })), ['tb-1', 'mlflow-a', 'mlflow-b', 'inf', 'nan', 'none']);
    assert.deepEqual(names(sortRows(rows, { column: 0, descending: true })), ['inf', 'mlflow-b', 'mlflow-a', 'tb-1', 'nan', 'none']);
  });

  it('sorts params as numbers where they are numbers (9 before 10), text after, missing last', () => {
    assert.deepEqual(names(sortRows(rows, { column: 1, descending: false })), ['none', 'inf', 'nan', 'mlflow-a', 'mlflow-b', 'tb-1']);
    assert.deepEqual(names(sortRows(rows, { column: 'name', descending: false })), ['inf', 'mlflow-a', 'mlflow-b', 'nan', 'none', 'tb-1']);
    assert.deepEqual(names(sortRows(rows, undefined)), names(rows), 'unsorted: the host order');
  });

  it('sorts best first on the first click: losses ascending, accuracies descending, times newest first', () => {
    assert.equal(firstSortDescending('lower', 0), false);
    assert.equal(firstSortDescending('higher', 0), true);
    assert.equal(firstSortDescending(null, 'name'), false);
    assert.equal(firstSortDescending(null, 'started'), true);
  });

  it('draws only the rows in view: 50,000 runs make a few dozen rows', () => {
    assert.deepEqual(visibleRange(0, 600, 24, 50_000), { first: 0, last: 33 });
    assert.deepEqual(visibleRange(24 * 10_000, 600, 24, 50_000), { first: 9992, last: 10_033 });
    assert.deepEqual(visibleRange(24 * 49_990, 600, 24, 50_000), { first: 49_982, last: 50_000 });
    assert.deepEqual(visibleRange(0, 600, 24, 0), { first: 0, last: 0 });
    assert.deepEqual(visibleRange(-50, 600, 24, 5), { first: 0, last: 5 });
    assert.equal(scrollToShow(100, 0, 600, 24, 24), 100 * 24 + 24 - 576);
    assert.equal(scrollToShow(3, 240, 600, 24), 72);
    assert.equal(scrollToShow(12, 240, 600, 24), 240, 'already in view');
  });

  it('accepts only the messages the page may send', () => {
    assert.deepEqual(parseFromRunsView({ type: 'filter', text: 'val_loss<0.4', seq: 3 }), { type: 'filter', text: 'val_loss<0.4', seq: 3 });
    assert.deepEqual(parseFromRunsView({ type: 'compare', keys: ['a#b'] }), { type: 'compare', keys: ['a#b'] });
    for (const bad of [null, 'x', { type: 'filter' }, { type: 'filter', text: 'x' }, { type: 'filter', text: 'x', seq: -1 }, { type: 'filter', text: 'x', seq: 1.5 }, { type: 'filter', text: 'x'.repeat(5000), seq: 1 }, { type: 'compare', keys: [] }, { type: 'columns', columns: [{ kind: 'tag', key: 'x' }] }, { type: 'reveal', key: 'k', extra: 1 }, { type: 'run', command: 'rm' }]) {
      assert.equal(parseFromRunsView(bad), undefined, JSON.stringify(bad));
    }
  });
});
