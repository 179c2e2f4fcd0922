import { basename, join } from 'node:path';
import { ReaderStopped } from '../common/worker/readerStopped';
import { WorkerRunner, type RunnerLimits } from '../common/worker/workerRunner';
import { workerScript } from '../common/worker/workerScript';
import type { ABStatsInput } from './compare/abStatsJob';
import type { CompareTwoInput, OnnxArmsInput, OnnxPredicted } from './compare/onnxArms';
import type { ModelComparison } from './compare/twoModels';
import type { ABResult } from './compare/abStats';
import { ModelFormatError } from './fileWindow';
import type { ModelGraph, TensorStatistics } from './graph/graphData';
import type { Unit, UnitLayout } from './graph/layoutPlan';
import type { ModelInfo } from './modelInfo';

// Every model file the extension or the CLI describes is read in a worker thread
// (dist/workers/models.js) under a time and heap budget: the viewer is the default editor for
// model files and reads them in untrusted workspaces, so a hostile file must cost at most its
// budget, never a frozen extension host. Readers stay synchronous; only this call is async.

export type ModelsWorkerApi = {
  inspect: { params: { path: string }; result: ModelInfo };
  /** The graph view's nodes, tensors and scopes (src/models/graph/). */
  graph: { params: { path: string }; result: ModelGraph };
  /** One initializer's values summarised, at most maxBytes read. */
  tensorStats: { params: { path: string; tensor: string; maxBytes?: number }; result: TensorStatistics };
  /** The graph view's layout of what it shows (layoutPlan.ts units), with dagre; `path` names the model in errors. */
  layout: { params: { path: string; units: readonly Unit[] }; result: Record<string, UnitLayout> };
  /** An A/B's statistics (compare/abStatsJob.ts): CPU-heavy, so here rather than on the host's thread. */
  abStats: { params: ABStatsInput; result: ABResult };
  /** An A/B's ONNX predictions and latency (compare/onnxArms.ts), with onnxruntime-web in the worker. */
  abOnnx: { params: OnnxArmsInput; result: OnnxPredicted[] };
  /** Compare Models' outputs on the same sample inputs and benchmark (compare/twoModels.ts). */
  compareTwo: { params: CompareTwoInput; result: ModelComparison };
};

/** A model header reads in milliseconds; these are far beyond any real file. */
export const MODEL_READER_LIMITS: RunnerLimits = { memoryMb: 512, timeMs: 20_000 };

export interface ModelReaderOptions {
  readonly limits?: RunnerLimits;
  /** The worker script (default: dist/workers/models.js beside the running bundle). */
  readonly script?: string;
  /** How long an idle worker is kept for the next file (default 60 s; 0: a worker per file). */
  readonly idleMs?: number;
}

export class ModelReader {
  private readonly runner: WorkerRunner<ModelsWorkerApi>;

  constructor(options: ModelReaderOptions = {}) {
    this.runner = new WorkerRunner<ModelsWorkerApi>({
      script: options.script ?? workerScript('models', () => join(__dirname, 'lazy', 'modelsWorker.ts')),
      limits: options.limits ?? MODEL_READER_LIMITS,
      // Two: a file stuck until its budget runs out does not hold up the next one opened.
      maxWorkers: 2,
      idleMs: options.idleMs ?? 60_000,
    });
  }

  /**
   * What inspectModel(path) says, read off this thread. Throws ModelFormatError for a file that is
   * not a model it reads, fs errors (with their code) as they are, and ReaderStopped when the
   * reader went over its budget, crashed, or was cancelled.
   */
  inspect(path: string, signal?: AbortSignal): Promise<ModelInfo> {
    return this.call('inspect', { path }, signal);
  }

  /** The model's graph (ONNX), read off this thread; errors as inspect's. */
  graph(path: string, signal?: AbortSignal): Promise<ModelGraph> {
    return this.call('graph', { path }, signal);
  }

  /** Statistics of one initializer's values, at most `maxBytes` read; errors as inspect's. */
  tensorStats(path: string, tensor: string, maxBytes?: number, signal?: AbortSignal): Promise<TensorStatistics> {
    return this.call('tensorStats', { path, tensor, ...(maxBytes !== undefined ? { maxBytes } : {}) }, signal);
  }

  /** Lays out the graph view's units off the host's thread (unitLayout.ts); results kept per unit in the worker. */
  layout(path: string, units: readonly Unit[], signal?: AbortSignal): Promise<Record<string, UnitLayout>> {
    return this.call('layout', { path, units }, signal);
  }

  /** The A/B statistics off this thread, under their own time limit; `subject` names them in a ReaderStopped. */
  abStats(input: ABStatsInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<ABResult> {
    return this.runner.call('abStats', input, { subject, limits: { timeMs }, ...(signal ? { signal } : {}) });
  }

  /** The A/B's ONNX arms off this thread, under their own time limit; as abStats. */
  abOnnx(input: OnnxArmsInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<OnnxPredicted[]> {
    return this.runner.call('abOnnx', input, { subject, limits: { timeMs }, ...(signal ? { signal } : {}) });
  }

  /** Compare Models' ONNX runs off this thread, under their own time limit; as abStats. */
  compareTwo(input: CompareTwoInput, subject: string, timeMs: number, signal?: AbortSignal): Promise<ModelComparison> {
    return this.runner.call('compareTwo', input, { subject, limits: { timeMs }, ...(signal ? { signal } : {}) });
  }

  private async call<M extends Exclude<keyof ModelsWorkerApi, 'abStats' | 'abOnnx' | 'compareTwo'>>(method: M, params: ModelsWorkerApi[M]['params'], signal?: AbortSignal): Promise<ModelsWorkerApi[M]['result']> {
    try {
      return await this.runner.call(method, params, { subject: basename(params.path), ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!(error instanceof ReaderStopped) && error instanceof Error && error.name === 'ModelFormatError') throw new ModelFormatError(error.message);
      throw error;
    }
  }

  setLimits(limits: RunnerLimits): void {
    this.runner.setLimits(limits);
  }

  dispose(): void {
    this.runner.dispose();
  }
}

let shared: ModelReader | undefined;

/** The reader the extension, its tools and the CLI share. */
export function modelReader(): ModelReader {
  return (shared ??= new ModelReader());
}

/** inspectModel, in the shared reader worker. */
export function inspectModelFile(path: string, signal?: AbortSignal): Promise<ModelInfo> {
  return modelReader().inspect(path, signal);
}

/** Stops the shared reader's workers (deactivation); the next call starts new ones. */
export function stopModelReader(): void {
  shared?.dispose();
  shared = undefined;
}
