/** One GPU at one moment, from `nvidia-smi --query-gpu=<SAMPLE_FIELDS> --format=csv,noheader,nounits`. */
export interface GpuSample {
  readonly index: number;
  readonly uuid: string | null;
  readonly name: string;
  /** Percent; null where the GPU does not report it (MIG mode reports [N/A]). */
  readonly utilizationGpu: number | null;
  readonly utilizationMemory: number | null;
  readonly memoryUsedMiB: number | null;
  readonly memoryTotalMiB: number | null;
  readonly temperatureC: number | null;
  readonly powerDrawW: number | null;
  readonly powerLimitW: number | null;
  readonly clockSmMHz: number | null;
}

export const SAMPLE_FIELDS = [
  'index', 'uuid', 'name', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total',
  'temperature.gpu', 'power.draw', 'power.limit', 'clocks.sm',
] as const;

/** null for nvidia-smi's ways of saying "no value": [N/A], N/A, [Not Supported], [Unknown Error], empty. */
function value(raw: string | undefined): string | null {
  const v = raw?.trim() ?? '';
  return v === '' || v === 'N/A' || (v.startsWith('[') && v.endsWith(']')) ? null : v;
}

function number(raw: string | undefined): number | null {
  const v = value(raw);
  const match = v === null ? null : /^(-?\d+(?:\.\d+)?)(?:\s*[A-Za-z%]+)?$/.exec(v);
  return match ? Number(match[1]) : null;
}

/**
 * Parses one line in SAMPLE_FIELDS order (units tolerated, so captures with units replay too).
 * The name is the only free-text field: it is taken as everything between uuid and the last
 * eight numeric fields, so a name with a comma in it still parses. Undefined for a line that
 * is not a sample.
 */
export function parseSampleLine(line: string): GpuSample | undefined {
  const cells = line.split(',').map((c) => c.trim());
  if (cells.length < SAMPLE_FIELDS.length) return undefined;
  const tail = cells.slice(-8);
  const name = cells.slice(2, cells.length - 8).join(', ');
  const index = number(cells[0]);
  if (index === null || !Number.isInteger(index) || name === '') return undefined;
  const sample: GpuSample = {
    index,
    uuid: value(cells[1]),
    name,
    utilizationGpu: number(tail[0]),
    utilizationMemory: number(tail[1]),
    memoryUsedMiB: number(tail[2]),
    memoryTotalMiB: number(tail[3]),
    temperatureC: number(tail[4]),
    powerDrawW: number(tail[5]),
    powerLimitW: number(tail[6]),
    clockSmMHz: number(tail[7]),
  };
  // A line whose numeric fields are all unreadable is garbage, not a GPU that reports nothing.
  const numbers = tail.filter((t) => number(t) !== null || value(t) === null);
  return numbers.length === tail.length ? sample : undefined;
}

export function formatGiB(mib: number | null): string {
  return mib === null ? '?' : (mib / 1024).toFixed(1);
}

/** The status bar text: `87% 61.2/80.0 GB` for one GPU, a summary for several. */
export function statusText(samples: readonly GpuSample[]): string {
  if (samples.length === 0) return 'No GPU';
  if (samples.length === 1) {
    const s = samples[0]!;
    return `${s.utilizationGpu ?? '–'}% ${formatGiB(s.memoryUsedMiB)}/${formatGiB(s.memoryTotalMiB)} GB`;
  }
  const utils = samples.map((s) => s.utilizationGpu).filter((u): u is number => u !== null);
  const used = samples.reduce((a, s) => a + (s.memoryUsedMiB ?? 0), 0);
  const total = samples.reduce((a, s) => a + (s.memoryTotalMiB ?? 0), 0);
  const avg = utils.length ? Math.round(utils.reduce((a, b) => a + b, 0) / utils.length) : null;
  return `${samples.length} GPUs ${avg ?? '–'}% ${formatGiB(used)}/${formatGiB(total)} GB`;
}

/** Near full memory or hot: the status item turns to the warning colour. */
export function needsAttention(samples: readonly GpuSample[]): boolean {
  return samples.some((s) => (s.memoryUsedMiB !== null && s.memoryTotalMiB ? s.memoryUsedMiB / s.memoryTotalMiB > 0.9 : false) || (s.temperatureC ?? 0) >= 85);
}
