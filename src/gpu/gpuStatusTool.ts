import * as z from 'zod/mini';
import { defineTool } from '../agent/tools/tool';
import { formatGiB, type GpuSample } from './gpuSample';

export interface GpuReading {
  readonly samples: readonly GpuSample[];
  /** Why there are no samples, when there are none. */
  readonly problem?: string;
  readonly at?: number;
}

/** The agent's view of the GPUs, from the sampler that feeds the status bar (no extra process). */
export function gpuStatusTool(read: () => GpuReading) {
  return defineTool({
    name: 'gpu_status',
    description:
      'Current NVIDIA GPU state on this machine: per GPU its utilisation, memory used/total, temperature and power. ' +
      'Use it for "is my GPU busy or idle while training?", "how much memory is free for a bigger batch?", or a CUDA out-of-memory error.',
    input: z.object({}),
    risk: 'read',
    run() {
      const reading = read();
      if (reading.samples.length === 0) {
        return Promise.resolve({ content: reading.problem ?? 'No GPU sample yet.', summary: 'No GPU data' });
      }
      const lines = reading.samples.map(
        (g) =>
          `GPU ${g.index} ${g.name}: utilisation ${g.utilizationGpu ?? 'n/a'}%, memory ${formatGiB(g.memoryUsedMiB)}/${formatGiB(g.memoryTotalMiB)} GiB` +
          (g.memoryUsedMiB !== null && g.memoryTotalMiB ? ` (${formatGiB(g.memoryTotalMiB - g.memoryUsedMiB)} GiB free)` : '') +
          `, ${g.temperatureC ?? 'n/a'} °C, power ${g.powerDrawW ?? 'n/a'}/${g.powerLimitW ?? 'n/a'} W`,
      );
      const age = reading.at ? ` (sampled ${Math.round((Date.now() - reading.at) / 1000)} s ago)` : '';
      return Promise.resolve({ content: lines.join('\n') + age, summary: `${reading.samples.length} GPU(s) read` });
    },
  });
}
