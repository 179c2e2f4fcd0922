import type { JobClusters } from '../jobClusters';
import { KernelJob } from './kernelJob';
import type { KernelJobOptions } from './kernelJobScript';
import { kernelPythonText, type KernelPython } from './kernelPython';

// Who holds the kernel jobs the agent's tools and the CLI start: the editor (SlurmKernels: the
// Kernels view, reconnect records) or, free of it, HeldKernelJobs (the MCP server, `ml-engineer ask`).

/** What the agent or the CLI asks for; the Python is the holder's to choose (mlEngineer.jobs.kernelPython in the editor). */
export type KernelJobRequest = Pick<KernelJobOptions, 'partition' | 'gpus' | 'gpuType' | 'time' | 'memory'>;

export interface KernelJobHost {
  /** Starts a kernel job on `cluster` (the first when undefined) and keeps it; resolves once its server answers. */
  start(cluster: string | undefined, request: KernelJobRequest, signal?: AbortSignal): Promise<{ readonly cluster: string; readonly job: KernelJob }>;
  /** Stops a kernel job this holder keeps (server shutdown ends the job); false when it keeps none of that id. */
  stop(cluster: string, jobId: string): Promise<boolean>;
  /** The jobs it keeps, and where each is shown. */
  held(): readonly { readonly cluster: string; readonly jobId: string; readonly where: string }[];
  /** The Python a job started now on `cluster` runs and where that choice came from (its approval says it); a bad setting is said as such. */
  pythonText(cluster: string | undefined): string;
}

/** pythonText of a holder whose choice `resolve` reads (`fallback`: the default's name): a bad value or unknown cluster reads as its error (start refuses it then). */
export function describeKernelPython(resolve: () => { readonly chosen: KernelPython | undefined; readonly fallback: string }): string {
  try {
    const { chosen, fallback } = resolve();
    return kernelPythonText(chosen, fallback);
  } catch (error) {
    return `no Python yet: ${(error as Error).message}`;
  }
}

/** Kernel jobs held by a process without an editor: tunnels kept while it runs; close() leaves the jobs (they end when idle). */
export class HeldKernelJobs implements KernelJobHost {
  private readonly jobs = new Map<string, { cluster: string; job: KernelJob }>();

  constructor(
    private readonly clusters: () => JobClusters,
    private readonly python: (cluster: string) => KernelPython | undefined = () => undefined,
    /** Where a job on this machine's Slurm starts (sbatch's cwd: the output file, Jupyter's root). */
    private readonly localWorkDir?: string,
  ) {}

  async start(cluster: string | undefined, request: KernelJobRequest, signal?: AbortSignal): Promise<{ cluster: string; job: KernelJob }> {
    const clusters = this.clusters();
    const ref = clusters.ref(cluster);
    const id = ref.id;
    const python = this.python(id);
    const workDir = ref.sshHost === undefined ? this.localWorkDir : undefined;
    const job = await KernelJob.start(clusters.scheduler(id), clusters.runner(id), { ...request, ...(python ?? {}), ...(workDir ? { workDir } : {}), ...(signal ? { signal } : {}) });
    this.jobs.set(`${id}/${job.jobId}`, { cluster: id, job });
    return { cluster: id, job };
  }

  async stop(cluster: string, jobId: string): Promise<boolean> {
    const held = this.jobs.get(`${cluster}/${jobId}`);
    if (!held) return false;
    this.jobs.delete(`${cluster}/${jobId}`);
    await held.job.stop();
    return true;
  }

  held(): { cluster: string; jobId: string; where: string }[] {
    return [...this.jobs.values()].map(({ cluster, job }) => ({ cluster, jobId: job.jobId, where: `server ${job.endpoint.baseUrl}` }));
  }

  pythonText(cluster: string | undefined): string {
    return describeKernelPython(() => ({ chosen: this.python(this.clusters().ref(cluster).id), fallback: 'python3 (the default)' }));
  }

  async close(): Promise<void> {
    const all = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(all.map(({ job }) => job.close()));
  }
}
