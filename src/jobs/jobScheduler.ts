// The one interface the Jobs view, the agent's tools and the CLI use for a cluster scheduler.
// Slurm implements it (src/jobs/slurm/); Kubernetes Jobs or Ray Jobs can follow without any caller changing.

/** Where a job is in its life, whatever words its scheduler uses. */
export type JobPhase = 'pending' | 'running' | 'finished';

export interface JobInfo {
  /** The id the scheduler's commands take: "123", or "123_4" for one task of an array job. */
  readonly id: string;
  /** Set for a task of an array job (and for its pending rest, "123_[5-9]"): the array's id. */
  readonly arrayJobId?: string;
  readonly arrayTaskId?: string;
  readonly name: string;
  readonly user?: string;
  /** The scheduler's own word: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED... */
  readonly state: string;
  readonly phase: JobPhase;
  /** Why it waits (Priority, Resources, Dependency, JobHeldUser), or why it ended when the scheduler says. */
  readonly reason?: string;
  readonly partition?: string;
  /** The nodes it runs on (a Slurm host list such as "gpu[01-02]"). */
  readonly nodes?: string;
  readonly nodeCount?: number;
  /** GPUs requested or allocated, from its GRES/TRES; 0 when none. */
  readonly gpus: number;
  /** Unix seconds. */
  readonly submitTime?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  /** Undefined: no limit. */
  readonly timeLimitSeconds?: number;
  /** The script's exit code once finished; undefined while it runs. */
  readonly exitCode?: number;
  /** The signal that ended it, when one did. */
  readonly exitSignal?: number;
  readonly stdoutPath?: string;
  readonly stderrPath?: string;
  readonly workDir?: string;
}

export interface PartitionInfo {
  readonly name: string;
  readonly isDefault: boolean;
  /** UP, DOWN, DRAIN, INACTIVE. */
  readonly state: string;
  readonly nodes: number;
  readonly cpusTotal: number;
  readonly cpusIdle: number;
  readonly gpusTotal: number;
  readonly gpusFree: number;
  /** GPU types its nodes declare (a100, h100); empty when the GRES names no type. */
  readonly gpuTypes: readonly string[];
  /** Undefined: no limit. */
  readonly maxTimeSeconds?: number;
  readonly defaultTimeSeconds?: number;
  /** The largest memory of one of its nodes, MB. */
  readonly memoryMbPerNode?: number;
}

export interface ClusterInfo {
  readonly name?: string;
  /** The scheduler's version ("22.05.8"). */
  readonly version?: string;
  readonly partitions: readonly PartitionInfo[];
}

export interface SubmitRequest {
  /** The whole batch script (sent on stdin, so what was shown is what runs). */
  readonly script: string;
  /** The job's working folder on the cluster. */
  readonly cwd?: string;
}

export interface JobListOptions {
  /** Only this user's jobs; undefined: every job the scheduler shows. */
  readonly user?: string;
  /** Include jobs that finished (from accounting, or what the controller still remembers). */
  readonly finished?: boolean;
  readonly signal?: AbortSignal;
}

/** A range of a job's output file, read on the cluster's side. */
export interface OutputChunk {
  /** The file's size when read. */
  readonly size: number;
  /** Where `text` starts. */
  readonly offset: number;
  readonly text: string;
}

export type JobAction = 'cancel' | 'hold' | 'release' | 'requeue';

export interface JobScheduler {
  /** "slurm"; another backend says its own. */
  readonly kind: string;
  /** Where it runs, for messages ("this machine", "gpu-login (ssh)"). */
  readonly label: string;
  clusterInfo(signal?: AbortSignal): Promise<ClusterInfo>;
  jobs(options?: JobListOptions): Promise<readonly JobInfo[]>;
  /** One job (finished ones too while the scheduler knows them); undefined when it does not. */
  job(id: string, signal?: AbortSignal): Promise<JobInfo | undefined>;
  /** Submits a batch script; resolves with the new job's id. Scheduler errors are SchedulerErrors, verbatim. */
  submit(request: SubmitRequest, signal?: AbortSignal): Promise<string>;
  act(action: JobAction, id: string, signal?: AbortSignal): Promise<void>;
  /** Up to maxBytes of a file from `offset` (the end's last maxBytes when offset is undefined). */
  readOutput(path: string, offset: number | undefined, maxBytes: number, signal?: AbortSignal): Promise<OutputChunk>;
  /** The user the scheduler's commands run as (to show "my jobs"). */
  whoami(signal?: AbortSignal): Promise<string>;
  dispose(): void;
}

/** A scheduler command that failed: its own words, verbatim, and what to change when we know. */
export class SchedulerError extends Error {
  override readonly name = 'SchedulerError';
  constructor(
    /** The command, as argv (for the log). */
    readonly command: readonly string[],
    /** What the scheduler printed on stderr (or stdout), trimmed, unchanged. */
    readonly schedulerMessage: string,
    readonly hint?: string,
  ) {
    super(`${command[0]} failed: ${schedulerMessage}${hint ? `\n${hint}` : ''}`);
  }
}

export function isSchedulerError(value: unknown): value is SchedulerError {
  return value instanceof Error && value.name === 'SchedulerError' && typeof (value as { schedulerMessage?: unknown }).schedulerMessage === 'string';
}
