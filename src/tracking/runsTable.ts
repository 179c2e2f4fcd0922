import { ownValue } from './ownProps';
import { SOURCE_NAMES, type RunRecord } from './runModel';
import { keyMetric, metricDirection, metricOf, sortRuns } from './runQuery';
import type { ColumnChoice, RunsTableCell, RunsTableColumn, RunsTableRow, ToRunsView } from './runsTableProtocol';

// The runs table (media/runs/): every run of every source in one list, a column per chosen
// metric (last value) and param, sorted in the page across sources. Rows carry only the chosen
// columns, so ten thousand runs stay a few megabytes.

const DEFAULT_METRICS = 4;
const DEFAULT_PARAMS = 4;

function counts(keys: Iterable<string>): ColumnChoice[] {
  const byKey = new Map<string, number>();
  for (const key of keys) byKey.set(key, (byKey.get(key) ?? 0) + 1);
  return [...byKey].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/**
 * Columns shown before the person picks: the key metric and the most common others; the params
 * whose values differ between runs (a param every run sets the same says nothing), most common first.
 */
export function defaultColumns(runs: readonly RunRecord[]): RunsTableColumn[] {
  const key = keyMetric(runs);
  const metrics = counts(runs.flatMap((r) => r.metrics.map((m) => m.key))).map((c) => c.key);
  const chosen = [...(key ? [key] : []), ...metrics.filter((m) => m !== key)].slice(0, DEFAULT_METRICS);
  const params = counts(runs.flatMap((r) => Object.keys(r.params)))
    .map((c) => c.key)
    .filter((p) => new Set(runs.map((r) => ownValue(r.params, p)).filter((v) => v !== undefined)).size > 1)
    .slice(0, DEFAULT_PARAMS);
  return [...chosen.map((k) => ({ kind: 'metric' as const, key: k })), ...params.map((k) => ({ kind: 'param' as const, key: k }))];
}

/**
 * The table's columns: those the person picked, else the defaults, chosen again each time (a big
 * store lists its runs before their metrics are read; defaults fixed then would have none).
 */
export function tableColumns(picked: readonly RunsTableColumn[] | undefined, runs: readonly RunRecord[]): readonly RunsTableColumn[] {
  return picked ?? defaultColumns(runs);
}

export function metricCell(value: number | undefined): RunsTableCell {
  if (value === undefined) return null;
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return value;
}

export interface RunsTableInput {
  /** Every run the catalog holds (the count before filtering). */
  readonly all: readonly RunRecord[];
  /** The runs the filter keeps. */
  readonly shown: readonly RunRecord[];
  readonly columns: readonly RunsTableColumn[];
  readonly filter: string;
  readonly filterError: string | null;
  /** The page's number of the filter text last set or refused (ToRunsView's filterSeq). */
  readonly filterSeq?: number;
  readonly notes: readonly string[];
}

export function buildRunsTable(input: RunsTableInput): Extract<ToRunsView, { type: 'data' }> {
  const live = input.all.filter((r) => !r.deleted);
  const rows: RunsTableRow[] = sortRuns(input.shown).map((run) => ({
    key: run.key,
    name: run.name,
    status: run.status,
    source: SOURCE_NAMES[run.source],
    experiment: run.experiment,
    started: run.startTime ?? null,
    duration: run.startTime !== undefined && run.endTime !== undefined ? run.endTime - run.startTime : null,
    problems: run.problems.length,
    cells: input.columns.map((c) => (c.kind === 'metric' ? metricCell(metricOf(run, c.key)?.last) : (ownValue(run.params, c.key) ?? null))),
  }));
  return {
    type: 'data',
    filter: input.filter,
    filterError: input.filterError,
    filterSeq: input.filterSeq ?? 0,
    notes: input.notes,
    total: live.length,
    columns: input.columns,
    directions: input.columns.map((c) => (c.kind === 'metric' ? (metricDirection(c.key) ?? null) : null)),
    rows,
    metrics: counts(live.flatMap((r) => r.metrics.map((m) => m.key))),
    params: counts(live.flatMap((r) => Object.keys(r.params))),
  };
}
