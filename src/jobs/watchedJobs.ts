import { FEATURE_STORAGE_KEYS } from '../commandIds';

// The jobs this window watches (those submitted from it, and any the Jobs view's Watch GPUs named): kept in the workspace's state so that a
// reloaded window shows them again, their state re-read from the scheduler. Nothing but the ids is
// kept: a job's state is the scheduler's to say. No scheduler code here: the GPU feature reads the
// list to decide whether to load the jobs feature at all.

export interface WatchedJob {
  /** The cluster's id in mlEngineer.jobs.clusters ("local", or an SSH host). */
  readonly cluster: string;
  readonly id: string;
}

/** What a vscode.Memento gives (workspaceState): a plain object in tests. */
export interface WatchStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export const WATCHED_JOBS_KEY = FEATURE_STORAGE_KEYS.watchedJobs;

/** The watched jobs a store holds; anything else under the key (an older shape, a hand edit) is ignored. */
export function readWatchedJobs(store: Pick<WatchStore, 'get'>): WatchedJob[] {
  const value = store.get<unknown>(WATCHED_JOBS_KEY);
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is WatchedJob => typeof v === 'object' && v !== null && typeof (v as WatchedJob).cluster === 'string' && typeof (v as WatchedJob).id === 'string');
}

export const sameJob = (a: WatchedJob, b: WatchedJob): boolean => a.cluster === b.cluster && a.id === b.id;

/**
 * The job a Stop Watching click names: the GPUs view's group row (`{ kind: 'job', group }`,
 * gpu/vscode/jobGpuNodes.ts) or a Jobs view row (`{ kind: 'job', cluster, job }`, jobs/vscode/jobsTree.ts).
 */
export function watchedJobOf(node: unknown): WatchedJob | undefined {
  if (typeof node !== 'object' || node === null || (node as { kind?: unknown }).kind !== 'job') return undefined;
  const row = node as { group?: Partial<WatchedJob>; cluster?: unknown; job?: { id?: unknown } };
  const job = row.group ?? { cluster: row.cluster, id: row.job?.id };
  return typeof job.cluster === 'string' && typeof job.id === 'string' ? { cluster: job.cluster, id: job.id } : undefined;
}
