import type * as Ort from 'onnxruntime-web';
import { basename } from 'node:path';
import { externalDataFile } from '../externalData';
import type { IoInfo, ModelInfo } from '../modelInfo';
import { measureInterleaved, type MeasureOptions, type StopReason } from './benchmarkLoop';
import { latencyStats, samplesPerSecond, type LatencyStats } from './benchmarkStats';

// Running ONNX models with onnxruntime (the WebAssembly build, on CPU): sample inputs shaped like
// the model's, latency percentiles and throughput, and the largest output difference between two
// models (an optimized copy against its original).

export type OrtModule = typeof Ort;

/** The package, when run from source (tests, benches); a name in a variable so bundlers leave it out. */
const ORT_PACKAGE = 'onnxruntime-web';

/** Loads onnxruntime-web: from the extension's dist/lazy/ort.js, or the package when run from source. */
export function loadOrt(bundlePath?: string): OrtModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = bundlePath ? (require(bundlePath) as { ort: OrtModule }).ort : (require(ORT_PACKAGE) as OrtModule);
  ort.env.wasm.numThreads = 1; // threads need cross-origin isolation in browsers and add nothing reliable in the extension host
  ort.env.logLevel = 'error';
  return ort;
}

export interface SampleOptions {
  /** The size of the first symbolic axis. */
  readonly batch?: number;
  /** Other symbolic axes (sequence length, image side). */
  readonly otherDims?: number;
  readonly seed?: number;
}

/** A small deterministic generator (sample inputs are the same every run). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function sampleShape(io: IoInfo, options: SampleOptions = {}): number[] {
  return io.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? (options.batch ?? 1) : (options.otherDims ?? 16)));
}

/** Inputs shaped like the model's: floats from N(0, 1), integers 0 (a valid index or token), booleans false. */
export function sampleFeeds(ort: OrtModule, inputs: readonly IoInfo[], options: SampleOptions = {}): Record<string, Ort.Tensor> {
  const next = random(options.seed ?? 7);
  const feeds: Record<string, Ort.Tensor> = {};
  for (const input of inputs) {
    const shape = sampleShape(input, options);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > 50_000_000) throw new Error(`${input.name}: a sample of ${n} elements is too large; give smaller dims`);
    switch (input.dtype) {
      case 'float32': {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i += 2) {
          const r = Math.sqrt(-2 * Math.log(next() || 1e-12));
          const t = 2 * Math.PI * next();
          data[i] = r * Math.cos(t);
          if (i + 1 < n) data[i + 1] = r * Math.sin(t);
        }
        feeds[input.name] = new ort.Tensor('float32', data, shape);
        break;
      }
      case 'float64':
        feeds[input.name] = new ort.Tensor('float64', Float64Array.from({ length: n }, () => next() * 2 - 1), shape);
        break;
      case 'int64':
        feeds[input.name] = new ort.Tensor('int64', new BigInt64Array(n), shape);
        break;
      case 'int32':
        feeds[input.name] = new ort.Tensor('int32', new Int32Array(n), shape);
        break;
      case 'bool':
        feeds[input.name] = new ort.Tensor('bool', new Uint8Array(n), shape);
        break;
      case 'uint8':
        feeds[input.name] = new ort.Tensor('uint8', new Uint8Array(n), shape);
        break;
      default:
        throw new Error(`${input.name}: sample inputs of ${input.dtype} are not made; benchmark it from Python`);
    }
  }
  return feeds;
}

/** `bytes`: the model as rewritten in memory (an A/B exposing a classifier's probabilities), else the file is read. */
export async function createSession(ort: OrtModule, modelPath: string, info: Pick<ModelInfo, 'externalData'>, bytes?: Uint8Array): Promise<Ort.InferenceSession> {
  // Only files the shared rule lets through reach onnxruntime (it reads no other file itself).
  const externalData = (info.externalData ?? []).map((location) => ({ path: location, data: externalDataFile(modelPath, location) }));
  try {
    const options: Ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3, ...(externalData.length ? { externalData } : {}) };
    return await (bytes ? ort.InferenceSession.create(bytes, options) : ort.InferenceSession.create(modelPath, options));
  } catch (error) {
    throw new Error(`onnxruntime could not load ${basename(modelPath)}: ${(error as Error).message}`, { cause: error });
  }
}

export interface BenchmarkResult extends LatencyStats {
  readonly batch: number;
  readonly inputShapes: Record<string, number[]>;
  readonly loadMs: number;
  /** Samples per second = batch × runs / measured time (the sum of the measured runs' latencies). */
  readonly throughput: number;
  /** What ran it, as the user should read it ("onnxruntime-web 1.23.2, WebAssembly, 1 thread, CPU"). */
  readonly runtime: string;
  readonly warmupRuns: number;
  readonly warmupMs: number;
  readonly warmupSettled: boolean;
  readonly stop: StopReason;
  /** The stop rule's target: the mean's 95% CI half-width relative to it. */
  readonly target: number;
  readonly maxSeconds: number;
}

export type BenchmarkOptions = SampleOptions & MeasureOptions;

/** The runtime as it is set up here: the package's version and the threads it runs with. */
export function runtimeName(ort: OrtModule): string {
  const threads = ort.env.wasm.numThreads ?? 1;
  return `onnxruntime-web ${ort.env.versions.web}, WebAssembly, ${threads} thread${threads === 1 ? '' : 's'}, CPU`;
}

