import { describeError } from '../common/errors';
import type { GpuSample } from '../gpu/gpuSample';
import { firstHost, sampleJobGpus } from './jobGpus';
import { isSchedulerError, type JobInfo, type JobScheduler } from './jobScheduler';
import type { CommandRunner } from './transport/commandRunner';
import { readWatchedJobs, sameJob, WATCHED_JOBS_KEY, type WatchedJob, type WatchStore } from './watchedJobs';

// The GPUs of the watched jobs, one group per job, for the GPUs view: each refresh re-reads the
// job from the scheduler, samples a running job's GPUs on its node (one srun step), and drops a
// job that ended (finished, or no longer known), or whose cluster left the setting, from the groups
// and from the watched list. A cluster out of reach keeps its jobs, each saying why.

/** How often the Jobs view and the watched jobs' GPUs are polled while shown. */
export const JOBS_POLL_MS = 10_000;
/** The watched jobs are polled this many times slower while the window has no focus (the local GPUs slow down too). */
const BACKGROUND_SLOWDOWN = 6;

/** One watched job in the GPUs view: its GPUs, or one line saying why there are none. */
export interface JobGpuGroup extends WatchedJob {
  /** "job 1234 on node-7", "job 1234 (pending)". */
  readonly label: string;
  readonly name: string;
  readonly samples: readonly GpuSample[];
  /** Set when `samples` is empty: no GPU tool on the node, pending, no GPU asked, or a failure. */
  readonly line?: { readonly kind: 'no-tool' | 'pending' | 'no-gpus' | 'error'; readonly text: string };
}

export interface JobGpuWatchDeps {
  readonly store: WatchStore;
  scheduler(cluster: string): JobScheduler;
  runner(cluster: string): CommandRunner;
  /** Whether mlEngineer.jobs.clusters still names this cluster: a job on one removed from it is dropped. */
  known?(cluster: string): boolean;
  /**
   * The groups changed (a job came, went, or its GPUs were sampled anew); `membership` is true when
   * the watched jobs or their states changed, not just their samples (the Jobs view redraws only then).
   */
  changed?(groups: readonly JobGpuGroup[], membership: boolean): void;
  intervalMs?: number;
  /** A poll in the background failed (the store could not be written): logged; the next one runs as usual. */
  failed?(error: unknown): void;
}

export class JobGpuWatch {
  private current: readonly JobGpuGroup[] = [];
  private refreshing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private timerMs: number | undefined;

  constructor(private readonly deps: JobGpuWatchDeps) {}

  get groups(): readonly JobGpuGroup[] {
    return this.current;
  }

  watched(): WatchedJob[] {
    return readWatchedJobs(this.deps.store);
  }

  isWatched(cluster: string, id: string): boolean {
    return this.watched().some((w) => sameJob(w, { cluster, id }));
  }

  /** Watches a job (one submitted from this window) and shows its group at once. */
  async watch(job: WatchedJob): Promise<void> {
    const list = this.watched();
    if (!list.some((w) => sameJob(w, job))) await this.deps.store.update(WATCHED_JOBS_KEY, [...list, { cluster: job.cluster, id: job.id }]);
    await this.refresh();
  }

  /** Stop Watching: the job's group goes now, and it is no longer kept for a reload. */
  unwatch(job: WatchedJob): Promise<void> {
    return this.drop([job]);
  }

  private async drop(jobs: readonly WatchedJob[]): Promise<void> {
    const list = this.watched();
    const kept = list.filter((w) => !jobs.some((j) => sameJob(j, w)));
    if (kept.length !== list.length) await this.deps.store.update(WATCHED_JOBS_KEY, kept);
    const groups = this.current.filter((g) => !jobs.some((j) => sameJob(j, g)));
    if (kept.length === list.length && groups.length === this.current.length) return;
    this.current = groups;
    this.deps.changed?.(groups, true);
  }

