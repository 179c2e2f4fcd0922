import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FeatureHost } from '../../activation/featureHost';
import { SETTINGS, VIEWS } from '../../commandIds';
import { describeError, UserError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { configuredPython } from '../../python/vscode/pythonExtension';
import { isSchedulerError } from '../jobScheduler';
import type { JobClusters } from '../jobClusters';
import { KernelJob, type KernelJobProgress } from '../kernel/kernelJob';
import { describeKernelPython, type KernelJobHost, type KernelJobRequest } from '../kernel/kernelJobHost';
import type { KernelJobRecord, KernelJobRecords } from '../kernel/kernelJobRecords';
import { kernelPythonFor } from '../kernel/kernelPython';
import { formatSlurmDuration, isSlurmDuration } from '../slurm/slurmValues';
import { findVenv } from '../submitPlan';
import { pickCluster, pickGpus, pickPartition } from './submitForm';

// Start Kernel on Slurm…: a Jupyter server in a job, shown in the Kernels view (through the kernels
// feature's attachServer hook) for as long as the job runs. Stopping it there ends the job; a job
// cancelled or timed out takes it out of the view. A warning comes before the time limit. Each
// running kernel job is recorded (its token in SecretStorage), so the next window on this workspace
// reconnects to it when the jobs feature loads, and forgets it once it ended.

/** How often a kernel job is looked at (its end, its tunnel). */
export const KERNEL_CHECK_MS = 15_000;
/** How long before its time limit the user is warned. */
export const TIME_LIMIT_WARNING_S = 10 * 60;

interface Session {
  readonly key: string;
  readonly cluster: string;
  readonly job: KernelJob;
  attachment: vscode.Disposable;
  baseUrl: string;
  readonly timers: NodeJS.Timeout[];
  checking?: Promise<void>;
}

export class SlurmKernels implements vscode.Disposable {
  /** The agent's tools' view of these kernel jobs. */
  readonly toolHost: KernelJobHost = { start: (c, r, s) => this.startFor(c, r, s), stop: (c, id) => this.stopJob(c, id), held: () => this.held(), pythonText: (c) => this.pythonText(c) };

  private readonly sessions = new Map<string, Session>();
  private restoring: Promise<void> | undefined;

  constructor(
    private readonly clusters: () => JobClusters,
    private readonly host: FeatureHost,
    private readonly log: Logger,
    private readonly records: KernelJobRecords,
  ) {}

  /**
   * Reconnects to the kernel jobs an earlier window on this workspace recorded and that still run
   * (back in the Kernels view, on the same local port when free); forgets those that ended. A
   * cluster that does not answer keeps its records for the next time. Never throws.
   */
  restore(): Promise<void> {
    this.restoring ??= (async () => {
      for (const record of this.records.list()) {
        if (this.sessions.has(keyOf(record.cluster, record.jobId))) continue;
        try {
          await this.restoreOne(record);
        } catch (error) {
          this.log.warn(`jobs: kernel job ${record.jobId} on ${record.cluster} not reconnected: ${describeError(error)}`);
          if (error instanceof UserError) {
            const forget = 'Forget It';
            void vscode.window.showWarningMessage(`${error.message} It stays out of the Kernels view.`, forget).then((pick) => (pick === forget ? this.forget(record) : undefined));
          }
        }
      }
    })().finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  private async restoreOne(record: KernelJobRecord): Promise<void> {
    const token = await this.records.token(record);
    if (!token) {
      this.log.info(`jobs: kernel job ${record.jobId} on ${record.cluster}: no token kept for it, record dropped`);
      return this.records.remove(record);
    }
    const clusters = this.clusters();
    if (!clusters.refs.some((r) => r.id === record.cluster)) {
      this.log.info(`jobs: kernel job ${record.jobId}: its cluster ${record.cluster} is not in mlEngineer.jobs.clusters now; kept for later`);
      return;
    }
    const found = await KernelJob.reconnect(clusters.scheduler(record.cluster), clusters.runner(record.cluster), record, token);
    if (!(found instanceof KernelJob)) {
      this.log.info(`jobs: kernel job ${record.jobId} on ${record.cluster} ended (${found.state}) while no window watched it; record dropped`);
      return this.records.remove(record);
    }
    if (this.sessions.has(keyOf(record.cluster, record.jobId))) return void found.close();
    this.add(record.cluster, found);
    void vscode.window.showInformationMessage(`Kernel job ${found.jobId} on ${found.node} still runs: it is back in the Kernels view, with its kernels as they were.`);
  }

  private forget(record: KernelJobRecord): Promise<void> {
    return this.records.remove(record).catch((error: unknown) => this.log.warn(`jobs: could not forget kernel job ${record.jobId}: ${describeError(error)}`));
  }

  /** The Python a job on `cluster` would run (the agent's approval names it); the setting is the editor's, read as startFor reads it. */
  private pythonText(cluster: string | undefined): string {
    return describeKernelPython(() => {
      const ref = this.clusters().ref(cluster);
      const chosen = kernelPythonFor(vscode.workspace.getConfiguration().get(SETTINGS.jobKernelPython), ref.id);
      return { chosen: chosen && { ...chosen, from: `the ${SETTINGS.jobKernelPython} setting` }, fallback: ref.sshHost === undefined ? 'this window\'s Python' : 'python3 on the node (the default)' };
    });
  }

  /** The command: the form, the job started with progress (Cancel cancels the job), then the server attached. */
  async start(): Promise<string | undefined> {
    if (!vscode.workspace.isTrusted) throw new UserError('A kernel on Slurm runs code on the cluster: trust the workspace first.');
    const clusters = this.clusters();
    const cluster = await pickCluster(clusters, 'Start a kernel on which cluster?');
    if (cluster === undefined) return undefined;
    const ref = clusters.ref(cluster);
    // Checked before anything is asked or submitted: a bad value is said at once, with what to write.
    const chosen = kernelPythonFor(vscode.workspace.getConfiguration().get(SETTINGS.jobKernelPython), cluster);
    const scheduler = clusters.scheduler(cluster);
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Reading the cluster\'s partitions…' }, () => scheduler.clusterInfo());
    const partition = await pickPartition(info.partitions, 'Kernel on Slurm: partition');
    if (!partition) return undefined;
    const gpus = await pickGpus(partition, 'all visible to the kernel');
    if (gpus === undefined) return undefined;
    const time = await vscode.window.showInputBox({
      title: `How long the kernel may run${partition.maxTimeSeconds !== undefined ? ` (at most ${formatSlurmDuration(partition.maxTimeSeconds)})` : ''}`,
      prompt: 'Minutes, HH:MM:SS or D-HH:MM:SS. Slurm ends the kernel then; you are warned 10 minutes before.',
      value: formatSlurmDuration(Math.min(partition.maxTimeSeconds ?? 4 * 3600, 4 * 3600)),
      validateInput: (v) => (isSlurmDuration(v) ? undefined : 'Minutes, HH:MM:SS or D-HH:MM:SS'),
    });
    if (time === undefined) return undefined;
    const idleMinutes = vscode.workspace.getConfiguration('mlEngineer').get<number>('jupyter.idleShutdownMinutes', 60);
    const go = await vscode.window.showInformationMessage(
      `Start a Jupyter server as a Slurm job in ${partition.name} with ${gpus === 0 ? 'no GPU' : `${gpus} GPU${gpus === 1 ? '' : 's'}`} for ${time}?`,
      { modal: true, detail: `It runs until you stop it in the Kernels view${idleMinutes > 0 ? `, or after ${idleMinutes} minutes with nothing running` : ''}. It needs jupyter_server and ipykernel in ${chosen ? `${chosen.environment?.kind === 'conda' ? `the conda environment ${chosen.environment.name}` : chosen.python} (${SETTINGS.jobKernelPython})` : ref.sshHost ? `the node's python3 (or set ${SETTINGS.jobKernelPython})` : 'this window\'s Python (or the workspace\'s .venv)'}.` },
      'Start Kernel',
    );
    if (go !== 'Start Kernel') return undefined;
    const job = await withCancellableProgress(`Kernel on Slurm (${partition.name})`, async (signal, progress) => {
      try {
        return await this.launch(cluster, { partition: partition.name, gpus, time }, signal, (p) => {
          progress.report({ message: p.phase === 'submitted' ? `job ${p.jobId} submitted` : p.phase === 'pending' ? `job ${p.jobId} waits (${p.reason})` : `job ${p.jobId} runs on ${p.node}: starting Jupyter…` });
        });
      } catch (error) {
        if (isSchedulerError(error)) throw new UserError(`Slurm refused the kernel job: ${error.schedulerMessage}${error.hint ? `\n${error.hint}` : ''}`);
        if (signal.aborted) return undefined;
        throw error;
      }
    });
    if (!job) return undefined;
    void vscode.commands.executeCommand(`${VIEWS.kernels}.focus`);
    void vscode.window.showInformationMessage(`Kernel job ${job.jobId} runs on ${job.node}: choose "Slurm job ${job.jobId}" in a notebook's kernel picker.`);
    return job.jobId;
  }

  /** The agent's start_kernel_job (approved by the user in the chat): no form, the same job, shown the same way. */
  async startFor(cluster: string | undefined, request: KernelJobRequest, signal?: AbortSignal): Promise<{ cluster: string; job: KernelJob }> {
    if (!vscode.workspace.isTrusted) throw new UserError('A kernel on Slurm runs code on the cluster: trust the workspace first.');
    const id = this.clusters().ref(cluster).id;
    return { cluster: id, job: await this.launch(id, request, signal) };
  }

  /** Submits the kernel job with this workspace's Python choice, waits for its server, and shows it in the Kernels view. */
  private async launch(cluster: string, request: KernelJobRequest, signal?: AbortSignal, onProgress?: (p: KernelJobProgress) => void): Promise<KernelJob> {
    const clusters = this.clusters();
    const ref = clusters.ref(cluster);
    const chosen = kernelPythonFor(vscode.workspace.getConfiguration().get(SETTINGS.jobKernelPython), cluster);
    const idleMinutes = vscode.workspace.getConfiguration('mlEngineer').get<number>('jupyter.idleShutdownMinutes', 60);
    // On this machine the job starts in the workspace (its .venv activated); over SSH in the login's home.
    const root = ref.sshHost === undefined ? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath : undefined;
    // There, the Python this window uses (a login node shares its file system with the nodes); python3 over SSH.
    // The setting, where it names one, wins over both.
    const local = ref.sshHost === undefined && !chosen ? await configuredPython(this.log) : undefined;
    const python = chosen?.python ?? local?.setting ?? local?.fromExtension;
    const environment = chosen ? chosen.environment : root ? findVenv(join(root, 'notebook.ipynb'), root) : undefined;
    const job = await KernelJob.start(clusters.scheduler(cluster), clusters.runner(cluster), {
      ...request,
      idleMinutes,
      ...(root ? { workDir: root } : {}),
      ...(environment ? { environment } : {}),
      ...(python ? { python } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    this.add(cluster, job);
    return job;
  }

  /** stop_kernel_job: stops a kernel job shown here; false when none of that id is. */
  async stopJob(cluster: string, jobId: string): Promise<boolean> {
    const session = this.sessions.get(keyOf(cluster, jobId));
    if (!session) return false;
    await this.stop(session);
    return true;
  }

  held(): { cluster: string; jobId: string; where: string }[] {
    return [...this.sessions.values()].map((s) => ({ cluster: s.cluster, jobId: s.job.jobId, where: `Kernels view, "Slurm job ${s.job.jobId} on ${s.job.node}"` }));
  }

  /** A job changed from elsewhere (the Jobs view cancelled it): look at the kernel jobs soon. */
  checkSoon(cluster: string, jobId: string): void {
    const session = this.sessions.get(keyOf(cluster, jobId));
    if (!session) return;
    session.timers.push(setTimeout(() => void this.check(session), 1_500));
  }

  private add(cluster: string, job: KernelJob): void {
    const key = keyOf(cluster, job.jobId);
    const session: Session = { key, cluster, job, attachment: { dispose: () => undefined }, baseUrl: job.endpoint.baseUrl, timers: [] };
    session.attachment = this.attach(session);
    this.sessions.set(key, session);
    session.timers.push(setInterval(() => void this.check(session), KERNEL_CHECK_MS));
    const endsAt = job.endsAt;
    if (endsAt !== undefined) {
      const warnInMs = Math.max(0, (endsAt - TIME_LIMIT_WARNING_S) * 1000 - Date.now());
      // setTimeout holds at most ~24.8 days.
      if (warnInMs < 2 ** 31 - 1) session.timers.push(setTimeout(() => this.warn(session, endsAt), warnInMs));
    }
    this.keep(session);
    this.log.info(`jobs: kernel job ${job.jobId} on ${cluster} serves ${job.endpoint.baseUrl} (node ${job.node}, port ${job.remotePort})`);
  }

  /** Records the job (where it listens now, its token in the secret store) for the next window. */
  private keep(session: Session): void {
    const { job, cluster } = session;
    this.records.save(job.record(cluster), job.endpoint.token).catch((error: unknown) => this.log.warn(`jobs: kernel job ${job.jobId} not recorded for reconnecting: ${describeError(error)}`));
  }

  private attach(session: Session): vscode.Disposable {
    const { job } = session;
    const endpoint = job.endpoint;
    return this.host.load('kernels', 'a kernel on a Slurm job').attachServer({
      id: `slurm-${session.key.replace(/[^\w.-]/g, '_')}`,
      label: `Slurm job ${job.jobId} on ${job.node}`,
      baseUrl: endpoint.baseUrl,
      token: endpoint.token,
      stop: () => this.stop(session),
    });
  }

  private warn(session: Session, endsAt: number): void {
    if (!this.sessions.has(session.key)) return;
    const minutes = Math.max(0, Math.round((endsAt * 1000 - Date.now()) / 60_000));
    void vscode.window.showWarningMessage(`Kernel job ${session.job.jobId} reaches its time limit in ${minutes} minute${minutes === 1 ? '' : 's'}: Slurm then ends it, and its kernels' variables are lost. Save what you need.`);
  }

  /** One look at a kernel job: gone from the view once it ended; re-attached if its tunnel came back on another port. */
  private check(session: Session): Promise<void> {
    session.checking ??= (async () => {
      try {
        const state = await session.job.check();
        if (state.ended) {
          this.end(session, true);
          void vscode.window.showInformationMessage(`Kernel job ${session.job.jobId} ended (${state.state}${state.reason ? `, ${state.reason}` : ''}); its server is gone from the Kernels view.`);
        } else if (state.endpoint.baseUrl !== session.baseUrl && this.sessions.has(session.key)) {
          session.attachment.dispose();
          session.baseUrl = state.endpoint.baseUrl;
          session.attachment = this.attach(session);
          this.keep(session);
        }
      } catch (error) {
        // The cluster did not answer this time (a dropped connection): the next look tries again.
        this.log.warn(`jobs: kernel job ${session.job.jobId}: ${describeError(error)}`);
      }
    })().finally(() => (session.checking = undefined));
    return session.checking;
  }

  private async stop(session: Session): Promise<void> {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping kernel job ${session.job.jobId}…` }, () => session.job.stop());
    this.end(session, true);
    this.log.info(`jobs: stopped kernel job ${session.job.jobId}`);
  }

  /** Takes the job out of the view; `ended`: it ended (or was stopped), so its record goes too. */
  private end(session: Session, ended = false): void {
    if (this.sessions.get(session.key) !== session) return;
    if (ended) void this.forget(session.job.record(session.cluster));
    this.sessions.delete(session.key);
    for (const t of session.timers) clearTimeout(t);
    session.attachment.dispose();
    void session.job.close();
  }

  /** The window closes: tunnels go, jobs and their records stay (their servers stop when idle, or at the time limit). */
  dispose(): void {
    for (const session of [...this.sessions.values()]) this.end(session);
  }
}

function keyOf(cluster: string, jobId: string): string {
  return `${cluster}/${jobId}`;
}
