import { readFile } from 'node:fs/promises';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type Tool, type ToolContext } from '../agent/tools/tool';
import { describeError } from '../common/errors';
import { jobGpusText, sampleJobGpus } from './jobGpus';
import type { KernelJobHost } from './kernel/kernelJobHost';
import { kernelJobTools } from './kernel/kernelJobTools';
import { isSchedulerError, type JobScheduler } from './jobScheduler';
import type { JobClusters } from './jobClusters';
import { jobLogsText, type FindLogs } from './jobRuns';
import { clusterText, jobDetailText, jobsText } from './jobText';
import { planSubmission, findVenv, type SubmitPlan } from './submitPlan';

// The agent's tools over cluster schedulers: cluster_info, job_status, job_logs (read), submit_job
// (execute: the approval shows the whole batch script as the file it writes) and cancel_job
// (execute: asks first), and the kernel jobs' (kernel/kernelJobTools.ts). The same tools serve the chat, Copilot, the MCP server and `ml-engineer ask`.

export interface JobsAccess {
  readonly clusters: () => JobClusters;
  /** Told after a submit or cancel, so the Jobs view refreshes at once. */
  readonly changed?: (cluster: string) => void;
  /** Told the id of a job submit_job submitted (the window watches it: its GPUs in the GPUs view). */
  readonly submitted?: (cluster: string, jobId: string) => void;
  /** Who keeps the kernel jobs start_kernel_job starts (the editor's Kernels view, or a HeldKernelJobs). */
  readonly kernelJobs: KernelJobHost;
  /** The tracking feature's discovery: job_status names the tracking logs in a job's working folder. */
  readonly findLogs?: FindLogs;
}

const cluster = z.optional(z.string());
const jobId = z.string().check(z.regex(/^\d+(?:_(?:\d+|\[[\d,%-]+\]))?$/, 'a Slurm job id such as 123 or 123_4'));
const DEFAULT_LOG_BYTES = 4000;

const now = (): number => Math.floor(Date.now() / 1000);

/** A scheduler failure as the model should read it: the scheduler's words, verbatim. */
async function schedulerCall<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (error) {
    if (isSchedulerError(error)) throw new ToolInputError(error.message);
    throw error;
  }
}

