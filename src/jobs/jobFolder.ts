import { isSameOrInside } from '../common/pathInside';
import type { ClusterRef } from './jobClusters';
import { readableWorkDir } from './jobRuns';
import type { JobInfo } from './jobScheduler';

// Open Working Folder on a job: what this window can do with the job's WorkDir. Inside the
// workspace it is revealed in the Explorer; elsewhere on a file system this window reads it can be
// opened in a new window or shown by the OS; a folder only the cluster has can be copied, not opened.

export type JobFolderAction =
  | { readonly kind: 'reveal'; readonly dir: string }
  | { readonly kind: 'open'; readonly dir: string }
  | { readonly kind: 'copy'; readonly dir: string; readonly why: string }
  | { readonly kind: 'none'; readonly why: string };

export async function jobFolderAction(ref: ClusterRef, job: JobInfo, workspaceFolders: readonly string[]): Promise<JobFolderAction> {
  const dir = job.workDir;
  if (!dir) return { kind: 'none', why: `Slurm names no working folder for job ${job.id}.` };
  const readable = await readableWorkDir(ref, job);
  if (!readable) {
    const why =
      ref.sshHost === undefined
        ? `${dir} is not a folder on this machine (any more).`
        : `${dir} is on ${ref.sshHost}, which this window cannot open: it is not on a file system this machine shares. Open a Remote-SSH window on ${ref.sshHost} to browse it.`;
    return { kind: 'copy', dir, why };
  }
  return workspaceFolders.some((f) => isSameOrInside(f, readable)) ? { kind: 'reveal', dir: readable } : { kind: 'open', dir: readable };
}
