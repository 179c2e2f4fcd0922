import type { Logger } from '../common/logger';
import type { KernelConnection } from '../kernels/jupyterLib';
import type { GpuSample } from './gpuSample';
import { startKernelGpuSampling } from './kernelGpuSampling';
import { NvidiaSmiSampler, type SamplerOptions, type SamplerState } from './nvidiaSmiSampler';
import { RocmSmiSampler } from './rocmSmiSampler';

export type GpuVendor = 'nvidia' | 'amd';

/** The kernel of the active notebook when it runs on another machine: its GPUs are shown instead. */
export interface RemoteGpuSource {
  /** Changes when the kernel does (its id). */
  readonly key: string;
  /** The server's label, until the kernel says its host name. */
  readonly label: string;
  readonly connection: KernelConnection;
}

/** Which GPUs the status bar, the GPUs view and the charts show now. */
export type GpuSourceState =
  /** Nothing shows GPUs: no sampler runs. */
  | { readonly kind: 'off' }
  | { readonly kind: 'local'; readonly vendor: GpuVendor }
  /** `label` is the server's until the kernel's sampler reports its host name. */
  | { readonly kind: 'remote'; readonly key: string; readonly label: string }
  /** No GPU tool here (nvidia-smi, then rocm-smi), or none on the remote kernel's machine. */
  | { readonly kind: 'none'; readonly problem: string };

/** A running source of samples. */
interface RunningSampler {
  stop(): void;
  setInterval(ms: number): void;
}

/** How sources start: the real nvidia-smi / rocm-smi samplers and the kernel sampler by default. */
export interface GpuSamplers {
  local(vendor: GpuVendor, options: Pick<SamplerOptions, 'intervalMs' | 'onSnapshot' | 'onState'>): RunningSampler;
  remote(source: RemoteGpuSource, options: { intervalMs: number; onSamples(samples: GpuSample[], host: string): void; onProblem(message: string, fatal: boolean): void }): RunningSampler;
}

/** nvidia-smi and rocm-smi as the settings name them, and the sampler inside a remote kernel. */
export function defaultGpuSamplers(log: Logger, commands: () => { readonly nvidiaSmi: string; readonly rocmSmi: string }): GpuSamplers {
  return {
    local(vendor, options) {
      const sampler =
        vendor === 'nvidia'
          ? new NvidiaSmiSampler({ ...options, command: commands().nvidiaSmi, log })
          : new RocmSmiSampler({ ...options, command: commands().rocmSmi, log });
      sampler.start();
      return sampler;
    },
    remote(source, options) {
      const sampling = startKernelGpuSampling(source.connection, options);
      return { stop: () => sampling.dispose(), setInterval: () => undefined };
    },
  };
}

/** What the display hears from the chosen source. */
export interface GpuSourceListener {
  /** New samples of the shown source (`state` says whose: a remote kernel's host, or this machine). */
  samples(samples: GpuSample[], state: GpuSourceState): void;
  /** Another machine's GPUs (or this one's again) from now on: the history so far is not theirs. */
  switched(): void;
  /** No GPUs to show: the reason (no nvidia-smi nor rocm-smi; none on the kernel's machine). */
  unavailable(problem: string): void;
  /** The local sampler keeps failing and retries. */
  failing(message: string, retryInMs: number): void;
}

/**
 * The GPU source choice: the active notebook's remote kernel when there is one (its machine's
 * GPUs, sampled inside the kernel), else this machine's through nvidia-smi, else rocm-smi when
 * nvidia-smi is not there; nothing while nothing shows GPUs. A missing tool is said once and not
 * retried until the settings change (`reset`).
 */
export class GpuSourceChoice {
  private wanted = false;
  private intervalMs: number;
  private vendor: GpuVendor = 'nvidia';
  private nvidiaProblem: string | undefined;
  private problem: string | undefined;
  private local: RunningSampler | undefined;
  private remoteSource: RemoteGpuSource | undefined;
  private remote: { key: string; label: string; sampler: RunningSampler } | undefined;