export function jobTools(access: JobsAccess): Tool[] {
  const scheduler = (name?: string): JobScheduler => {
    try {
      return access.clusters().scheduler(name);
    } catch (error) {
      throw new ToolInputError((error as Error).message);
    }
  };
  /** Where each job's log was last read to, per stream: job_logs gives what is new since. */
  const readTo = new Map<string, number>();

  const submitInput = z.object({
    file: z.string(),
    cluster,
    partition: z.optional(z.string()),
    gpus: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(64))),
    gpu_type: z.optional(z.string()),
    nodes: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(64))),
    time: z.optional(z.string()),
    memory: z.optional(z.string()),
    args: z.optional(z.array(z.string())),
  });
  type SubmitInput = z.infer<typeof submitInput>;
  const plan = async (input: SubmitInput, context: ToolContext): Promise<SubmitPlan> => {
    const { path, text } = await context.files.readText(input.file);
    try {
      return planSubmission(path, text, {
        gpus: input.gpus ?? 0,
        ...(input.partition ? { partition: input.partition } : {}),
        ...(input.gpu_type ? { gpuType: input.gpu_type } : {}),
        ...(input.nodes ? { nodes: input.nodes } : {}),
        ...(input.time ? { time: input.time } : {}),
        ...(input.memory ? { memory: input.memory } : {}),
        ...(input.args ? { args: input.args } : {}),
        environment: findVenv(path, context.files.roots.find((r) => path.startsWith(r.path))?.path),
      });
    } catch (error) {
      throw new ToolInputError((error as Error).message);
    }
  };

  const kernels = kernelJobTools({
    host: access.kernelJobs,
    scheduler: (name) => scheduler(name),
    clusterId: (name) => access.clusters().ref(name).id,
    ...(access.changed ? { changed: access.changed } : {}),
  });

  return [
    defineTool({
      name: 'cluster_info',
      description:
        'The Slurm cluster(s) this workspace submits training jobs to: partitions, their state, free and total GPUs (GRES) with GPU types, idle CPUs, time limits and memory per node. ' +
        'Use it before submit_job to choose a partition, GPUs and a time that fit.',
      input: z.object({ cluster }),
      risk: 'read',
      async run(input, _context, signal) {
        const s = scheduler(input.cluster);
        const info = await schedulerCall(() => s.clusterInfo(signal));
        const free = info.partitions.reduce((n, p) => n + p.gpusFree, 0);
        return { content: clusterText(s.label, info), summary: `${info.partitions.length} partition(s), ${free} GPU(s) free` };
      },
    }),
    defineTool({
      name: 'job_status',
      description:
        'Training jobs on the cluster: without job_id, the user\'s jobs (running, pending with the scheduler\'s reason, recently finished with exit code), with elapsed time against the limit and GPUs; ' +
        'with job_id, that job in detail with its stdout/stderr files, for a running job its GPUs sampled on its node now (utilization, memory, temperature, power), and the tracking logs (TensorBoard, Lightning CSV, MLflow) in its working folder where this machine can read it.',
      input: z.object({ cluster, job_id: z.optional(jobId), all_users: z.optional(z.boolean()) }),
      risk: 'read',
      async run(input, _context, signal) {
        const s = scheduler(input.cluster);
        if (input.job_id) {
          const job = await schedulerCall(() => s.job(input.job_id!, signal));
          if (!job) throw new ToolInputError(`The scheduler does not know job ${input.job_id} (it may have finished long ago).`);
          let gpus = '';
          // A running job's GPUs, sampled on its node now (one srun step).
          if (job.phase === 'running' && job.gpus > 0) {
            gpus = await sampleJobGpus(access.clusters().runner(input.cluster), job, signal).then(
              (g) => `\n\n${jobGpusText(g)}`,
              (error: unknown) => `\n\nGPUs not sampled: ${isSchedulerError(error) ? error.schedulerMessage : describeError(error)}`,
            );
          }
          const logs = await jobLogsText(access.clusters().ref(input.cluster), job, access.findLogs);
          return { content: jobDetailText(job, now()) + gpus + logs, summary: `Job ${job.id}: ${job.state}` };
        }
        const user = input.all_users ? undefined : await schedulerCall(() => s.whoami(signal));
        const jobs = await schedulerCall(() => s.jobs({ ...(user ? { user } : {}), finished: true, signal }));
        return { content: jobsText(jobs, now()), summary: `${jobs.length} job(s)` };
      },
    }),
    defineTool({
      name: 'job_logs',
      description:
        'A job\'s output file (stdout, or stderr): the first call gives its last max_bytes, later calls only what was written since the previous call (so a running job can be followed). ' +
        'from_start reads the beginning instead.',
      input: z.object({
        job_id: jobId,
        cluster,
        stream: z.optional(z.enum(['stdout', 'stderr'])),
        max_bytes: z.optional(z.number().check(z.int(), z.minimum(200), z.maximum(50_000))),
        from_start: z.optional(z.boolean()),
      }),
      risk: 'read',
      async run(input, _context, signal) {
        const s = scheduler(input.cluster);
        const job = await schedulerCall(() => s.job(input.job_id, signal));
        if (!job) throw new ToolInputError(`The scheduler does not know job ${input.job_id}.`);
        const stream = input.stream ?? 'stdout';
        const path = stream === 'stderr' ? job.stderrPath : job.stdoutPath;
        if (!path) throw new ToolInputError(`Job ${job.id} names no ${stream} file.`);
        const budget = input.max_bytes ?? DEFAULT_LOG_BYTES;
        const key = `${input.cluster ?? ''}\n${job.id}\n${stream}`;
        const last = input.from_start ? 0 : readTo.get(key);
        let chunk;
        try {
          chunk = await s.readOutput(path, last, budget, signal);
        } catch (error) {
          if (job.phase === 'pending') throw new ToolInputError(`Job ${job.id} is still pending (${job.reason ?? 'waiting'}): it has no output yet.`);
          throw new ToolInputError(`${path} cannot be read: ${(error as Error).message}`);
        }
        const end = chunk.offset + Buffer.byteLength(chunk.text);
        readTo.set(key, end);
        const skipped = last !== undefined && chunk.offset > last ? `(${chunk.offset - last} bytes skipped: more was written than max_bytes)\n` : chunk.offset > 0 && last === undefined ? `(the last ${Buffer.byteLength(chunk.text)} of ${chunk.size} bytes)\n` : '';
        const header = `${path} — job ${job.id} ${job.state}; bytes ${chunk.offset}-${end} of ${chunk.size}\n`;
        const body = chunk.text === '' ? (last !== undefined ? '(nothing new since the last read)' : '(empty)') : chunk.text;
        return { content: `${header}${skipped}${body}`, summary: `${Buffer.byteLength(chunk.text)} bytes of ${stream}` };
      },
    }),
    defineTool({
      name: 'submit_job',
      description:
        'Submits a .py or .sh file of the workspace as a Slurm batch job. A file with its own #SBATCH lines is submitted as it is; for any other, a readable batch script is written beside it (<name>.sbatch: partition, GPUs, time, memory, the venv activated, torchrun for several GPUs or nodes) and submitted. ' +
        'The user sees the whole script and approves it. Use cluster_info first; scheduler errors come back verbatim.',
      input: submitInput,
      risk: 'execute',
      confirmation: (input) => `Submit ${input.file} to Slurm${input.cluster ? ` on ${input.cluster}` : ''}${input.gpus ? ` with ${input.gpus} GPU(s)` : ''}`,
      // The file unchanged and the same choices: another GPU count or partition is asked again.
      approvalScope: async (input, context) => `${await context.files.identity(await context.files.resolve(input.file))}\n${JSON.stringify(input)}`,
      async preview(input, context) {
        const p = await plan(input, context);
        const before = p.asIs ? '' : await readFile(p.scriptPath, 'utf8').catch(() => null);
        return { path: context.files.display(p.scriptPath), absolutePath: p.scriptPath, before, after: p.script };
      },
      async run(input, context, signal) {
        const p = await plan(input, context);
        if (!p.asIs) await context.applyChange({ path: context.files.display(p.scriptPath), absolutePath: p.scriptPath, before: null, after: p.script });
        const s = scheduler(input.cluster);
        const id = await schedulerCall(() => s.submit({ script: p.script, cwd: p.cwd }, signal));
        access.changed?.(input.cluster ?? '');
        access.submitted?.(input.cluster ?? '', id);
        const job = await s.job(id, signal).catch(() => undefined);
        const state = job ? `; now ${job.state}${job.reason ? ` (${job.reason})` : ''}` : '';
        return { content: `Submitted job ${id} from ${context.files.display(p.scriptPath)}${state}. Follow it with job_status and job_logs (job_id "${id}").`, summary: `Job ${id} submitted` };
      },
    }),
    defineTool({
      name: 'cancel_job',
      description: 'Cancels a Slurm job (scancel), running or pending; for an array job, its id cancels every task and 123_4 one task. The user is asked first.',
      input: z.object({ job_id: jobId, cluster }),
      risk: 'execute',
      confirmation: (input) => `Cancel job ${input.job_id}${input.cluster ? ` on ${input.cluster}` : ''}`,
      async run(input, _context, signal) {
        const s = scheduler(input.cluster);
        await schedulerCall(() => s.act('cancel', input.job_id, signal));
        access.changed?.(input.cluster ?? '');
        return { content: `Cancelled job ${input.job_id}.`, summary: `Job ${input.job_id} cancelled` };
      },
    }),
    ...kernels,
  ];
}
