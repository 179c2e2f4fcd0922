import { formatGiB, parseSampleLine, SAMPLE_FIELDS, type GpuSample } from '../gpu/gpuSample';
import { SchedulerError, type JobInfo } from './jobScheduler';
import { hintFor } from './slurm/slurmScheduler';
import type { CommandRunner } from './transport/commandRunner';

// The GPUs of a running job, sampled on its node inside its own allocation: `srun --overlap
// --jobid` starts a step beside the job's (Slurm 20.11+; the step gets the job's GRES, so a node
// whose devices are constrained shows exactly the job's GPUs) that runs nvidia-smi once.

export type JobGpus =
  | { readonly kind: 'gpus'; readonly node: string; readonly samples: readonly GpuSample[] }
  /** The node has no nvidia-smi (a CPU node, or NVIDIA's tools not on the job's PATH). */
  | { readonly kind: 'no-tool'; readonly node: string; readonly message: string };

/** The srun command line (the job's first node, one task, no output of srun's own). */
export function jobGpuCommand(jobId: string): string[] {
  if (!/^\d+(?:_\d+)?$/.test(jobId)) throw new Error(`not a running job's id: ${JSON.stringify(jobId)}`);
  return ['srun', `--jobid=${jobId}`, '--overlap', '--nodes=1', '--ntasks=1', '--quiet', 'nvidia-smi', `--query-gpu=${SAMPLE_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
}

/** What the step printed, in words: samples, no tool on the node, or Slurm's refusal (a SchedulerError, verbatim). */
export function readJobGpus(job: Pick<JobInfo, 'id' | 'nodes'>, result: { stdout: string; stderr: string; code: number | null }, argv: readonly string[]): JobGpus {
  const node = firstHost(job.nodes) ?? 'its node';
  if (result.code === 0) {
    const samples = result.stdout.split(/\r?\n/).filter((l) => l.trim() !== '').map(parseSampleLine);
    if (samples.some((s) => s === undefined)) throw new Error(`nvidia-smi on ${node} printed what is not a GPU sample: ${result.stdout.slice(0, 200)}`);
    return { kind: 'gpus', node, samples: samples as GpuSample[] };
  }
  const stderr = result.stderr.trim();
  if (/execve\(\):.*No such file|command not found|not found/i.test(stderr) && /nvidia-smi/.test(stderr)) {
    return { kind: 'no-tool', node, message: `No GPU tool on ${node}: nvidia-smi is not on the job's PATH there.` };
  }
  throw new SchedulerError(argv, stderr || `exit code ${result.code ?? 'none'}`, hintFor(stderr));
}

/** The first host of a Slurm host list: gpu07 of "gpu[07-08,11]", a1 of "a1,a2". */
export function firstHost(list: string | undefined): string | undefined {
  const m = /^([^,[\]]+)(?:\[(\d+)[^\]]*\]([^,]*))?/.exec(list?.trim() ?? '');
  return m ? `${m[1]}${m[2] ?? ''}${m[3] ?? ''}` : undefined;
}

/** Samples a running job's GPUs once (a second or so: one srun step). */
export async function sampleJobGpus(runner: CommandRunner, job: Pick<JobInfo, 'id' | 'nodes' | 'phase'>, signal?: AbortSignal): Promise<JobGpus> {
  if (job.phase !== 'running') throw new Error(`Job ${job.id} is not running: its GPUs are sampled only while it runs.`);
  const argv = jobGpuCommand(job.id);
  const result = await runner.run(argv, { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
  return readJobGpus(job, result, argv);
}

/** One GPU in words, as the Jobs view's row and the agent read it: "GPU 0 NVIDIA H100: 87% busy, 61.2/80.0 GB, 65 °C, 434 W". */
export function gpuSampleText(s: GpuSample): string {
  const parts = [
    s.utilizationGpu !== null ? `${s.utilizationGpu}% busy` : undefined,
    `${formatGiB(s.memoryUsedMiB)}/${formatGiB(s.memoryTotalMiB)} GB`,
    s.temperatureC !== null ? `${s.temperatureC} °C` : undefined,
    s.powerDrawW !== null ? `${Math.round(s.powerDrawW)} W` : undefined,
  ].filter((p): p is string => p !== undefined);
  return `GPU ${s.index} ${s.name}: ${parts.join(', ')}`;
}

export function jobGpusText(gpus: JobGpus): string {
  if (gpus.kind === 'no-tool') return gpus.message;
  if (gpus.samples.length === 0) return `nvidia-smi on ${gpus.node} lists no GPU in this job.`;
  return [`GPUs on ${gpus.node}, sampled now:`, ...gpus.samples.map(gpuSampleText)].join('\n');
}
