import * as z from 'zod/mini';
import { defineTool, ToolInputError, type Tool } from '../../agent/tools/tool';
import { describeError, UserError } from '../../common/errors';
import { isSchedulerError, type JobInfo, type JobScheduler } from '../jobScheduler';
import { jobsText } from '../jobText';
import { isSlurmDuration } from '../slurm/slurmValues';
import type { KernelJobHost } from './kernelJobHost';
import { KERNEL_JOB_NAME } from './kernelJobScript';

// The agent's kernel-job tools (added by jobTools, the one place the job tools are made):
// start_kernel_job (execute: approved first), kernel_jobs (read) and stop_kernel_job (execute).
// The server's token never reaches the model: the holder connects to the server itself.

export interface KernelToolsAccess {
  readonly host: KernelJobHost;
  readonly scheduler: (cluster?: string) => JobScheduler;
  readonly clusterId: (cluster?: string) => string;
  readonly changed?: (cluster: string) => void;
}

const cluster = z.optional(z.string());
const jobId = z.string().check(z.regex(/^\d+$/, 'a Slurm job id such as 123'));

export const isKernelJob = (job: JobInfo): boolean => job.name === KERNEL_JOB_NAME;

export function kernelJobTools(access: KernelToolsAccess): Tool[] {
  const clusterId = (name?: string): string => {
    try {
      return access.clusterId(name);
    } catch (error) {
      throw new ToolInputError((error as Error).message);
    }
  };
  return [
    defineTool({
      name: 'start_kernel_job',
      description:
        'Starts a Jupyter server as a Slurm job (a kernel on an allocated GPU node) and connects it: in the editor it appears in the Kernels view and the notebook kernel picker as "Slurm job N". ' +
        'The job runs until stopped (stop_kernel_job), idle for an hour, or its time limit. The user approves first. Use cluster_info to choose a partition, GPUs and a time.',
      input: z.object({
        cluster,
        partition: z.optional(z.string()),
        gpus: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(16))),
        gpu_type: z.optional(z.string()),
        time: z.optional(z.string()),
        memory: z.optional(z.string()),
      }),
      risk: 'execute',
      // The Python is named with where it came from: headless, a folder's .vscode/settings.json chooses it.
      confirmation: (input) => `Start a Jupyter kernel job on Slurm${input.cluster ? ` (${input.cluster})` : ''}${input.partition ? ` in ${input.partition}` : ''} with ${input.gpus ? `${input.gpus} GPU(s)` : 'no GPU'}${input.time ? ` for ${input.time}` : ''}, running ${access.host.pythonText(input.cluster)}`,
      approvalScope: (input) => Promise.resolve(JSON.stringify({ ...input, python: access.host.pythonText(input.cluster) })),
      async run(input, _context, signal) {
        if (input.time !== undefined && !isSlurmDuration(input.time)) throw new ToolInputError(`time "${input.time}" is not a Slurm time: minutes, HH:MM:SS or D-HH:MM:SS.`);
        clusterId(input.cluster);
        let started;
        try {
          started = await access.host.start(input.cluster, {
            gpus: input.gpus ?? 0,
            ...(input.partition ? { partition: input.partition } : {}),
            ...(input.gpu_type ? { gpuType: input.gpu_type } : {}),
            ...(input.time ? { time: input.time } : {}),
            ...(input.memory ? { memory: input.memory } : {}),
          }, signal);
        } catch (error) {
          if (isSchedulerError(error)) throw new ToolInputError(`Slurm refused the kernel job: ${error.message}`);
          if (error instanceof UserError) throw new ToolInputError(error.message);
          throw error;
        }
        const { job } = started;
        access.changed?.(started.cluster);
        const ends = job.endsAt !== undefined ? `; Slurm ends it at ${new Date(job.endsAt * 1000).toISOString()}` : '';
        return { content: `Kernel job ${job.jobId} runs on ${job.node}${ends}. Its Jupyter server is connected (${started.cluster}); stop it with stop_kernel_job (job_id "${job.jobId}") when done.`, summary: `Kernel job ${job.jobId} on ${job.node}` };
      },
    }),
    defineTool({
      name: 'kernel_jobs',
      description: 'The user\'s Jupyter kernel jobs on the Slurm cluster (running or pending, and recently ended), with node, elapsed time against the limit and GPUs, and which are connected here.',
      input: z.object({ cluster }),
      risk: 'read',
      async run(input, _context, signal) {
        const id = clusterId(input.cluster);
        const s = access.scheduler(id);
        try {
          const user = await s.whoami(signal);
          const jobs = (await s.jobs({ user, finished: true, signal })).filter(isKernelJob);
          const held = access.host.held().filter((h) => h.cluster === id);
          const here = held.length > 0 ? `\nConnected here: ${held.map((h) => `${h.jobId} (${h.where})`).join(', ')}.` : '\nNone is connected here.';
          return { content: `${jobsText(jobs, Math.floor(Date.now() / 1000))}${here}`, summary: `${jobs.filter((j) => j.phase !== 'finished').length} kernel job(s)` };
        } catch (error) {
          if (isSchedulerError(error)) throw new ToolInputError(error.message);
          throw error;
        }
      },
    }),
    defineTool({
      name: 'stop_kernel_job',
      description: 'Stops a Jupyter kernel job: its server shuts its kernels down (their variables are lost) and the job ends. Only kernel jobs (see kernel_jobs); cancel_job cancels others. The user is asked first.',
      input: z.object({ job_id: jobId, cluster }),
      risk: 'execute',
      confirmation: (input) => `Stop kernel job ${input.job_id}${input.cluster ? ` on ${input.cluster}` : ''} (its kernels' variables are lost)`,
      async run(input, _context, signal) {
        const id = clusterId(input.cluster);
        try {
          if (!(await access.host.stop(id, input.job_id))) {
            const s = access.scheduler(id);
            const job = await s.job(input.job_id, signal);
            if (!job) throw new ToolInputError(`Slurm does not know job ${input.job_id}.`);
            if (!isKernelJob(job)) throw new ToolInputError(`Job ${input.job_id} (${job.name}) is not a kernel job: cancel_job cancels it.`);
            if (job.phase === 'finished') return { content: `Kernel job ${input.job_id} already ended (${job.state}).`, summary: `Job ${input.job_id} ${job.state}` };
            await s.act('cancel', input.job_id, signal);
          }
        } catch (error) {
          if (isSchedulerError(error)) throw new ToolInputError(error.message);
          if (error instanceof ToolInputError) throw error;
          throw new ToolInputError(`Kernel job ${input.job_id} not stopped: ${describeError(error)}`);
        }
        access.changed?.(id);
        return { content: `Stopped kernel job ${input.job_id}.`, summary: `Kernel job ${input.job_id} stopped` };
      },
    }),
  ];
}
