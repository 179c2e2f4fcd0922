import { basename } from 'node:path';
import type { ModelInfo } from '../modelInfo';
import { runPythonJob } from '../pythonJob';
import { AB_JOB_SCRIPT } from './abJob';
import { modelReader, type ModelReader } from '../modelReader';
import type { ABMetric, ABResult, ClassScores, Label } from './abStats';
import { abMarkdown } from './abStatsMarkdown';
import { abStatisticsOffThread, onnxArmsOffThread, type ABStatsInput } from './abStatsJob';

// Both models' predictions on the same labelled dataset, then abStats. The dataset (CSV, or
// Parquet where pandas can read it) is read once by pandas in the user's Python (abJob.ts), which
// also runs the scikit-learn pickles and TorchScript archives; ONNX models run in onnxruntime-web
// in the models worker (onnxArms.ts) on the dataset's numeric feature columns, in their order, as
// float32. Rows whose target is empty are left out; at most MAX_ROWS are used. Each arm's latency
// is one-row calls timed in turns in its own runtime; the statistics run in the models worker
// (abStatsJob.ts), cancellable and under a time limit, for the CLI and tools alike.

export const MAX_ROWS = 200_000;

export interface ABModel {
  readonly path: string;
  readonly info: ModelInfo;
  /** How the report names it (a registry version's "churn v3 (model.onnx)"); default its file name. */
  readonly name?: string;
}

export interface ABRun {
  readonly result: ABResult;
  readonly names: readonly [string, string];
  readonly markdown: string;
}

interface Predicted {
  pred: Label[];
  classifier: boolean;
  /** Two-class sklearn and TorchScript models: the score of `positive` per row. */
  score?: number[];
  /** classes_[1] as JSON gives it; String() of it matches String() of the target's labels. */
  positive?: Label;
  /** More than two classes (sklearn): each row's probabilities in the order of `classes`, row-major. */
  proba?: number[];
  classes?: Label[];
  /** One-row calls, ms (sklearn and TorchScript: timed in the Python job; ONNX: onnxArms.ts). */
  latencyMs?: number[];
  /** A TorchScript classifier's class-score columns (its predictions are their indices). */
  columns?: number;
  torch?: boolean;
}

interface JobAnswer {
  y: Label[];
  models: (Predicted & { path: string })[];
  features?: string[];
  /** Base64 of the numeric feature columns as row-major float32. */
  X?: string;
}

const isSklearn = (m: ABModel): boolean => m.info.format === 'sklearn' || /\.(pkl|pickle|joblib)$/i.test(m.path);
const isTorchScript = (m: ABModel): boolean => m.info.format === 'pytorch' && m.info.torchKind === 'torchscript';
/** The arm runs in the user's Python (else in onnxruntime-web). */
const inPython = (m: ABModel): boolean => isSklearn(m) || isTorchScript(m);

/** Why a model cannot be compared on data, in words that say what to do; undefined when it can. */
export function notComparable(m: ABModel): string | undefined {
  const name = basename(m.path);
  if (inPython(m) || m.info.format === 'onnx') return undefined;
  if (m.info.format === 'pytorch' && m.info.torchKind === 'weights') return `${name} holds weights (a state dict or checkpoint), not a runnable model: they need the model's Python class. Save the model as TorchScript (torch.jit.script(model).save("model.pt"), or torch.jit.trace) or export it to ONNX, then compare`;
  if (m.info.format === 'pytorch' && m.info.torchKind === 'pickled-module') return `${name} is a pickled nn.Module (torch.save(model)): loading it needs its class's code and runs what the pickle names. Save it as TorchScript (torch.jit.script(model).save("model.pt")) or export it to ONNX, then compare`;
  return `${name} is ${m.info.format}: only ONNX, scikit-learn and TorchScript models are compared on data (export it to ONNX first)`;
}

/** Whether loading the model runs code from it, and what: the command asks the user first. */
export function loadRunsCode(m: ABModel): 'pickle' | 'torchscript' | undefined {
  return isTorchScript(m) ? 'torchscript' : isSklearn(m) ? 'pickle' : undefined;
}

/** One-row calls timed per arm: at most this many, for at most LATENCY_SECONDS per runtime. */
export const LATENCY_CALLS = 200;
export const LATENCY_SECONDS = 5;

export interface CompareOnDataOptions {
  readonly cwd: string;
  readonly signal?: AbortSignal;
  readonly resamples?: number;
  /** Where the statistics run (default: the shared model reader's worker). */
  readonly reader?: ModelReader;
  /** The statistics' time limit (default AB_STATS_TIME_MS). */
  readonly statsTimeMs?: number;
  /** One-row calls timed per arm (default LATENCY_CALLS; 0: no latency). */
  readonly latencyCalls?: number;
  /** The metric the verdict is on (default: abStatsVerdict.ts pickMetric). */
  readonly metric?: ABMetric;
}