  constructor(
    private readonly samplers: GpuSamplers,
    private readonly listener: GpuSourceListener,
    private readonly log: Logger,
    intervalMs: number,
  ) {
    this.intervalMs = intervalMs;
  }

  get state(): GpuSourceState {
    if (this.problem !== undefined) return { kind: 'none', problem: this.problem };
    if (!this.wanted) return { kind: 'off' };
    if (this.remoteSource) return { kind: 'remote', key: this.remoteSource.key, label: this.remote?.label ?? this.remoteSource.label };
    return { kind: 'local', vendor: this.vendor };
  }

  /** Sampling runs only while the status bar item, the view or the charts show GPUs. */
  setWanted(wanted: boolean): void {
    this.wanted = wanted;
    this.update();
  }

  /** Slower when the window is in the background. */
  setInterval(ms: number): void {
    this.intervalMs = ms;
    this.local?.setInterval(ms);
  }

  /** The active notebook's remote kernel, or undefined for this machine's GPUs again. */
  setRemote(source: RemoteGpuSource | undefined): void {
    if (source?.key === this.remoteSource?.key) return;
    this.remote?.sampler.stop();
    this.remote = undefined;
    this.remoteSource = source;
    this.listener.switched();
    if (!source) {
      this.reset();
      return;
    }
    this.local?.stop();
    this.local = undefined;
    this.problem = undefined;
    this.update();
  }

  /** The settings changed: look for nvidia-smi (then rocm-smi) again. */
  reset(): void {
    this.local?.stop();
    this.local = undefined;
    this.problem = undefined;
    this.vendor = 'nvidia';
    this.nvidiaProblem = undefined;
    this.update();
  }

  dispose(): void {
    this.local?.stop();
    this.local = undefined;
    this.remote?.sampler.stop();
    this.remote = undefined;
  }

  private update(): void {
    if (!this.wanted) {
      this.local?.stop();
      this.local = undefined;
      // The remote kernel's sampler stops too (it costs an nvidia-smi run on that machine each interval).
      this.remote?.sampler.stop();
      this.remote = undefined;
      return;
    }
    if (this.remoteSource) {
      if (!this.remote) this.startRemote(this.remoteSource);
      return; // the remote kernel's sampler feeds the display
    }
    if (!this.local && this.problem === undefined) {
      const vendor = this.vendor;
      this.local = this.samplers.local(vendor, {
        intervalMs: this.intervalMs,
        onSnapshot: (samples) => this.show(samples),
        onState: (state) => this.onLocalState(vendor, state),
      });
    }
  }

  private startRemote(source: RemoteGpuSource): void {
    const remote = {
      key: source.key,
      label: source.label,
      sampler: this.samplers.remote(source, {
        intervalMs: this.intervalMs,
        onSamples: (samples, host) => {
          if (this.remote !== remote) return;
          remote.label = host;
          this.show(samples);
        },
        onProblem: (message, fatal) => {
          this.log.warn(`GPUs on ${remote.label}: ${message}`);
          if (fatal && this.remote === remote) {
            this.problem = message;
            this.listener.unavailable(message);
          }
        },
      }),
    };
    this.remote = remote;
    this.log.info(`GPUs: showing those of ${source.label}, where the active notebook's kernel runs`);
  }

  private onLocalState(vendor: GpuVendor, state: SamplerState): void {
    if (vendor !== this.vendor || this.remoteSource) return; // a sampler already replaced
    if (state.kind === 'unavailable' && vendor === 'nvidia') {
      // No NVIDIA tool: look for AMD's before saying there is no GPU.
      this.nvidiaProblem = state.message;
      this.vendor = 'amd';
      this.local = undefined;
      this.update();
      return;
    }
    if (state.kind === 'unavailable') {
      this.local = undefined;
      this.problem = this.nvidiaProblem ? `${this.nvidiaProblem.replace(/\.$/, '')}; ${state.message}` : state.message;
      this.listener.unavailable(this.problem);
    } else if (state.kind === 'failing') {
      this.listener.failing(state.message, state.retryInMs);
    }
  }

  private show(samples: GpuSample[]): void {
    this.problem = undefined;
    this.listener.samples(samples, this.state);
  }
}
