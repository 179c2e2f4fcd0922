import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { FeatureHost } from '../../activation/featureHost';
import { isSameOrInside } from '../../common/pathInside';
import type { Logger } from '../../common/logger';
import type { JobClusters } from '../jobClusters';
import { jobLogRoots, jobRunsLabel, readableWorkDir } from '../jobRuns';
import type { JobInfo } from '../jobScheduler';

// A running job's tracking logs in the Experiments view: after each poll of the Jobs view, a running
// job whose working folder this window can read (jobRuns.readableWorkDir) and that lies outside the
// workspace (whose runs are seen already) is searched by the tracking feature's own discovery, and
// once logs are there their log folders (jobRuns.jobLogRoots: never the home folder a job run from ~
// has as WorkDir) are added to the Experiments view (tracking's addRoot hook, the tracking feature
// loaded then and not before), watched there, and kept after the job ends until the window closes
// or the user removes them.

/** A running job with no logs yet is searched again at most this often (discovery is bounded but not free). */
const LOOK_EVERY_MS = 30_000;

export class JobRunSources implements vscode.Disposable {
  /** Log folders added, by folder: several jobs of one folder add it once. */
  private readonly added = new Map<string, vscode.Disposable>();
  /** Working folders whose logs were added: not searched again. */
  private readonly done = new Set<string>();
  private readonly lookedAt = new Map<string, number>();
  private readonly looking = new Set<string>();

  constructor(
    private readonly host: Pick<FeatureHost, 'load'>,
    private readonly clusters: () => JobClusters,
    private readonly log: Logger,
  ) {}

  /** The Jobs view polled: look at its running jobs. */
  polled(cluster: string, jobs: readonly JobInfo[]): void {
    for (const job of jobs) if (job.phase === 'running') void this.look(cluster, job);
  }

  private async look(cluster: string, job: JobInfo): Promise<void> {
    const key = `${cluster}/${job.id}`;
    if (this.looking.has(key) || Date.now() - (this.lookedAt.get(key) ?? 0) < LOOK_EVERY_MS) return;
    if (job.workDir && this.done.has(job.workDir)) return;
    this.looking.add(key);
    this.lookedAt.set(key, Date.now());
    try {
      const ref = this.clusters().ref(cluster);
      const dir = await readableWorkDir(ref, job);
      if (!dir || this.done.has(dir) || (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && isSameOrInside(f.uri.fsPath, dir))) return;
      const tracking = this.host.load('tracking', `tracking logs of Slurm job ${job.id}`);
      const found = await tracking.findLogs(dir);
      let roots = jobLogRoots(dir, found, homedir());
      if (roots.length === 0 || this.done.has(dir)) return;
      this.done.add(dir);
      roots = roots.filter((root) => !this.added.has(root)); // another job's folder, added already
      for (const root of roots) this.added.set(root, tracking.addRoot(root, jobRunsLabel(ref, job)));
      this.log.info(`jobs: ${roots.length} tracking log folder(s) of job ${job.id} in ${dir} added to the Experiments view`);
    } catch (error) {
      this.log.warn(`jobs: tracking logs of job ${job.id}: ${(error as Error).message}`);
    } finally {
      this.looking.delete(key);
    }
  }

  /** The log folders added. */
  folders(): string[] {
    return [...this.added.keys()];
  }

  dispose(): void {
    for (const d of this.added.values()) d.dispose();
    this.added.clear();
    this.done.clear();
  }
}