/** Runs both models on the dataset and compares them (see the file comment). */
export async function compareOnData(python: () => Promise<string>, a: ABModel, b: ABModel, data: string, target: string, options: CompareOnDataOptions): Promise<ABRun> {
  const models = [a, b];
  for (const m of models) {
    const why = notComparable(m);
    if (why) throw new Error(why);
  }
  const inPythonArms = models.filter(inPython).map((m) => ({ path: m.path, kind: isTorchScript(m) ? 'torchscript' : 'sklearn' }));
  const latencyCalls = options.latencyCalls ?? LATENCY_CALLS;
  const answer = await runPythonJob<JobAnswer & { model: string }>(
    await python(),
    AB_JOB_SCRIPT,
    { model: inPythonArms[0]?.path ?? data, data, target, python: inPythonArms, features: models.some((m) => !inPython(m)), maxRows: MAX_ROWS, latencyCalls, latencySeconds: LATENCY_SECONDS },
    { cwd: options.cwd, ...(options.signal ? { signal: options.signal } : {}) },
    { noun: 'the comparison', verb: 'compare' },
  );
  const onnx = models.filter((m) => !inPython(m));
  const X = answer.X ? new Float32Array(Uint8Array.from(Buffer.from(answer.X, 'base64')).buffer) : new Float32Array(0);
  const onnxPreds = onnx.length ? await onnxArmsOffThread(options.reader ?? modelReader(), { arms: onnx, X, features: answer.features ?? [], latencyCalls, latencySeconds: LATENCY_SECONDS }, basename(data), { ...(options.signal ? { signal: options.signal } : {}), ...(options.statsTimeMs ? { timeMs: options.statsTimeMs } : {}) }) : [];
  const scoreNotes = onnxPreds.map((p) => p.scoreNote);
  let [i, j] = [0, 0];
  const preds: Predicted[] = models.map((m) => (inPython(m) ? answer.models[i++]! : onnxPreds[j++]!));
  models.forEach((m, k) => {
    const p = preds[k]!;
    if (!p.torch || !p.columns) return;
    // A TorchScript classifier gives class indices: they are the target's labels only where those are 0 … C−1.
    if (!answer.y.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < p.columns!)) throw new Error(`${basename(m.path)} gives ${p.columns} class scores, read as class indices 0 to ${p.columns - 1}, but ${target} holds other labels (${[...new Set(answer.y.slice(0, 200).map(String))].slice(0, 5).join(', ')}): encode ${target} as the indices the model was trained on`);
    scoreNotes.push(p.columns === 2 ? `${basename(m.path)}'s scores: softmax of its two output columns, read as classes 0 and 1.` : `${basename(m.path)} gives ${p.columns} class scores: ROC AUC is computed for two classes.`);
  });
  const [pa, pb] = preds as [Predicted, Predicted];
  const names: [string, string] = [a.name ?? basename(a.path), b.name ?? basename(b.path)];
  if (names[0] === names[1]) names.splice(0, 2, `A (${names[0]})`, `B (${names[1]})`);
  const targetsAreNumbers = answer.y.every((v) => typeof v === 'number');
  const classification = pa.classifier || pb.classifier || !targetsAreNumbers;
  const common = { names, ...(options.resamples ? { resamples: options.resamples } : {}), ...(options.metric ? { metric: options.metric } : {}) };
  // Scores count where they rank the same class (a model without them is named in the report).
  const positiveOf = (p: Predicted): string | undefined => (p.positive === undefined ? undefined : String(p.positive));
  const positive = positiveOf(pa) ?? positiveOf(pb);
  const scoresOf = (p: Predicted): number[] | undefined => (p.score && positiveOf(p) === positive ? p.score : undefined);
  const classesOf = (p: Predicted): string | undefined => p.classes?.map(String).join('\n');
  const classes = classesOf(pa) ?? classesOf(pb);
  const probaOf = (p: Predicted): number[] | undefined => (p.proba && classesOf(p) === classes ? p.proba : undefined);
  const scores: ClassScores | undefined =
    positive !== undefined
      ? { positive, ...(scoresOf(pa) ? { a: scoresOf(pa) } : {}), ...(scoresOf(pb) ? { b: scoresOf(pb) } : {}) }
      : classes !== undefined
        ? { classes: classes.split('\n'), ...(probaOf(pa) ? { a: probaOf(pa) } : {}), ...(probaOf(pb) ? { b: probaOf(pb) } : {}) }
        : undefined;
  // In turns only where both arms were timed in one runtime (both in Python, or both ONNX).
  const latency = pa.latencyMs && pb.latencyMs ? { a: pa.latencyMs, b: pb.latencyMs, inTurns: inPython(a) === inPython(b) } : undefined;
  const input: ABStatsInput = classification
    ? { task: 'classification', truth: answer.y.map(String), a: pa.pred.map(String), b: pb.pred.map(String), options: { ...common, ...(scores ? { scores } : {}) }, ...(latency ? { latency } : {}) }
    : { task: 'regression', truth: answer.y as number[], a: pa.pred.map(Number), b: pb.pred.map(Number), options: common, ...(latency ? { latency } : {}) };
  const result = await abStatisticsOffThread(options.reader ?? modelReader(), input, basename(data), { ...(options.signal ? { signal: options.signal } : {}), ...(options.statsTimeMs ? { timeMs: options.statsTimeMs } : {}) });
  // Where each ONNX or TorchScript arm's scores came from (or why there are none): the AUC row is only as good as that.
  const markdown = abMarkdown(result, names, basename(data), target);
  return { result, names, markdown: result.task === 'classification' && scoreNotes.length ? `${markdown.trimEnd()}\n\n${scoreNotes.join(' ')}\n` : markdown };
}
