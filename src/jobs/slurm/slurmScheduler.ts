import { SchedulerError, type ClusterInfo, type JobAction, type JobInfo, type JobListOptions, type JobScheduler, type OutputChunk, type SubmitRequest } from '../jobScheduler';
import type { CommandRunner } from '../transport/commandRunner';
import { jobsFromSqueueJson, jsonErrors, jsonVersion, nodesFromSinfoJson, type NodeGres } from './slurmJson';
import { jobFromScontrol, jobsFromSacct, jobsFromSqueueText, nodesFromSinfoText, partitionsFromSinfoText, SACCT_FIELDS, SINFO_PARTITION_FORMAT, sinfoNodeFormatArg, squeueFormatArg } from './slurmText';

// Slurm through its own commands, wherever the runner runs them. squeue/sinfo --json on 21.08+,
// their text forms before (or when the JSON plugins are missing); sacct for finished jobs where
// accounting exists, else what squeue still lists (MinJobAge). Every failure is the command's
// own message, verbatim, with a hint when we know what to change.

export type SlurmOutputFormat = 'auto' | 'json' | 'text';

export interface SlurmSchedulerOptions {
  /** auto: JSON from 21.08 on, text before and where JSON fails. Tests force each. */
  readonly format?: SlurmOutputFormat;
  readonly timeoutMs?: number;
}

/** Job ids the commands take: 123, 123_4, 123_[5-9]; nothing that could read as an option. */
const JOB_ID = /^\d+(?:_(?:\d+|\[[\d,%-]+\]))?$/;

const ACTIONS: Record<JobAction, (id: string) => string[]> = {
  cancel: (id) => ['scancel', id],
  hold: (id) => ['scontrol', 'hold', id],
  release: (id) => ['scontrol', 'release', id],
  requeue: (id) => ['scontrol', 'requeue', id],
};

/** What to change, for the scheduler errors users meet most. The message itself is always shown as Slurm wrote it. */
export function hintFor(message: string): string | undefined {
  if (/invalid partition/i.test(message)) return 'Choose one of the partitions sinfo lists (the Submit form offers them).';
  if (/QOS|AssocMax|AssocGrp/i.test(message)) return 'A QOS or account limit refuses this request: ask for fewer GPUs, nodes or less time, or use another QOS (--qos) or account.';
  if (/invalid generic resource|gres/i.test(message)) return 'The cluster has no such GRES: check the GPU type and count against sinfo (the form lists each partition\'s GPU types).';
  if (/node configuration is not available/i.test(message)) return 'No node of this partition has that many GPUs, CPUs or that much memory: ask for less, or choose another partition.';
  if (/time limit/i.test(message)) return 'The partition\'s time limit is lower than asked: ask for less time or choose a partition with a longer limit.';
  if (/Invalid job id/i.test(message)) return 'The scheduler no longer knows this job (it finished a while ago).';
  return undefined;
}

export class SlurmScheduler implements JobScheduler {
  readonly kind = 'slurm';
  private version?: Promise<string | undefined>;
  private jsonWorks?: boolean;
  private accounting?: boolean;
  private user?: Promise<string>;

  constructor(
    private readonly runner: CommandRunner,
    private readonly options: SlurmSchedulerOptions = {},
  ) {}

  get label(): string {
    return this.runner.label;
  }

  /** Runs one command; a non-zero exit is a SchedulerError with what it printed. */
  private async exec(argv: string[], extra: { signal?: AbortSignal; input?: string; cwd?: string } = {}): Promise<string> {
    const result = await this.runner.run(argv, { timeoutMs: this.options.timeoutMs ?? 30_000, ...extra });
    if (result.code !== 0) {
      const message = (result.stderr.trim() || result.stdout.trim() || `exit code ${result.code ?? 'none (killed by a signal)'}`).replace(/\s+$/, '');
      throw new SchedulerError(argv, message, hintFor(message));
    }
    return result.stdout;
  }

