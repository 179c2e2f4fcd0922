import { runProcess } from '../common/process';
import { describeProcess, ownerOf, queryGpuProcesses } from '../gpu/gpuProcesses';
import { parseSampleLine, SAMPLE_FIELDS, type GpuSample } from '../gpu/gpuSample';
import type { GpuReading } from '../gpu/gpuStatusTool';

/**
 * gpu_status outside the editor, where no status bar sampler runs: one nvidia-smi query per call
 * (fields as the sampler reads them), and the processes holding memory, ours named by `owners`.
 */
export function gpuSnapshot(nvidiaSmi: string, owners: () => ReadonlyMap<number, string> = () => new Map()): { read(): Promise<GpuReading>; processes(): Promise<string[]> } {
  let last: readonly GpuSample[] = [];
  return {
    async read() {
      const result = await runProcess(nvidiaSmi, [`--query-gpu=${SAMPLE_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { timeoutMs: 10_000 });
      if (result.kind === 'not-found') return { samples: [], problem: `${nvidiaSmi} was not found: no NVIDIA driver on this machine (or start with --nvidia-smi PATH).` };
      if (result.kind !== 'exited') return { samples: [], problem: `${nvidiaSmi} ${result.kind === 'timed-out' ? 'did not answer within 10 s (a hung driver?)' : 'was cancelled'}` };
      if (result.code !== 0) return { samples: [], problem: `${nvidiaSmi} failed (exit ${result.code}): ${(result.stdout + result.stderr).trim().split('\n')[0] ?? ''}` };
      last = result.stdout.split('\n').map(parseSampleLine).filter((s): s is GpuSample => s !== undefined);
      return last.length > 0 ? { samples: last, at: Date.now() } : { samples: [], problem: `${nvidiaSmi} listed no GPU.` };
    },
    async processes() {
      const found = await queryGpuProcesses(nvidiaSmi);
      if (!found.ok) return [];
      const names = owners();
      return found.processes.map((p) => `GPU ${last.find((g) => g.uuid === p.gpuUuid)?.index ?? '?'}: ${describeProcess(p, ownerOf(p.pid, names))}`);
    },
  };
}
