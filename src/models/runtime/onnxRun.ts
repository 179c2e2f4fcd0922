import type * as Ort from 'onnxruntime-web';
import { basename } from 'node:path';
import { externalDataFile } from '../externalData';
import type { IoInfo, ModelInfo } from '../modelInfo';

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

export async function createSession(ort: OrtModule, modelPath: string, info: Pick<ModelInfo, 'externalData'>): Promise<Ort.InferenceSession> {
  // Only files the shared rule lets through reach onnxruntime (it reads no other file itself).
  const externalData = (info.externalData ?? []).map((location) => ({ path: location, data: externalDataFile(modelPath, location) }));
  try {
    return await ort.InferenceSession.create(modelPath, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3, ...(externalData.length ? { externalData } : {}) });
  } catch (error) {
    throw new Error(`onnxruntime could not load ${basename(modelPath)}: ${(error as Error).message}`, { cause: error });
  }
}

export interface BenchmarkResult {
  readonly runs: number;
  readonly batch: number;
  readonly inputShapes: Record<string, number[]>;
  readonly loadMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
  /** Samples (batch rows) per second at the median latency. */
  readonly throughput: number;
}

export interface BenchmarkOptions extends SampleOptions {
  readonly runs?: number;
  readonly warmup?: number;
  /** Stop early after this long (a slow model still reports what it measured). */
  readonly maxSeconds?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function benchmarkOnnx(ort: OrtModule, modelPath: string, info: Pick<ModelInfo, 'inputs' | 'externalData'>, options: BenchmarkOptions = {}): Promise<BenchmarkResult> {
  if (!info.inputs?.length) throw new Error('the model declares no inputs');
  const loadStart = performance.now();
  const session = await createSession(ort, modelPath, info);
  const loadMs = performance.now() - loadStart;
  try {
    const feeds = sampleFeeds(ort, info.inputs, options);
    const total = options.runs ?? 50;
    for (let i = 0; i < (options.warmup ?? 3); i++) await session.run(feeds);
    const times: number[] = [];
    const deadline = performance.now() + (options.maxSeconds ?? 30) * 1000;
    for (let i = 0; i < total && performance.now() < deadline; i++) {
      options.signal?.throwIfAborted();
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
      options.onProgress?.(i + 1, total);
    }
    times.sort((a, b) => a - b);
    const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const batch = options.batch ?? 1;
    return {
      runs: times.length,
      batch,
      inputShapes: Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, [...v.dims]])),
      loadMs,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      meanMs: times.reduce((a, b) => a + b, 0) / times.length,
      throughput: (batch * 1000) / at(0.5),
    };
  } finally {
    await session.release();
  }
}

export interface OutputDifference {
  readonly output: string;
  readonly maxAbsDiff: number;
  /** The largest magnitude in the reference output, to read the difference against. */
  readonly maxAbs: number;
}

/** Runs both models on the same sample inputs; the largest difference per output (by name). */
export async function compareModels(ort: OrtModule, reference: { path: string; info: Pick<ModelInfo, 'inputs' | 'externalData'> }, candidate: string, options: SampleOptions = {}): Promise<OutputDifference[]> {
  if (!reference.info.inputs?.length) throw new Error('the model declares no inputs');
  const feeds = sampleFeeds(ort, reference.info.inputs, options);
  const a = await createSession(ort, reference.path, reference.info);
  const b = await createSession(ort, candidate, {});
  try {
    const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
    return Object.keys(ra).map((name) => {
      const x = ra[name]!.data as ArrayLike<number>;
      const y = rb[name]?.data as ArrayLike<number> | undefined;
      let maxAbsDiff = y && y.length === x.length ? 0 : Infinity;
      let maxAbs = 0;
      for (let i = 0; i < x.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(Number(x[i])));
        if (y && y.length === x.length) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(Number(x[i]) - Number(y[i])));
      }
      return { output: name, maxAbsDiff, maxAbs };
    });
  } finally {
    await a.release();
    await b.release();
  }
}