  /** "22.05.8", from `sinfo --version`. */
  slurmVersion(signal?: AbortSignal): Promise<string | undefined> {
    this.version ??= this.exec(['sinfo', '--version'], { ...(signal ? { signal } : {}) }).then(
      (out) => /(\d+\.\d+(?:\.\d+)?)/.exec(out)?.[1],
      (error: unknown) => {
        this.version = undefined;
        throw error;
      },
    );
    return this.version;
  }

  private async useJson(signal?: AbortSignal): Promise<boolean> {
    const format = this.options.format ?? 'auto';
    if (format !== 'auto') return format === 'json';
    if (this.jsonWorks !== undefined) return this.jsonWorks;
    const version = await this.slurmVersion(signal);
    const [major = 0, minor = 0] = (version ?? '0.0').split('.').map(Number);
    this.jsonWorks = major > 21 || (major === 21 && minor >= 8);
    return this.jsonWorks;
  }

  /** A --json command's document; on auto, a release without the JSON plugins falls back to text for good. */
  private async json(argv: string[], signal?: AbortSignal): Promise<unknown> {
    let out: string;
    try {
      out = await this.exec(argv, { ...(signal ? { signal } : {}) });
    } catch (error) {
      if ((this.options.format ?? 'auto') === 'auto' && error instanceof SchedulerError && /json|serializ|plugin|unrecognized option/i.test(error.schedulerMessage)) {
        this.jsonWorks = false;
        return undefined;
      }
      throw error;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(out);
    } catch {
      if ((this.options.format ?? 'auto') === 'auto') {
        this.jsonWorks = false;
        return undefined;
      }
      throw new SchedulerError(argv, `printed no JSON: ${out.slice(0, 200)}`);
    }
    const errors = jsonErrors(doc);
    if (errors.length > 0) throw new SchedulerError(argv, errors.join('; '), hintFor(errors.join(' ')));
    return doc;
  }

  async clusterInfo(signal?: AbortSignal): Promise<ClusterInfo> {
    let nodes: NodeGres[] | undefined;
    let version: string | undefined;
    if (await this.useJson(signal)) {
      const doc = await this.json(['sinfo', '--json'], signal);
      if (doc !== undefined) {
        nodes = nodesFromSinfoJson(doc);
        version = jsonVersion(doc);
      }
    }
    nodes ??= nodesFromSinfoText(await this.exec(['sinfo', '--noheader', '--Node', `--Format=${sinfoNodeFormatArg()}`], { ...(signal ? { signal } : {}) }));
    // Partition limits come from the text form in every release (22.05's JSON has none).
    const partitions = partitionsFromSinfoText(await this.exec(['sinfo', '--noheader', `--format=${SINFO_PARTITION_FORMAT}`], { ...(signal ? { signal } : {}) }), nodes);
    version ??= await this.slurmVersion(signal).catch(() => undefined);
    return { ...(version ? { version } : {}), partitions };
  }

  async jobs(options: JobListOptions = {}): Promise<readonly JobInfo[]> {
    const { signal, user } = options;
    let jobs: JobInfo[] | undefined;
    if (await this.useJson(signal)) {
      // 22.05 ignores squeue's filters with --json: the user is filtered here.
      const doc = await this.json(['squeue', '--json'], signal);
      if (doc !== undefined) jobs = jobsFromSqueueJson(doc);
    }
    jobs ??= jobsFromSqueueText(await this.exec(['squeue', '--noheader', '--states=all', ...(user ? ['--user', user] : []), `--Format=${squeueFormatArg()}`], { ...(signal ? { signal } : {}) }));
    if (user) jobs = jobs.filter((j) => j.user === undefined || j.user === user);
    if (options.finished === false) return jobs.filter((j) => j.phase !== 'finished');
    if (options.finished) {
      const known = new Set(jobs.map((j) => j.id));
      const done = await this.accountedJobs(user, signal);
      jobs = [...jobs, ...done.filter((j) => !known.has(j.id))];
    }
    return jobs;
  }

