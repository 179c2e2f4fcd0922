import type { GpuSample } from './gpuSample';

/**
 * `rocm-smi --json` (AMD): one object per `cardN` plus `system`. Values are strings with
 * units in the key ("VRAM Total Used Memory (B)", "Average Graphics Package Power (W)"),
 * clocks look like "(300Mhz)", and missing values are "N/A". Returned in the same shape as
 * the NVIDIA samples so the status bar, the view and the agent read both alike.
 *
 * Sampled by rocmSmiSampler.ts when nvidia-smi is absent. Checked against a real MI100 capture
 * only: no machine with rocm-smi was available to run it live.
 */
export function parseRocmSmiJson(text: string): GpuSample[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`rocm-smi printed something that is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof data !== 'object' || data === null) throw new Error('rocm-smi printed JSON that is not an object');
  return Object.entries(data as Record<string, unknown>)
    .filter(([key, card]) => /^card\d+$/.test(key) && typeof card === 'object' && card !== null)
    .map(([key, card]) => toSample(Number(key.slice(4)), card as Record<string, unknown>))
    .sort((a, b) => a.index - b.index);
}

function toSample(index: number, card: Record<string, unknown>): GpuSample {
  const text = (key: string): string | null => {
    const v = card[key];
    return typeof v === 'string' && v !== 'N/A' && v.trim() !== '' ? v.trim() : null;
  };
  const num = (key: string): number | null => {
    const match = /-?\d+(?:\.\d+)?/.exec(text(key) ?? '');
    return match ? Number(match[0]) : null;
  };
  const mib = (key: string): number | null => {
    const bytes = num(key);
    return bytes === null ? null : Math.round(bytes / (1024 * 1024));
  };
  return {
    index,
    uuid: text('Unique ID'),
    name: text('Card series') ?? text('Card model') ?? `AMD GPU ${index}`,
    utilizationGpu: num('GPU use (%)'),
    utilizationMemory: num('GPU memory use (%)'),
    memoryUsedMiB: mib('VRAM Total Used Memory (B)'),
    memoryTotalMiB: mib('VRAM Total Memory (B)'),
    // The junction (hotspot) temperature is what throttles; edge where there is no junction sensor.
    temperatureC: num('Temperature (Sensor junction) (C)') ?? num('Temperature (Sensor edge) (C)'),
    powerDrawW: num('Average Graphics Package Power (W)') ?? num('Current Socket Graphics Package Power (W)'),
    powerLimitW: num('Max Graphics Package Power (W)'),
    clockSmMHz: num('sclk clock speed:'),
  };
}
