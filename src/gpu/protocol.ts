// Messages between the GPU charts webview and the extension host (checked on both sides by the compiler).
import type { GpuSeries } from './gpuHistory';

export type ToGpuView =
  | { readonly type: 'history'; readonly gpus: readonly GpuSeries[]; readonly processes: readonly string[]; readonly problem?: string };

export type FromGpuView = { readonly type: 'ready' };
