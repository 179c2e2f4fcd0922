import { EXIT, type CliIo } from '../../cli/subcommand';
import type { JobClusters } from '../jobClusters';
import { jobsText } from '../jobText';
import { KernelJob } from './kernelJob';
import { isKernelJob } from './kernelJobTools';
import { folderKernelPython } from './folderSettings';
import { kernelPythonText } from './kernelPython';
import type { KernelJobRequest } from './kernelJobHost';

// `ml-engineer jobs --kernels | --start-kernel | --stop-kernel ID`: the kernel jobs in a terminal.
// --start-kernel stays in the foreground like `jupyter server` (it holds the SSH tunnel) and prints
// the server's URL with its token to the user's own terminal; Ctrl-C stops the server and its job.

/** How often the foreground start looks at its job (its end, its tunnel). */
const CHECK_MS = 15_000;

export async function listKernelJobs(clusters: JobClusters, io: CliIo, json: boolean, signal: AbortSignal): Promise<number> {
  const s = clusters.scheduler();
  const user = await s.whoami(signal);
  const jobs = (await s.jobs({ user, finished: true, signal })).filter(isKernelJob);
  io.out(json ? `${JSON.stringify(jobs, null, 2)}\n` : `${jobsText(jobs, Math.floor(Date.now() / 1000))}\n`);
  return EXIT.ok;
}

export async function stopKernelJob(clusters: JobClusters, jobId: string, io: CliIo, signal: AbortSignal): Promise<number> {
  if (!/^\d+$/.test(jobId)) throw new Error(`--stop-kernel takes a job id such as 123, not "${jobId}"`);
  const s = clusters.scheduler();
  const job = await s.job(jobId, signal);
  if (!job) throw new Error(`Slurm does not know job ${jobId}`);
  if (!isKernelJob(job)) throw new Error(`job ${jobId} (${job.name}) is not a kernel job: scancel ${jobId} cancels it`);
  if (job.phase === 'finished') {
    io.out(`Kernel job ${jobId} already ended (${job.state}).\n`);
    return EXIT.ok;
  }
  await s.act('cancel', jobId, signal);
  io.out(`Stopped kernel job ${jobId}.\n`);
  return EXIT.ok;
}

export async function startKernelJob(clusters: JobClusters, request: KernelJobRequest & { readonly python?: string }, io: CliIo, json: boolean, signal: AbortSignal): Promise<number> {
  const cluster = clusters.ref().id;
  // --python, else the folder's mlEngineer.jobs.kernelPython (.vscode/settings.json), as the editor reads it.
  const chosen = folderKernelPython(io.cwd, cluster, request.python);
  // A folder's settings file is not the user's own word (the editor trusts it only in a trusted
  // workspace): the Python it names is said before the job starts (on stderr: --json keeps stdout).
  if (chosen && !request.python) io.err(`Kernel job Python: ${kernelPythonText(chosen, '')}.\n`);
  const { python: _python, ...rest } = request;
  const job = await KernelJob.start(clusters.scheduler(), clusters.runner(), {
    ...rest,
    ...(chosen ?? {}),
    workDir: clusters.ref().sshHost === undefined ? io.cwd : undefined,
    signal,
    onProgress: (p) => {
      if (!json) io.err(p.phase === 'submitted' ? `Submitted kernel job ${p.jobId}.\n` : p.phase === 'starting' ? `Job ${p.jobId} runs on ${p.node}: starting Jupyter…\n` : '');
    },
  });
  try {
    const url = `${job.endpoint.baseUrl}?token=${job.endpoint.token}`;
    io.out(json ? `${JSON.stringify({ jobId: job.jobId, node: job.node, url: job.endpoint.baseUrl, token: job.endpoint.token })}\n` : `Kernel job ${job.jobId} runs on ${job.node}.\nJupyter server: ${url}\nCtrl-C stops the server and ends the job.\n`);
    for (;;) {
      const stopped = await new Promise<boolean>((resolve) => {
        if (signal.aborted) return resolve(true);
        const timer = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve(false)), CHECK_MS);
        const onAbort = (): void => (clearTimeout(timer), resolve(true));
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (stopped) {
        await job.stop();
        if (!json) io.out(`Stopped kernel job ${job.jobId}.\n`);
        return EXIT.ok;
      }
      const state = await job.check().catch(() => undefined);
      if (state?.ended) {
        if (!json) io.out(`Kernel job ${job.jobId} ended (${state.state}${state.reason ? `, ${state.reason}` : ''}).\n`);
        return EXIT.ok;
      }
    }
  } finally {
    await job.close();
  }
}
