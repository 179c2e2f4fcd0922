import { stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { isSameOrInside } from '../common/pathInside';
import { SOURCE_NAMES, type SourceKind } from '../tracking/runModel';
import type { ClusterRef } from './jobClusters';
import type { JobInfo } from './jobScheduler';

// A job's tracking logs (TensorBoard, Lightning CSV, MLflow, W&B) in its working folder, where this
// process can read that folder: the Experiments view shows their curves while the job trains and
// job_status names them. The jobs core never reads the logs: `FindLogs` is the tracking feature's
// own bounded discovery (in its worker), handed in by whoever builds the tools.

export interface FoundLogs {
  readonly kind: SourceKind;
  /** The log folder (or database) the tracking feature reads. */
  readonly path: string;
}

export type FindLogs = (folder: string) => Promise<readonly FoundLogs[]>;

/**
 * The job's working folder when this process can read it. On "local" its WorkDir; over SSH only a
 * shared file system: the same path is a folder here and so is the job's output file (a home folder
 * of the same name on both sides alone proves nothing). Checked on disk, never assumed.
 */
export async function readableWorkDir(ref: ClusterRef, job: JobInfo): Promise<string | undefined> {
  const dir = job.workDir;
  if (!dir || !isAbsolute(dir) || !(await isDirectory(dir))) return undefined;
  if (ref.sshHost === undefined) return dir;
  if (!job.stdoutPath || !isAbsolute(job.stdoutPath)) return undefined;
  return (await stat(job.stdoutPath).then((s) => s.isFile(), () => false)) ? dir : undefined;
}

/**
 * The folders to list (and watch) for a job's found logs: each log folder (an MLflow database's
 * own folder), inside the working folder, never the home folder, one of its ancestors or "/"
 * (a job run from ~ has ~ as its WorkDir: watching it all would exhaust inotify), and none
 * inside another kept one.
 */
export function jobLogRoots(workDir: string, found: readonly FoundLogs[], home: string): string[] {
  const roots = found
    .map((f) => (f.kind === 'mlflow-sqlite' ? dirname(f.path) : f.path))
    .filter((root) => isSameOrInside(workDir, root) && !isSameOrInside(root, home) && dirname(root) !== root)
    .sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const root of roots) if (!kept.some((k) => isSameOrInside(k, root))) kept.push(root);
  return kept;
}

/** How the job's logs are labelled in the Experiments view. */
export function jobRunsLabel(ref: ClusterRef, job: Pick<JobInfo, 'id' | 'name'>): string {
  return `Slurm job ${job.id}${job.name ? ` (${job.name})` : ''}${ref.sshHost === undefined ? '' : ` on ${ref.sshHost}`}`;
}

/** job_status's lines on the tracking logs of a started job (none for a pending one: it has written nothing). */
export async function jobLogsText(ref: ClusterRef, job: JobInfo, find: FindLogs | undefined): Promise<string> {
  if (!find || job.phase === 'pending' || !job.workDir) return '';
  const dir = await readableWorkDir(ref, job);
  if (!dir) return `\n\nTracking logs: its working folder ${job.workDir} is not on a file system this machine can read, so its curves are not shown here.`;
  let found: readonly FoundLogs[];
  try {
    found = await find(dir);
  } catch (error) {
    return `\n\nTracking logs: ${dir} could not be searched (${(error as Error).message}).`;
  }
  if (found.length === 0) return `\n\nTracking logs: none in ${dir} (yet).`;
  return `\n\nTracking logs in its working folder (the editor's Experiments view shows their curves):\n${found.map((f) => `- ${SOURCE_NAMES[f.kind]}: ${f.path}`).join('\n')}`;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
