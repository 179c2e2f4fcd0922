import { randomBytes } from 'node:crypto';
import { UserError } from '../../common/errors';
import { probeServer, type JupyterEndpoint } from '../../kernels/jupyterEndpoint';
import { shutdownServer } from '../../kernels/localServer';
import type { JobInfo, JobScheduler } from '../jobScheduler';
import type { CommandRunner, PortForward } from '../transport/commandRunner';
import type { KernelJobRecord } from './kernelJobRecords';
import { kernelJobScript, readyAddress, type KernelJobOptions } from './kernelJobScript';

// A Jupyter server on a Slurm allocation, from submit to shutdown: wait while the job is pending,
// read the node and port the job prints, reach it (directly from a login node, through a port
// forwarded on the SSH master from elsewhere), and end it: the server's own shutdown ends the
// job, and a cancel or time limit ends the server. Free of VS Code: the CLI and tests run it too.

export type KernelJobProgress =
  | { readonly phase: 'submitted'; readonly jobId: string }
  | { readonly phase: 'pending'; readonly jobId: string; readonly reason: string }
  | { readonly phase: 'starting'; readonly jobId: string; readonly node: string };

export interface StartKernelJobOptions extends KernelJobOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: KernelJobProgress) => void;
  /** Once the job runs, how long its server may take to answer; default 120 s. Pending time is the user's to cut (the signal). */
  readonly startTimeoutMs?: number;
  /** How often the job is looked at while it starts; default 1 s. */
  readonly pollMs?: number;
}

export type KernelJobState = { readonly ended: false; readonly endpoint: JupyterEndpoint } | { readonly ended: true; readonly state: string; readonly reason?: string };

export class KernelJob {
  private constructor(
    private readonly scheduler: JobScheduler,
    private readonly runner: CommandRunner,
    readonly jobId: string,
    private readonly token: string,
    /** The node and port the server listens on, as the cluster's side sees them. */
    readonly node: string,
    readonly remotePort: number,
    /** The job when its server answered: start time and time limit. */
    readonly job: JobInfo,
    private tunnel: PortForward | undefined,
  ) {}

