import * as vscode from 'vscode';
import { TREE_ITEMS } from '../../commandIds';
import { describeError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { jobRows, taskCounts } from '../jobGroups';
import type { ClusterInfo, JobInfo } from '../jobScheduler';
import type { JobClusters } from '../jobClusters';
import { gpuSampleText, sampleJobGpus } from '../jobGpus';
import { isSchedulerError } from '../jobScheduler';
import { JOBS_POLL_MS } from '../jobGpuWatch';
import { elapsedText, jobDetailText, stateText } from '../jobText';

// The Jobs view: cluster > my jobs (running, pending with the reason, recently finished with the
// exit code; array tasks under one row). Polled every 10 s while the view is visible, and at
// 0.5 s, 1.5 s and 3 s after a submit or a cancel so the change shows at once.

export type JobsNode =
  | { readonly kind: 'cluster'; readonly cluster: string }
  | { readonly kind: 'job'; readonly cluster: string; readonly job: JobInfo }
  | { readonly kind: 'array'; readonly cluster: string; readonly arrayJobId: string; readonly name: string; readonly tasks: readonly JobInfo[] }
  | { readonly kind: 'message'; readonly cluster: string; readonly text: string; readonly tooltip?: string }
  /** One GPU of a running job, sampled on its node when the row is expanded (and at each poll while it is). */
  | { readonly kind: 'gpu'; readonly cluster: string; readonly jobId: string; readonly text: string; readonly detail: string; readonly icon: string };

interface ClusterState {
  jobs?: readonly JobInfo[];
  info?: ClusterInfo;
  error?: string;
}

export const POLL_MS = JOBS_POLL_MS;
const SOON_MS = [500, 1500, 3000];

const now = (): number => Math.floor(Date.now() / 1000);

export class JobsTree implements vscode.TreeDataProvider<JobsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<JobsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly state = new Map<string, ClusterState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly soon: NodeJS.Timeout[] = [];
  private visible = false;
  private polling: Promise<void> | undefined;
  /** Cluster info is asked once a minute at most: partitions change rarely. */
  private infoAt = 0;

  constructor(
    private clusters: () => JobClusters,
    private readonly log: Logger,
    /** Whether a job is watched (submitted from this window, or Watch GPUs: its GPUs show in the GPUs view). */
    private readonly watched: (cluster: string, id: string) => boolean = () => false,
  ) {}

  /** Polls while `visible`. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      void this.refresh();
      this.timer ??= setInterval(() => void this.refresh(), POLL_MS);
    } else if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A submit or cancel happened: look again right away, and twice more soon after. */
  refreshSoon(): void {
    for (const t of this.soon.splice(0)) clearTimeout(t);
    for (const ms of SOON_MS) this.soon.push(setTimeout(() => void this.refresh(), ms));
    void this.refresh();
  }

  /** One poll of every cluster (a poll already running is joined, not doubled). */
  refresh(): Promise<void> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Every job known now, per cluster (the e2e and bench read it). */
  jobsOf(cluster: string): readonly JobInfo[] {
    return this.state.get(cluster)?.jobs ?? [];
  }

  private async poll(): Promise<void> {
    const clusters = this.clusters();
    const withInfo = Date.now() - this.infoAt > 60_000;
    if (withInfo) this.infoAt = Date.now();
    await Promise.all(
      clusters.refs.map(async (ref) => {
        const state: ClusterState = { ...this.state.get(ref.id) };
        try {
          const s = clusters.scheduler(ref.id);
          const user = await s.whoami();
          const [jobs, info] = await Promise.all([s.jobs({ user, finished: true }), withInfo ? s.clusterInfo() : Promise.resolve(state.info)]);
          state.jobs = jobs;
          if (info) state.info = info;
          delete state.error;
        } catch (error) {
          state.error = describeError(error);
          this.log.warn(`jobs: ${ref.id}: ${state.error}`);
        }
        this.state.set(ref.id, state);
      }),
    );
    this.changed.fire(undefined);
  }

  /** Draws the rows again (a job was watched or stopped being watched). */
  redraw(): void {
    this.changed.fire(undefined);
  }

  /** The clusters setting changed. */
  reset(clusters: () => JobClusters): void {
    this.clusters = clusters;
    this.state.clear();
    this.infoAt = 0;
    if (this.visible) void this.refresh();
    this.changed.fire(undefined);
  }

  getChildren(node?: JobsNode): JobsNode[] | Promise<JobsNode[]> {
    if (!node) {
      const refs = this.clusters().refs;
      // One cluster: its jobs at the top level.
      if (refs.length === 1) return this.jobNodes(refs[0]!.id);
      return refs.map((r) => ({ kind: 'cluster', cluster: r.id }));
    }
    if (node.kind === 'cluster') return this.jobNodes(node.cluster);
    if (node.kind === 'array') return node.tasks.map((job) => ({ kind: 'job', cluster: node.cluster, job }));
    if (node.kind === 'job' && node.job.phase === 'running' && node.job.gpus > 0) return this.gpuNodes(node.cluster, node.job);
    return [];
  }

  /** The job's GPUs as rows: one srun step on its node; no GPU tool there, or a refusal, is one row in words. */
  private async gpuNodes(cluster: string, job: JobInfo): Promise<JobsNode[]> {
    const row = (text: string, detail: string, icon: string): JobsNode => ({ kind: 'gpu', cluster, jobId: job.id, text, detail, icon });
    try {
      const gpus = await sampleJobGpus(this.clusters().runner(cluster), job);
      if (gpus.kind === 'no-tool') return [row('No GPU tool on the node', gpus.message, 'circle-slash')];
      return gpus.samples.map((s) => {
        const [name, rest] = gpuSampleText(s).split(': ');
        return row(name!, rest ?? '', 'pulse');
      });
    } catch (error) {
      const text = isSchedulerError(error) ? error.schedulerMessage : describeError(error);
      this.log.warn(`jobs: GPUs of ${job.id}: ${text}`);
      return [row('GPUs not sampled', text, 'warning')];
    }
  }

  private jobNodes(cluster: string): JobsNode[] {
    const state = this.state.get(cluster);
    if (state?.error) return [{ kind: 'message', cluster, text: state.error.split('\n')[0]!, tooltip: state.error }];
    if (!state?.jobs) return [];
    return jobRows(state.jobs).map((row) => (row.kind === 'job' ? { kind: 'job', cluster, job: row.job } : { kind: 'array', cluster, arrayJobId: row.arrayJobId, name: row.name, tasks: row.tasks }));
  }

  getTreeItem(node: JobsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'cluster': {
        const item = new vscode.TreeItem(node.cluster === 'local' ? 'This machine' : node.cluster, vscode.TreeItemCollapsibleState.Expanded);
        const info = this.state.get(node.cluster)?.info;
        if (info) {
          const free = info.partitions.reduce((n, p) => n + p.gpusFree, 0);
          const total = info.partitions.reduce((n, p) => n + p.gpusTotal, 0);
          item.description = `Slurm ${info.version ?? ''} · ${free}/${total} GPUs free`;
        }
        item.iconPath = new vscode.ThemeIcon('server-environment');
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('warning');
        if (node.tooltip) item.tooltip = node.tooltip;
        return item;
      }
      case 'array': {
        const item = new vscode.TreeItem(`${node.name} [${node.arrayJobId}]`, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = `array: ${taskCounts(node.tasks)}`;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.id = `${node.cluster}/array/${node.arrayJobId}`;
        item.contextValue = TREE_ITEMS.jobArray;
        return item;
      }
      case 'job':
        return jobItem(node.cluster, node.job, this.watched(node.cluster, node.job.id));
      case 'gpu': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.description = node.detail;
        item.tooltip = `${node.text}: ${node.detail}`;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.soon) clearTimeout(t);
    this.changed.dispose();
  }
}

