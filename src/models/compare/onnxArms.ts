import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type * as Ort from 'onnxruntime-web';
import { readModelGraph } from '../graph/readGraph';
import type { ModelInfo } from '../modelInfo';
import { createSession, loadOrt, type OrtModule } from '../runtime/onnxRun';
import type { Label } from './abStats';
import { rowScores, scorePlan, withGraphOutput, type ScorePlan } from './onnxScores';
import { compareTwoModels, type CompareTwoOptions, type ModelComparison } from './twoModels';

// The ONNX arms of an A/B (abPredict.ts): their predictions over the whole dataset and their
// one-row latency; and Compare Models' outputs and benchmark (twoModels.ts); in the models worker (dist/workers/models.js), never on the extension host's
// thread: a big model over 200k rows keeps onnxruntime busy for minutes. The rows come as one
// float32 matrix (a structured clone, no per-row arrays); onnxruntime-web is loaded in the worker
// from dist/lazy/ort.js beside it (the package, from source). A cancel terminates the worker.

export interface OnnxArm {
  readonly path: string;
  readonly info: ModelInfo;
}

export interface OnnxArmsInput {
  readonly arms: readonly OnnxArm[];
  /** Row-major rows × features.length, the dataset's numeric feature columns as float32. */
  readonly X: Float32Array;
  readonly features: readonly string[];
  /** One-row calls timed per arm (0: none), in turns, whole turns until `latencySeconds`. */
  readonly latencyCalls: number;
  readonly latencySeconds: number;
}

/** One arm's predictions, as abPredict reads them. */
export interface OnnxPredicted {
  readonly pred: Label[];
  readonly classifier: boolean;
  readonly score?: number[];
  readonly positive?: Label;
  readonly latencyMs?: number[];
  /** Where the ROC AUC's scores came from, or why there are none. */
  readonly scoreNote: string;
}

let ortModule: OrtModule | undefined;
/** In the bundle (dist/workers/models.js) dist/lazy/ort.js; from source (tsx) the package. */
const workerOrt = (): OrtModule => (ortModule ??= __filename.endsWith('.ts') ? loadOrt() : loadOrt(join(__dirname, '..', 'lazy', 'ort.js')));

/** Compare Models without data (twoModels.ts) in the worker: outputs on the same sample inputs, then the benchmark. */
export interface CompareTwoInput {
  readonly a: OnnxArm & { readonly name?: string };
  readonly b: OnnxArm & { readonly name?: string };
  /** As compareTwoModels takes them, less the signal: a cancel terminates the worker. */
  readonly options: Omit<CompareTwoOptions, 'signal'>;
}

export function compareTwoInWorker(input: CompareTwoInput): Promise<ModelComparison> {
  return compareTwoModels(workerOrt, input.a, input.b, input.options);
}

/** The worker's side: every arm opened, run over all rows in batches, then timed in turns. */
export async function onnxArmsPredict(input: OnnxArmsInput): Promise<OnnxPredicted[]> {
  const ort = workerOrt();
  const width = input.features.length;
  const rows = width ? input.X.length / width : 0;
  const opened: { session: Ort.InferenceSession; arm: OnnxArm }[] = [];
  try {
    const out: OnnxPredicted[] = [];
    for (const arm of input.arms) {
      const outputs = arm.info.outputs ?? [];
      const plan = scorePlan(outputs, outputs.some((o) => o.dtype === 'sequence') ? readModelGraph(arm.path) : undefined);
      const session = await openOnnx(ort, arm, input.features, plan);
      opened.push({ session, arm });
      out.push(await onnxPredict(ort, session, arm, input.X, rows, width, plan));
    }
    const latency = await onnxLatency(ort, opened, input.X, rows, width, input.latencyCalls, input.latencySeconds);
    return out.map((p, k) => (latency[k] ? { ...p, latencyMs: latency[k] } : p));
  } finally {
    await Promise.all(opened.map(({ session }) => session.release()));
  }
}

/** An ONNX model's session, its input checked against the dataset's numeric feature columns. */
async function openOnnx(ort: OrtModule, model: OnnxArm, features: readonly string[], plan: ScorePlan | string): Promise<Ort.InferenceSession> {
  const session = await createSession(ort, model.path, model.info, typeof plan !== 'string' && plan.expose ? withGraphOutput(readFileSync(model.path), plan.expose) : undefined);
  const input = model.info.inputs?.[0];
  const width = input?.shape[input.shape.length - 1];
  const problem = !input || session.inputNames.length !== 1 ? `${basename(model.path)} takes ${session.inputNames.length} inputs: only models with one feature matrix input are compared on data` : typeof width === 'number' && width !== features.length ? `${basename(model.path)} takes ${width} features; the dataset has ${features.length} numeric feature columns (${features.slice(0, 10).join(', ')})` : undefined;
  if (problem) {
    await session.release();
    throw new Error(problem);
  }
  return session;
}

/** Rows [start, end) as one tensor: a view of the shared matrix, no copy. */
const rowsTensor = (ort: OrtModule, X: Float32Array, start: number, end: number, width: number): Ort.Tensor => new ort.Tensor('float32', X.subarray(start * width, end * width), [end - start, width]);

