import { runProcess } from '../common/process';
import type { GpuSample } from './gpuSample';
import type { SamplerOptions } from './nvidiaSmiSampler';
import { parseRocmSmiJson } from './rocmSmiJson';

/**
 * The options asked of rocm-smi: utilisation, memory, temperature, power, name and id. Each has
 * been in rocm-smi since ROCm 4; the JSON keys they produce are what rocmSmiJson.ts reads.
 */
export const ROCM_SMI_ARGS = ['--showuse', '--showmemuse', '--showmeminfo', 'vram', '--showtemp', '--showpower', '--showproductname', '--showuniqueid', '--json'];

const MAX_BACKOFF_MS = 60_000;

/**
 * AMD GPUs: rocm-smi has no loop mode, so it runs once per interval (only while something
 * shows the GPUs, like the NVIDIA sampler). Missing rocm-smi is said once; failures back off.
 */
export class RocmSmiSampler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private failures = 0;
  private abort: AbortController | undefined;
  private intervalMs: number;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = options.intervalMs;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.options.onState?.({ kind: 'starting' });
    void this.tick();
  }

  setInterval(ms: number): void {
    this.intervalMs = ms;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.options.onState?.({ kind: 'stopped' });
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.abort = new AbortController();
    const result = await runProcess(this.options.command, ROCM_SMI_ARGS, { timeoutMs: 15_000, signal: this.abort.signal });
    if (this.stopped) return;
    if (result.kind === 'not-found') {
      this.stopped = true;
      this.options.log.info(`GPUs: ${this.options.command} not found; no AMD GPU sampling`);
      this.options.onState?.({ kind: 'unavailable', message: `${this.options.command} was not found` });
      return;
    }
    let samples: GpuSample[] | undefined;
    let problem: string | undefined;
    if (result.kind === 'exited' && result.code === 0) {
      try {
        samples = parseRocmSmiJson(result.stdout);
      } catch (error) {
        problem = (error as Error).message;
      }
    } else {
      problem = result.kind === 'exited' ? `exited with code ${result.code}: ${result.stderr.trim().slice(0, 200)}` : result.kind;
    }
    if (samples && samples.length > 0) {
      if (this.failures > 0) this.options.onState?.({ kind: 'running' });
      this.failures = 0;
      this.options.onSnapshot(samples);
      this.schedule(this.intervalMs);
      return;
    }
    if (samples && samples.length === 0 && this.failures === 0) {
      this.stopped = true;
      this.options.onState?.({ kind: 'unavailable', message: `${this.options.command} lists no GPU` });
      return;
    }
    this.failures++;
    const retryInMs = Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** this.failures);
    this.options.log.warn(`GPUs: ${this.options.command} failed (${problem ?? 'no GPUs'}); retrying in ${Math.round(retryInMs / 1000)} s`);
    this.options.onState?.({ kind: 'failing', message: problem ?? 'no GPUs listed', retryInMs });
    this.schedule(retryInMs);
  }
}