  /**
   * Polls every JOBS_POLL_MS while `wanted` (the GPUs view shows), as the Jobs view polls while it
   * shows; slower in the `background` (the window has no focus), and at once when focus returns.
   */
  setWanted(wanted: boolean, background = false): void {
    const ms = wanted ? (this.deps.intervalMs ?? JOBS_POLL_MS) * (background ? BACKGROUND_SLOWDOWN : 1) : undefined;
    const starting = this.timerMs === undefined;
    if (ms !== this.timerMs) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.timerMs = ms;
      if (ms !== undefined) {
        this.timer = setInterval(() => this.refreshQuietly(), ms);
        // A poll alone never keeps the process alive (a test that failed before its dispose ends).
        this.timer.unref();
      }
    }
    if (ms !== undefined && (starting || !background)) this.refreshQuietly();
  }

  /**
   * A Jobs view poll listed these jobs: a watched one that ended there is dropped now, its group and
   * its "· watched" mark, without asking the cluster again (the GPUs view may be hidden: no poll here).
   */
  polled(cluster: string, jobs: readonly JobInfo[]): void {
    const ended = this.watched().filter((w) => w.cluster === cluster && jobs.find((j) => j.id === w.id)?.phase === 'finished');
    if (ended.length > 0) this.drop(ended).catch((error: unknown) => this.deps.failed?.(error));
  }

  private refreshQuietly(): void {
    this.refresh().catch((error: unknown) => this.deps.failed?.(error));
  }

  /** One look at every watched job; a refresh asked during one runs once it ends (a job just watched is not missed). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      // After the running poll, whether it worked or not: a failed one must not stop the later ones.
      this.queued ??= this.refreshing.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.refresh();
      });
      return this.queued;
    }
    this.refreshing = this.poll().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async poll(): Promise<void> {
    const results = await Promise.all(this.watched().map(async (w) => ({ w, group: await this.groupOf(w) })));
    const ended = results.filter((r) => r.group === 'ended').map((r) => r.w);
    // Read again: a job watched while this poll ran stays watched.
    const now = this.watched();
    const kept = now.filter((w) => !ended.some((e) => sameJob(e, w)));
    if (kept.length !== now.length) await this.deps.store.update(WATCHED_JOBS_KEY, kept);
    const groups = results.flatMap((r) => (r.group !== 'ended' && kept.some((w) => sameJob(w, r.w)) ? [r.group] : []));
    const changed = JSON.stringify(groups) !== JSON.stringify(this.current);
    const membership = membershipOf(groups) !== membershipOf(this.current);
    this.current = groups;
    if (changed) this.deps.changed?.(groups, membership);
  }

  private async groupOf(w: WatchedJob): Promise<JobGpuGroup | 'ended'> {
    // A cluster taken out of the setting, not one out of reach: nothing left to ask.
    if (this.deps.known && !this.deps.known(w.cluster)) return 'ended';
    const base = { cluster: w.cluster, id: w.id, samples: [] };
    let job: JobInfo | undefined;
    try {
      job = await this.deps.scheduler(w.cluster).job(w.id);
    } catch (error) {
      // The cluster is out of reach for now: the job stays watched and says why.
      return { ...base, label: `job ${w.id} on ${w.cluster}`, name: '', line: { kind: 'error', text: failure(error) } };
    }
    if (!job || job.phase === 'finished') return 'ended';
    const named = { ...base, name: job.name };
    if (job.phase === 'pending') return { ...named, label: `job ${w.id} (pending)`, line: { kind: 'pending', text: `Pending${job.reason ? ` (${job.reason})` : ''}: its GPUs show once it runs.` } };
    const label = `job ${w.id} on ${firstHost(job.nodes) ?? w.cluster}`;
    if (job.gpus === 0) return { ...named, label, line: { kind: 'no-gpus', text: `Job ${w.id} asked for no GPU.` } };
    try {
      const gpus = await sampleJobGpus(this.deps.runner(w.cluster), job);
      if (gpus.kind === 'no-tool') return { ...named, label, line: { kind: 'no-tool', text: gpus.message } };
      if (gpus.samples.length === 0) return { ...named, label, line: { kind: 'no-tool', text: `nvidia-smi on ${gpus.node} lists no GPU in this job.` } };
      return { ...named, label, samples: gpus.samples };
    } catch (error) {
      // Ended between the two looks (srun: "Invalid job id"): gone, not a failure.
      const again = await this.deps.scheduler(w.cluster).job(w.id).catch(() => job);
      if (!again || again.phase === 'finished') return 'ended';
      return { ...named, label, line: { kind: 'error', text: failure(error) } };
    }
  }

  dispose(): void {
    this.setWanted(false);
  }
}

/** Which jobs are watched and what each is doing, without its samples. */
const membershipOf = (groups: readonly JobGpuGroup[]): string => JSON.stringify(groups.map((g) => [g.cluster, g.id, g.line?.kind ?? 'gpus']));

const failure = (error: unknown): string => (isSchedulerError(error) ? error.schedulerMessage : describeError(error));