/** The prediction: the first output onnxruntime-web can read (a ZipMap's seq(map) it cannot). */
const predictionOutput = (model: OnnxArm, session: Ort.InferenceSession): string => model.info.outputs?.find((o) => o.dtype !== 'sequence')?.name ?? session.outputNames[0]!;

async function onnxPredict(ort: OrtModule, session: Ort.InferenceSession, model: OnnxArm, X: Float32Array, rowCount: number, width: number, plan: ScorePlan | string): Promise<OnnxPredicted> {
  const input = model.info.inputs![0]!;
  const batch = typeof input.shape[0] === 'number' && input.shape[0] > 0 ? input.shape[0] : 4096;
  const predOutput = predictionOutput(model, session);
  const scoreOutput = typeof plan === 'string' ? undefined : plan.output;
  const fetches = [...new Set([predOutput, ...(scoreOutput ? [scoreOutput] : [])])];
  const pred: Label[] = [];
  const score: number[] = [];
  let positive: Label | undefined;
  let labelsOut = false;
  let classifier = false;
  let classes = 0;
  for (let start = 0; start < rowCount; start += batch) {
    const end = Math.min(rowCount, start + batch);
    const rows = end - start;
    const outputs = await session.run({ [session.inputNames[0]!]: rowsTensor(ort, X, start, end, width) }, fetches);
    const out = outputs[predOutput] as Ort.Tensor;
    const values = out.data as ArrayLike<number | bigint | string>;
    const perRow = values.length / rows;
    const first = pred.length;
    if (out.type === 'int64' || out.type === 'int32' || out.type === 'string') {
      // A label output (as sklearn-onnx writes classifiers).
      classifier = labelsOut = true;
      for (let i = 0; i < rows; i++) pred.push(typeof values[i] === 'bigint' ? Number(values[i]) : (values[i] as Label));
    } else if (perRow === 1) {
      for (let i = 0; i < rows; i++) pred.push(Number(values[i]));
    } else {
      // Scores per class: the class index with the highest score.
      classifier = true;
      for (let i = 0; i < rows; i++) {
        let best = 0;
        for (let k = 1; k < perRow; k++) if (Number(values[i * perRow + k]) > Number(values[i * perRow + best])) best = k;
        pred.push(best);
      }
    }
    const scores = scoreOutput ? outputs[scoreOutput] : undefined;
    if (scores && typeof plan !== 'string') {
      classes = scores.dims[1] ?? 0;
      const data = scores.data as ArrayLike<number>;
      for (let i = 0; i < rows && classes === 2; i++) {
        const p = rowScores(data, i, 2, plan.softmax);
        score.push(p[1]!);
        // The class column 1 stands for: the label predicted where column 1 wins (an index without labels).
        if (positive === undefined && p[1]! > p[0]!) positive = labelsOut ? pred[first + i] : 1;
      }
    }
  }
  const name = basename(model.path);
  if (typeof plan === 'string') return { pred, classifier, scoreNote: `${name} gives no class scores: ${plan}.` };
  if (classes !== 2 || score.length !== pred.length) return { pred, classifier, scoreNote: `${name}'s scores (${plan.how}) have ${classes} columns: ROC AUC is computed for two classes.` };
  if (positive === undefined) return { pred, classifier, scoreNote: `${name}'s scores (${plan.how}) never favour its second class, so which class they rank is unknown: no ROC AUC from them.` };
  return { pred, classifier, score, positive, scoreNote: `${name}'s scores: ${plan.how}.` };
}

/**
 * One-row session.run calls, ms, for each session: in turns A B, B A, … when there are two (a load
 * change hits both), after one untimed call each; at most `calls` rows, whole turns until `seconds`.
 * Models whose input has a fixed batch other than 1 are not timed (undefined).
 */
async function onnxLatency(ort: OrtModule, arms: readonly { session: Ort.InferenceSession; arm: OnnxArm }[], X: Float32Array, rowCount: number, width: number, calls: number, seconds: number): Promise<(number[] | undefined)[]> {
  const fixed = arms.map(({ arm }) => {
    const first = arm.info.inputs?.[0]?.shape[0];
    return typeof first === 'number' && first > 1;
  });
  const timed = arms.filter((_, k) => !fixed[k]);
  const times = timed.map(() => [] as number[]);
  const feed = (session: Ort.InferenceSession, row: number) => ({ [session.inputNames[0]!]: rowsTensor(ort, X, row, row + 1, width) });
  if (rowCount && calls > 0) {
    const fetches = timed.map(({ arm, session }) => [predictionOutput(arm, session)]);
    for (const [k, { session }] of timed.entries()) await session.run(feed(session, 0), fetches[k]!);
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < Math.min(calls, rowCount); i++) {
      const order = i % 2 === 0 ? timed.map((_, k) => k) : timed.map((_, k) => timed.length - 1 - k);
      for (const k of order) {
        const session = timed[k]!.session;
        const feeds = feed(session, i);
        const t0 = performance.now();
        await session.run(feeds, fetches[k]!);
        times[k]!.push(performance.now() - t0);
      }
      if (performance.now() > deadline) break;
    }
  }
  let next = 0;
  return arms.map((_, k) => (fixed[k] ? undefined : times[next++]));
}