function jobItem(cluster: string, job: JobInfo, watched: boolean): vscode.TreeItem {
  // A running job with GPUs expands to them (sampled on its node when expanded).
  const item = new vscode.TreeItem(`${job.name || job.id}`, job.phase === 'running' && job.gpus > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = `${cluster}/job/${job.id}`;
  const gpus = job.gpus > 0 ? ` · ${job.gpus} GPU${job.gpus === 1 ? '' : 's'}` : '';
  item.description = `${job.id} · ${stateText(job)} · ${elapsedText(job, now())}${gpus}${watched ? ' · watched' : ''}`;
  item.tooltip = `${jobDetailText(job, now())}${watched ? '\nWatched: its GPUs show in the GPUs view.' : ''}`;
  const held = /^JobHeld/.test(job.reason ?? '');
  const phase = job.phase === 'pending' && held ? 'held' : job.phase;
  // `.watched` offers Stop Watching in place of Watch GPUs (package.json's menus).
  item.contextValue = `${{ pending: TREE_ITEMS.jobPending, held: TREE_ITEMS.jobHeld, running: TREE_ITEMS.jobRunning, finished: TREE_ITEMS.jobFinished }[phase]}${watched ? '.watched' : ''}`;
  const failed = job.phase === 'finished' && job.state !== 'COMPLETED';
  item.iconPath = new vscode.ThemeIcon(
    job.phase === 'running' ? 'sync~spin' : job.phase === 'pending' ? (held ? 'debug-pause' : 'clock') : failed ? 'error' : 'pass',
    failed ? new vscode.ThemeColor('testing.iconFailed') : job.phase === 'finished' ? new vscode.ThemeColor('testing.iconPassed') : undefined,
  );
  return item;
}

/** The job a command was given (a tree node), if any. */
export function jobOf(node: unknown): { cluster: string; job: JobInfo } | undefined {
  if (typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'job') return node as { cluster: string; job: JobInfo };
  return undefined;
}

/** The id a command acts on: a job's, or an array row's (every task). */
export function targetOf(node: unknown): { cluster: string; id: string; label: string } | undefined {
  const job = jobOf(node);
  if (job) return { cluster: job.cluster, id: job.job.id, label: `${job.job.name} (${job.job.id})` };
  if (typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === 'array') {
    const a = node as { cluster: string; arrayJobId: string; name: string };
    return { cluster: a.cluster, id: a.arrayJobId, label: `${a.name} (array ${a.arrayJobId}, every task)` };
  }
  return undefined;
}