  /** Submits the kernel job and resolves once its server answers with the token. Aborting (or any failure) cancels the job. */
  static async start(scheduler: JobScheduler, runner: CommandRunner, options: StartKernelJobOptions): Promise<KernelJob> {
    const { signal } = options;
    const token = randomBytes(24).toString('hex');
    const script = kernelJobScript(options, token);
    const jobId = await scheduler.submit({ script, ...(options.workDir ? { cwd: options.workDir } : {}) }, signal);
    options.onProgress?.({ phase: 'submitted', jobId });
    let tunnel: PortForward | undefined;
    try {
      const pollMs = options.pollMs ?? 1_000;
      let address: { node: string; port: number } | undefined;
      let runningSince: number | undefined;
      for (;;) {
        signal?.throwIfAborted();
        const job = await scheduler.job(jobId, signal);
        if (!job) throw new UserError(`Slurm no longer knows the kernel job ${jobId}.`);
        if (job.phase === 'finished') throw new UserError(`The kernel job ${jobId} ended (${job.state}${job.reason && job.reason !== 'None' ? `, ${job.reason}` : ''}) before its Jupyter server answered.${await outputTail(scheduler, job)}`);
        if (job.phase === 'pending') {
          options.onProgress?.({ phase: 'pending', jobId, reason: job.reason ?? 'pending' });
        } else {
          runningSince ??= Date.now();
          if (Date.now() - runningSince > (options.startTimeoutMs ?? 120_000)) {
            throw new UserError(`The Jupyter server of job ${jobId} did not answer within ${Math.round((options.startTimeoutMs ?? 120_000) / 1000)} s of the job starting.${await outputTail(scheduler, job)}`);
          }
          if (!address && job.stdoutPath) {
            const out = await scheduler.readOutput(job.stdoutPath, 0, 64 * 1024, signal).catch(() => undefined);
            address = out ? readyAddress(out.text) : undefined;
            if (address) options.onProgress?.({ phase: 'starting', jobId, node: address.node });
          }
          if (address) {
            tunnel ??= runner.forward ? await runner.forward(address.node, address.port, signal ? { signal } : {}) : undefined;
            const endpoint = endpointOf(address, tunnel, token);
            const probe = await probeServer(endpoint, { timeoutMs: 3_000, ...(signal ? { signal } : {}) });
            if (probe.ok) return new KernelJob(scheduler, runner, jobId, token, address.node, address.port, job, tunnel);
          }
        }
        await delay(pollMs, signal);
      }
    } catch (error) {
      await tunnel?.close().catch(() => undefined);
      await scheduler.act('cancel', jobId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The job of a record a window kept (after a reload). Still running: its server reached again (a new tunnel, on the old local port when free) and probed
   * with the kept token. Ended (or unknown to Slurm): says so, and the record can go. A running job
   * whose server does not answer is an error; the job is left alone (it is the user's).
   */
  static async reconnect(scheduler: JobScheduler, runner: CommandRunner, record: KernelJobRecord, token: string, signal?: AbortSignal): Promise<KernelJob | { readonly ended: true; readonly state: string }> {
    const job = await scheduler.job(record.jobId, signal);
    if (!job || job.phase === 'finished') return { ended: true, state: job?.state ?? 'gone' };
    if (job.phase === 'pending') return { ended: true, state: `${job.state} (requeued: its server is gone)` };
    const tunnel = runner.forward ? await runner.forward(record.node, record.remotePort, { ...(record.localPort ? { localPort: record.localPort } : {}), ...(signal ? { signal } : {}) }) : undefined;
    const endpoint = endpointOf({ node: record.node, port: record.remotePort }, tunnel, token);
    const probe = await probeServer(endpoint, { timeoutMs: 5_000, ...(signal ? { signal } : {}) });
    if (!probe.ok) {
      await tunnel?.close().catch(() => undefined);
      throw new UserError(`Kernel job ${record.jobId} still runs, but its Jupyter server at ${record.node}:${record.remotePort} did not answer (${probe.problem}).`);
    }
    return new KernelJob(scheduler, runner, record.jobId, token, record.node, record.remotePort, job, tunnel);
  }

  /** What a window keeps to reconnect later (the token goes to the secret store, not here). */
  record(cluster: string): KernelJobRecord {
    return { cluster, jobId: this.jobId, node: this.node, remotePort: this.remotePort, ...(this.tunnel ? { localPort: this.tunnel.localPort } : {}) };
  }

  /** The URL and token the Kernels view connects with. */
  get endpoint(): JupyterEndpoint {
    return endpointOf({ node: this.node, port: this.remotePort }, this.tunnel, this.token);
  }

  /** Unix seconds when Slurm ends the job at its time limit; undefined: no limit. */
  get endsAt(): number | undefined {
    const { startTime, timeLimitSeconds } = this.job;
    return startTime !== undefined && timeLimitSeconds !== undefined ? startTime + timeLimitSeconds : undefined;
  }

  /**
   * Where the job stands. While it runs, a tunnel lost with its SSH connection is made again (on
   * the same local port when it is free, so the URL stays; `endpoint` says which).
   */
  async check(signal?: AbortSignal): Promise<KernelJobState> {
    const job = await this.scheduler.job(this.jobId, signal);
    if (!job || job.phase === 'finished') return { ended: true, state: job?.state ?? 'gone', ...(job?.reason && job.reason !== 'None' ? { reason: job.reason } : {}) };
    if (this.tunnel && this.runner.forward && !(await this.tunnel.alive())) {
      const before = this.tunnel.localPort;
      this.tunnel = await this.runner.forward(this.node, this.remotePort, { localPort: before, ...(signal ? { signal } : {}) });
    }
    return { ended: false, endpoint: this.endpoint };
  }

  /** Shuts the server down (its kernels first; the job then ends by itself), cancels the job if it still runs, and takes the tunnel down. */
  async stop(): Promise<void> {
    try {
      const stopped = await shutdownServer(this.endpoint);
      const job = stopped ? await waitForEnd(this.scheduler, this.jobId, 10_000) : undefined;
      if (!job || job.phase !== 'finished') await this.scheduler.act('cancel', this.jobId).catch(() => undefined);
    } finally {
      await this.close();
    }
  }

  /** Takes the tunnel down and leaves the job as it is. */
  async close(): Promise<void> {
    const tunnel = this.tunnel;
    this.tunnel = undefined;
    await tunnel?.close().catch(() => undefined);
  }
}

function endpointOf(address: { node: string; port: number }, tunnel: PortForward | undefined, token: string): JupyterEndpoint {
  return { baseUrl: tunnel ? `http://127.0.0.1:${tunnel.localPort}/` : `http://${address.node}:${address.port}/`, token };
}

/** The job once Slurm lists it finished, or what it last saw after `ms`. */
async function waitForEnd(scheduler: JobScheduler, jobId: string, ms: number): Promise<JobInfo | undefined> {
  const until = Date.now() + ms;
  let job: JobInfo | undefined;
  while (Date.now() < until) {
    job = await scheduler.job(jobId).catch(() => job);
    if (!job || job.phase === 'finished') return job;
    await delay(300);
  }
  return job;
}

async function outputTail(scheduler: JobScheduler, job: JobInfo): Promise<string> {
  if (!job.stdoutPath) return '';
  const out = await scheduler.readOutput(job.stdoutPath, undefined, 2_000).catch(() => undefined);
  const text = out?.text.trim();
  return text ? `\nThe end of ${job.stdoutPath}:\n${text.split('\n').slice(-12).join('\n')}` : '';
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
