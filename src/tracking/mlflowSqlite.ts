import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { localArtifactsDir } from './mlflowFileStore';
import { byStep, describeProblem, type ExperimentRecord, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type RunStatus, type SourceSnapshot } from './runModel';
import { SqliteFile, type SqlValue } from './sqlite/sqliteFile';
import { ownValue, setOwn } from './ownProps';

// MLflow's SQLite backend (`mlflow.db`, the default since MLflow 3.7; docs/formats.md §1.3),
// read with our own page-at-a-time SQLite reader. The run list uses `latest_metrics` (one row per
// key and run); a chart reads `metrics`. Columns are looked up by name: older schemas lack some.

const STATUSES: Record<string, RunStatus> = { RUNNING: 'running', SCHEDULED: 'scheduled', FINISHED: 'finished', FAILED: 'failed', KILLED: 'killed' };

const str = (value: SqlValue | undefined): string | undefined => (typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined);
const num = (value: SqlValue | undefined): number | undefined => (typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' && value !== '' && !Number.isNaN(Number(value)) ? Number(value) : undefined);

export class MlflowSqliteStore implements RunSource {
  readonly kind = 'mlflow-sqlite' as const;
  readonly id: string;
  readonly label: string;

  constructor(readonly root: string, label?: string) {
    this.id = `mlflow-sqlite:${root}`;
    this.label = label ?? basename(root);
  }

  /** Opens the file for one read and closes it: MLflow may be writing it meanwhile. */
  private withFile<T>(fn: (db: SqliteFile) => T): T {
    const db = new SqliteFile(this.root);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  async load(): Promise<SourceSnapshot> {
    let updatedTime: number | undefined;
    try {
      updatedTime = (await stat(this.root)).mtimeMs;
    } catch (error) {
      return { experiments: [], problems: [`${this.root}: ${describeProblem(error)}`] };
    }
    try {
      return this.withFile((db) => this.read(db, updatedTime));
    } catch (error) {
      return { experiments: [], problems: [`${basename(this.root)}: ${describeProblem(error)}`] };
    }
  }

  private read(db: SqliteFile, updatedTime: number | undefined): SourceSnapshot {
    for (const table of ['experiments', 'runs']) {
      if (!db.hasTable(table)) return { experiments: [], problems: [`${basename(this.root)} has no "${table}" table: not an MLflow tracking database`] };
    }
    const problems: string[] = [];
    const perRun = <T>(table: string, fn: (row: Record<string, SqlValue>, into: T) => void, make: () => T): Map<string, T> => {
      const out = new Map<string, T>();
      if (!db.hasTable(table)) return out;
      try {
        for (const row of db.rows(table)) {
          const id = str(row.run_uuid);
          if (!id) continue;
          let into = out.get(id);
          if (!into) out.set(id, (into = make()));
          fn(row, into);
        }
      } catch (error) {
        problems.push(`table ${table}: ${describeProblem(error)}`);
      }
      return out;
    };
    // Keys from the file are own properties whatever they are ("__proto__" included).
    const params = perRun<Record<string, string>>('params', (row, into) => setOwn(into, str(row.key) ?? '', str(row.value) ?? ''), () => ({}));
    const tags = perRun<Record<string, string>>('tags', (row, into) => setOwn(into, str(row.key) ?? '', str(row.value) ?? ''), () => ({}));
    const latest = perRun<MetricSummary[]>(
      'latest_metrics',
      (row, into) => {
        const value = num(row.is_nan) === 1 ? NaN : num(row.value);
        if (value !== undefined) into.push({ key: str(row.key) ?? '', last: value, lastStep: num(row.step) ?? 0 });
      },
      () => [],
    );
    const experiments = new Map<string, { record: Omit<ExperimentRecord, 'runs'>; runs: RunRecord[] }>();
    for (const row of db.rows('experiments')) {
      const id = str(row.experiment_id) ?? '';
      experiments.set(id, { record: { id, name: str(row.name) ?? `experiment ${id}`, deleted: row.lifecycle_stage === 'deleted' }, runs: [] });
    }
    for (const row of db.rows('runs')) {
      const runId = str(row.run_uuid) ?? '';
      const experimentId = str(row.experiment_id) ?? '';
      let experiment = experiments.get(experimentId);
      if (!experiment) experiments.set(experimentId, (experiment = { record: { id: experimentId, name: `experiment ${experimentId}` }, runs: [] }));
      const runTags = tags.get(runId) ?? {};
      experiment.runs.push({
        key: `${this.id}#${runId}`,
        source: this.kind,
        sourceId: this.id,
        experiment: experiment.record.name,
        runId,
        name: str(row.name) || ownValue(runTags, 'mlflow.runName') || runId,
        status: ownValue(STATUSES, str(row.status) ?? '') ?? 'unknown',
        ...(row.lifecycle_stage === 'deleted' ? { deleted: true } : {}),
        startTime: num(row.start_time),
        endTime: num(row.end_time),
        ...(str(row.status) === 'RUNNING' && updatedTime !== undefined ? { updatedTime } : {}),
        params: params.get(runId) ?? {},
        tags: runTags,
        metrics: (latest.get(runId) ?? []).sort((a, b) => a.key.localeCompare(b.key)),
        artifactsDir: localArtifactsDir(str(row.artifact_uri), join(dirname(this.root), 'mlartifacts', experimentId, runId)),
        location: this.root,
        problems: [],
      });
    }
    return { experiments: [...experiments.values()].map((e) => ({ ...e.record, runs: e.runs })), problems };
  }

  history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    return Promise.resolve(
      this.withFile((db) => {
        const points: MetricPoint[] = [];
        for (const row of db.rows('metrics')) {
          if (row.run_uuid !== run.runId || row.key !== key) continue;
          const value = num(row.is_nan) === 1 ? NaN : num(row.value);
          if (value !== undefined) points.push({ step: num(row.step) ?? 0, time: num(row.timestamp), value });
        }
        return byStep(points.sort((a, b) => a.step - b.step || (a.time ?? 0) - (b.time ?? 0)));
      }),
    );
  }
}
