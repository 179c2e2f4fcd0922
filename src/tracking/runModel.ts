// The one shape every tracking source (MLflow files, MLflow SQLite, an MLflow server, TensorBoard,
// Lightning CSV, W&B local runs) is read into, so the tree, the charts, the CLI and the agent's
// tools handle runs the same way whatever wrote them.

export type SourceKind = 'mlflow' | 'mlflow-sqlite' | 'mlflow-server' | 'tensorboard' | 'lightning' | 'wandb';

export type RunStatus = 'running' | 'scheduled' | 'finished' | 'failed' | 'killed' | 'unknown';

export const SOURCE_NAMES: Record<SourceKind, string> = {
  mlflow: 'MLflow',
  'mlflow-sqlite': 'MLflow (SQLite)',
  'mlflow-server': 'MLflow server',
  tensorboard: 'TensorBoard',
  lightning: 'Lightning CSV',
  wandb: 'W&B',
};

export interface MetricPoint {
  readonly step: number;
  /** Milliseconds since the epoch, where the writer recorded it. */
  readonly time?: number;
  readonly value: number;
}

export interface MetricSummary {
  readonly key: string;
  readonly last: number;
  readonly lastStep: number;
  /** Absent where only the latest value was read (an MLflow run before its history is opened). */
  readonly min?: number;
  readonly max?: number;
  readonly count?: number;
}

export interface RunRecord {
  /** Unique across every source: the source's id, then the run's id inside it. */
  readonly key: string;
  readonly source: SourceKind;
  readonly sourceId: string;
  readonly experiment: string;
  readonly runId: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly deleted?: boolean;
  readonly startTime?: number;
  readonly endTime?: number;
  /** Last time the run's files changed (ms), where known: a run written to recently is "live". */
  readonly updatedTime?: number;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricSummary[];
  /** Folder of the run's artifacts on this machine, when there is one. */
  readonly artifactsDir?: string;
  /** The run's folder or file, for "Reveal" and for the agent. */
  readonly location: string;
  /** What is wrong with the run's files; the run is still shown. */
  readonly problems: readonly string[];
  /** Set on a first quick listing (name, status, times) while params, tags and metrics are still being read. */
  readonly partial?: boolean;
}

export interface ExperimentRecord {
  readonly id: string;
  readonly name: string;
  readonly deleted?: boolean;
  readonly runs: readonly RunRecord[];
}

export interface SourceSnapshot {
  readonly experiments: readonly ExperimentRecord[];
  /** Problems of the source as a whole (a missing folder, an unreadable database). */
  readonly problems: readonly string[];
}

/** A place runs come from. Reads never throw for bad data: problems are reported in the snapshot. */
export interface RunSource {
  readonly id: string;
  readonly kind: SourceKind;
  /** A folder, a database file, or a server URL. */
  readonly root: string;
  readonly label: string;
  /** `onPartial`, when the source can, receives a quick first listing before the full one. */
  load(signal?: AbortSignal, onPartial?: (snapshot: SourceSnapshot) => void): Promise<SourceSnapshot>;
  /** Every point of one metric of one run of this source, in step order. */
  history(run: RunRecord, key: string, signal?: AbortSignal): Promise<MetricPoint[]>;
  dispose?(): void;
}

/** Summary of a series: last by step (ties: the later write), min and max ignoring NaN. */
export function summarize(key: string, points: readonly MetricPoint[]): MetricSummary | undefined {
  if (points.length === 0) return undefined;
  let last = points[0]!;
  let min = Infinity;
  let max = -Infinity;
  for (const p of points) {
    if (p.step > last.step || (p.step === last.step && (p.time ?? 0) >= (last.time ?? 0))) last = p;
    if (!Number.isNaN(p.value)) {
      if (p.value < min) min = p.value;
      if (p.value > max) max = p.value;
    }
  }
  return {
    key,
    last: last.value,
    lastStep: last.step,
    ...(min <= max ? { min, max } : {}),
    count: points.length,
  };
}

/** Sorts by step, keeping write order among equal steps (a restarted run logs a step twice). */
export function byStep(points: MetricPoint[]): MetricPoint[] {
  return points.sort((a, b) => a.step - b.step);
}

export function describeProblem(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'EACCES' || code === 'EPERM') return 'not readable (permission denied)';
    return error.message;
  }
  return String(error);
}
