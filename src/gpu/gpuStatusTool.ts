import * as z from 'zod/mini';
import { defineTool } from '../agent/tools/tool';
import { formatGiB, type GpuSample } from './gpuSample';

export interface GpuReading {
  readonly samples: readonly GpuSample[];
  /** Why there are no samples, when there are none. */
  readonly problem?: string;
  readonly at?: number;
}

/**
 * The agent's view of the GPUs, from the sampler that feeds the status bar, and the processes
 * holding memory, named by the notebook whose kernel they are where they are ours.
 */
export function gpuStatusTool(read: () => GpuReading | Promise<GpuReading>, processes: () => Promise<readonly string[]> = () => Promise.resolve([])) {
  return defineTool({
    name: 'gpu_status',
    description:
      'Current NVIDIA GPU state on this machine: per GPU its utilisation, memory used/total, temperature and power. ' +
      'Use it for "is my GPU busy or idle while training?", "how much memory is free for a bigger batch?", or a CUDA out-of-memory error: ' +
      'the processes holding GPU memory are listed, with the notebook whose kernel each belongs to, so you can say which kernel to free or restart.',
    input: z.object({}),
    risk: 'read',
    async run() {
      const reading = await read();
      if (reading.samples.length === 0) {
        return { content: reading.problem ?? 'No GPU sample yet.', summary: 'No GPU data' };
      }
      const lines = reading.samples.map(
        (g) =>
          `GPU ${g.index} ${g.name}: utilisation ${g.utilizationGpu ?? 'n/a'}%, memory ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GiB` +
          (g.memoryUsedMiB !== null && g.memoryTotalMiB ? ` (${formatGiB(g.memoryTotalMiB - g.memoryUsedMiB)} GiB free)` : '') +
          `, ${g.temperatureC ?? 'n/a'} °C, power ${g.powerDrawW ?? 'n/a'}/${g.powerLimitW ?? 'n/a'} W`,
      );
      const age = reading.at ? ` (sampled ${Math.round((Date.now() - reading.at) / 1000)} s ago)` : '';
      const owners = await processes();
      const procs = owners.length > 0 ? `\nProcesses holding GPU memory:\n${owners.join('\n')}` : '\nNo process holds GPU memory (or the driver does not say).';
      return { content: lines.join('\n') + age + procs, summary: `${reading.samples.length} GPU(s) read` };
    },
  });
}