/** Latency of `modelPath` on sample inputs: warm-up until settled, then runs until the mean is stable or the budget is spent (benchmarkLoop.ts). */
export async function benchmarkOnnx(ort: OrtModule, modelPath: string, info: Pick<ModelInfo, 'inputs' | 'externalData'>, options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  const [result] = await benchmarkOnnxModels(ort, [{ path: modelPath, info }], options);
  return result!;
}

/**
 * Several models (an original and its optimized copy) on the same sample inputs, the first
 * model's, measured in turns so that the machine's load falls on all alike; the budget is for all.
 */
export async function benchmarkOnnxModels(ort: OrtModule, models: readonly { path: string; info: Pick<ModelInfo, 'inputs' | 'externalData'> }[], options: BenchmarkOptions = {}): Promise<BenchmarkResult[]> {
  const inputs = models[0]?.info.inputs;
  if (!inputs?.length) throw new Error('the model declares no inputs');
  const sessions: { session: Ort.InferenceSession; loadMs: number }[] = [];
  try {
    for (const model of models) {
      const loadStart = performance.now();
      const session = await createSession(ort, model.path, model.info);
      sessions.push({ session, loadMs: performance.now() - loadStart });
    }
    const feeds = sampleFeeds(ort, inputs, options);
    const measured = await measureInterleaved(sessions.map(({ session }) => () => session.run(feeds)), options);
    const batch = options.batch ?? 1;
    const inputShapes = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, [...v.dims]]));
    return measured.map((m, i) => {
      const stats = latencyStats(m.times);
      return {
        ...stats,
        batch,
        inputShapes,
        loadMs: sessions[i]!.loadMs,
        throughput: samplesPerSecond(batch, stats),
        runtime: runtimeName(ort),
        warmupRuns: m.warmupRuns,
        warmupMs: m.warmupMs,
        warmupSettled: m.warmupSettled,
        stop: m.stop,
        target: m.target,
        maxSeconds: m.maxSeconds,
      };
    });
  } finally {
    for (const { session } of sessions) await session.release();
  }
}

export interface OutputDifference {
  readonly output: string;
  /** The largest absolute difference over every element of every sample (Infinity when the shapes differ). */
  readonly maxAbsDiff: number;
  /** The mean absolute difference over the same elements. */
  readonly meanAbsDiff: number;
  /** The largest magnitude in the reference output, to read the difference against. */
  readonly maxAbs: number;
}

export interface CompareOptions extends SampleOptions {
  /** How many sample inputs (seeds `seed`, `seed + 1`, …). Default 1. */
  readonly samples?: number;
  readonly signal?: AbortSignal;
}

export interface SampleInput {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** How the values are drawn, in words. */
  readonly values: string;
}

/** The sample inputs sampleFeeds makes, described for a report. */
export function describeSampleInputs(inputs: readonly IoInfo[], options: SampleOptions = {}): SampleInput[] {
  const values = (dtype: string): string => (dtype === 'float32' ? 'from N(0, 1)' : dtype.startsWith('float') ? 'uniform in [-1, 1)' : dtype === 'bool' ? 'all false' : 'all 0');
  return inputs.map((io) => ({ name: io.name, dtype: io.dtype, shape: sampleShape(io, options), values: values(io.dtype) }));
}

/** Running sums of one output's differences over samples (compareModels, Compare Models). */
export interface DifferenceSum {
  max: number;
  sum: number;
  count: number;
  maxAbs: number;
}

export function newDifference(): DifferenceSum {
  return { max: 0, sum: 0, count: 0, maxAbs: 0 };
}

/** Adds one sample's output `x` (the reference) against `y`: a missing or differently sized `y` makes the difference Infinity. */
export function addDifference(o: DifferenceSum, x: ArrayLike<number>, y: ArrayLike<number> | undefined): void {
  const same = y !== undefined && y.length === x.length;
  if (!same) o.max = Infinity;
  for (let i = 0; i < x.length; i++) {
    o.maxAbs = Math.max(o.maxAbs, Math.abs(Number(x[i])));
    if (!same) continue;
    const d = Math.abs(Number(x[i]) - Number(y[i]));
    o.max = Math.max(o.max, d);
    o.sum += d;
    o.count++;
  }
}

export function differenceOf(o: DifferenceSum): Omit<OutputDifference, 'output'> {
  return { maxAbsDiff: o.max, meanAbsDiff: o.max === Infinity ? Infinity : o.count ? o.sum / o.count : 0, maxAbs: o.maxAbs };
}

/** Runs both models on the same sample inputs; the largest and mean difference per output (by name). */
export async function compareModels(ort: OrtModule, reference: { path: string; info: Pick<ModelInfo, 'inputs' | 'externalData'> }, candidate: string, options: CompareOptions = {}): Promise<OutputDifference[]> {
  if (!reference.info.inputs?.length) throw new Error('the model declares no inputs');
  const a = await createSession(ort, reference.path, reference.info);
  const b = await createSession(ort, candidate, {}).catch(async (error: unknown) => {
    await a.release();
    throw error;
  });
  const acc = new Map<string, DifferenceSum>();
  try {
    for (let s = 0; s < (options.samples ?? 1); s++) {
      options.signal?.throwIfAborted();
      const feeds = sampleFeeds(ort, reference.info.inputs, { ...options, seed: (options.seed ?? 7) + s });
      const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
      for (const name of Object.keys(ra)) {
        const x = ra[name]!.data as ArrayLike<number>;
        const y = rb[name]?.data as ArrayLike<number> | undefined;
        const o = acc.get(name) ?? newDifference();
        acc.set(name, o);
        addDifference(o, x, y);
      }
    }
  } finally {
    await a.release();
    await b.release();
  }
  return [...acc].map(([output, o]) => ({ output, ...differenceOf(o) }));
}