  /** Jobs from accounting over the last day; none (and not asked again) where accounting is off. */
  private async accountedJobs(user: string | undefined, signal?: AbortSignal): Promise<JobInfo[]> {
    if (this.accounting === false) return [];
    try {
      const out = await this.exec(['sacct', '--allocations', '--parsable2', '--noheader', '--starttime', 'now-1days', ...(user ? ['--user', user] : ['--allusers']), `--format=${SACCT_FIELDS.join(',')}`], { ...(signal ? { signal } : {}) });
      this.accounting = true;
      return jobsFromSacct(out);
    } catch (error) {
      if (error instanceof SchedulerError && /accounting storage is disabled|slurmdbd|Problem talking to the database/i.test(error.schedulerMessage)) {
        this.accounting = false;
        return [];
      }
      throw error;
    }
  }

  async job(id: string, signal?: AbortSignal): Promise<JobInfo | undefined> {
    checkJobId(id);
    const all = await this.jobs({ finished: true, ...(signal ? { signal } : {}) });
    const found = all.find((j) => j.id === id) ?? all.find((j) => j.arrayJobId === undefined && j.id === id.split('_')[0]);
    if (found) return found;
    try {
      return jobFromScontrol(await this.exec(['scontrol', 'show', 'job', id], { ...(signal ? { signal } : {}) }));
    } catch (error) {
      if (error instanceof SchedulerError && /Invalid job id/i.test(error.schedulerMessage)) return undefined;
      throw error;
    }
  }

  async submit(request: SubmitRequest, signal?: AbortSignal): Promise<string> {
    const out = await this.exec(['sbatch', '--parsable'], { input: request.script, ...(request.cwd ? { cwd: request.cwd } : {}), ...(signal ? { signal } : {}) });
    // "123" or "123;cluster" on a federation.
    const id = out.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
    if (!/^\d+$/.test(id)) throw new SchedulerError(['sbatch'], `printed no job id: ${out.trim().slice(0, 300)}`);
    return id;
  }

  async act(action: JobAction, id: string, signal?: AbortSignal): Promise<void> {
    checkJobId(id);
    await this.exec(ACTIONS[action](id), { ...(signal ? { signal } : {}) });
  }

  async readOutput(path: string, offset: number | undefined, maxBytes: number, signal?: AbortSignal): Promise<OutputChunk> {
    if (!path.startsWith('/')) throw new Error(`not an absolute path on the cluster: ${path}`);
    const opt = signal ? { signal } : {};
    const size = Number((await this.exec(['stat', '-L', '-c', '%s', '--', path], opt)).trim());
    if (!Number.isFinite(size)) throw new Error(`cannot read the size of ${path}`);
    // A file shorter than what was read before was rewritten (a requeued job): read it from the start.
    let from = offset === undefined ? Math.max(0, size - maxBytes) : offset > size ? 0 : offset;
    if (size - from > maxBytes && offset !== undefined) from = size - maxBytes;
    const count = Math.min(maxBytes, size - from);
    if (count <= 0) return { size, offset: from, text: '' };
    const text = await this.exec(['dd', `if=${path}`, 'iflag=skip_bytes,count_bytes', `skip=${from}`, `count=${count}`, 'bs=65536', 'status=none'], opt);
    return { size, offset: from, text };
  }

  whoami(signal?: AbortSignal): Promise<string> {
    this.user ??= this.exec(['id', '-un'], { ...(signal ? { signal } : {}) }).then(
      (out) => out.trim(),
      (error: unknown) => {
        this.user = undefined;
        throw error;
      },
    );
    return this.user;
  }

  dispose(): void {
    this.runner.dispose();
  }
}

function checkJobId(id: string): void {
  if (!JOB_ID.test(id)) throw new Error(`not a Slurm job id: ${JSON.stringify(id)}`);
}
