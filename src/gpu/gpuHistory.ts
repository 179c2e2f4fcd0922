import type { GpuSample } from './gpuSample';

/** One GPU's recent samples, as parallel arrays (the shape uPlot draws). */
export interface GpuSeries {
  readonly index: number;
  readonly name: string;
  readonly memoryTotalGiB: number | null;
  readonly powerLimitW: number | null;
  /** Seconds since the epoch. */
  readonly t: number[];
  readonly utilization: (number | null)[];
  readonly memoryGiB: (number | null)[];
  readonly powerW: (number | null)[];
  readonly temperatureC: (number | null)[];
}

/** The last `windowMs` of samples per GPU, in memory only (a few thousand numbers). */
export class GpuHistory {
  private readonly byGpu = new Map<number, GpuSeries>();

  constructor(private readonly windowMs = 10 * 60_000) {}

  add(samples: readonly GpuSample[], at: number): void {
    const t = at / 1000;
    for (const s of samples) {
      let series = this.byGpu.get(s.index);
      if (!series || series.name !== s.name) {
        series = { index: s.index, name: s.name, memoryTotalGiB: null, powerLimitW: null, t: [], utilization: [], memoryGiB: [], powerW: [], temperatureC: [] };
        this.byGpu.set(s.index, series);
      }
      const next: GpuSeries = {
        ...series,
        memoryTotalGiB: s.memoryTotalMiB === null ? series.memoryTotalGiB : s.memoryTotalMiB / 1024,
        powerLimitW: s.powerLimitW ?? series.powerLimitW,
      };
      next.t.push(t);
      next.utilization.push(s.utilizationGpu);
      next.memoryGiB.push(s.memoryUsedMiB === null ? null : s.memoryUsedMiB / 1024);
      next.powerW.push(s.powerDrawW);
      next.temperatureC.push(s.temperatureC);
      const cutoff = t - this.windowMs / 1000;
      let drop = 0;
      while (drop < next.t.length && next.t[drop]! < cutoff) drop++;
      if (drop > 0) for (const key of ['t', 'utilization', 'memoryGiB', 'powerW', 'temperatureC'] as const) next[key].splice(0, drop);
      this.byGpu.set(s.index, next);
    }
  }

  clear(): void {
    this.byGpu.clear();
  }

  series(): GpuSeries[] {
    return [...this.byGpu.values()].sort((a, b) => a.index - b.index);
  }
}
