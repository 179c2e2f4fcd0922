import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-web';
import type { ModelInfo } from '../modelInfo';
import { JOB_PRELUDE, runPythonJob } from '../pythonJob';
import { createSession, type OrtModule } from '../runtime/onnxRun';
import { modelReader, type ModelReader } from '../modelReader';
import { abMarkdown, type ABMetric, type ABResult, type ClassScores, type Label } from './abStats';
import { abStatisticsOffThread, type ABStatsInput } from './abStatsJob';
import { rowScores, scorePlan, withGraphOutput, type ScorePlan } from './onnxScores';

// Both models' predictions on the same labelled dataset, then abStats. The dataset (CSV, or
// Parquet where pandas can read it) is read once by pandas in the user's Python, which also runs
// the scikit-learn models (their pickles need it anyway; feature_names_in_ picks and orders the
// columns); ONNX models run in onnxruntime-web here on the dataset's numeric feature columns, in
// their order, as float32. Rows whose target is empty are left out; at most MAX_ROWS are used.
// Each arm's latency is one-row calls timed in turns in its own runtime; the statistics run in
// the models worker (abStatsJob.ts), cancellable and under a time limit, for the CLI and tools alike.

export const MAX_ROWS = 200_000;

const SCRIPT = `${JOB_PRELUDE}
try:
    import pandas as pd
except ImportError:
    print(json.dumps({"error": "pandas is not installed in this Python: it reads the dataset (pip install pandas)"})); sys.exit(0)
path, target = spec["data"], spec["target"]
try:
    df = pd.read_parquet(path) if path.lower().endswith((".parquet", ".pq")) else pd.read_csv(path)
except Exception as e:
    print(json.dumps({"error": "could not read %s: %s" % (os.path.basename(path), e)})); sys.exit(0)
if target not in df.columns:
    print(json.dumps({"error": "%s has no column %r (its columns: %s)" % (os.path.basename(path), target, ", ".join(map(str, list(df.columns)[:30])))})); sys.exit(0)
df = df[df[target].notna()].head(spec["maxRows"])
X = df.drop(columns=[target])
out = {"ok": True, "y": df[target].tolist(), "models": []}
fitted = []
for m in spec["sklearn"]:
    with user_modules():
        try:
            import joblib
            model = joblib.load(m)
        except ImportError:
            import pickle
            with open(m, "rb") as f:
                model = pickle.load(f)
    if not hasattr(model, "predict"):
        print(json.dumps({"error": "%s holds a %s, which has no predict()" % (os.path.basename(m), type(model).__name__)})); sys.exit(0)
    cols = list(getattr(model, "feature_names_in_", []))
    missing = [c for c in cols if c not in X.columns]
    if missing:
        print(json.dumps({"error": "%s needs columns the dataset lacks: %s" % (os.path.basename(m), ", ".join(map(str, missing[:10])))})); sys.exit(0)
    fitted.append((model, X[cols] if cols else X.values))
    t0 = time.perf_counter()
    pred = model.predict(X[cols] if cols else X.values)
    entry = {"path": m, "pred": pred.tolist(), "classifier": getattr(model, "_estimator_type", None) == "classifier", "seconds": time.perf_counter() - t0}
    classes = getattr(model, "classes_", None)
    # Two classes: the score of classes_[1], as sklearn's roc_auc_score ranks it; more: every column (one-vs-rest AUC).
    if hasattr(model, "predict_proba") and classes is not None and len(classes) >= 2:
        try:
            proba = model.predict_proba(X[cols] if cols else X.values)
            # As JSON values, turned into text on the TypeScript side as the labels are (True -> "true", 1.0 -> "1").
            label = lambda c: c.item() if hasattr(c, "item") else c
            if len(classes) == 2:
                entry["score"], entry["positive"] = proba[:, 1].tolist(), label(classes[1])
            else:
                entry["proba"], entry["classes"] = proba.ravel().tolist(), [label(c) for c in classes]
        except Exception:
            pass
    out["models"].append(entry)
# Latency: one-row predict() calls timed in turns A B, B A, ... (a load change hits both arms), after one
# untimed call each; at most latencyCalls rows, stopped after latencySeconds (whole turns only).
calls = min(spec["latencyCalls"], len(X))
if fitted and calls:
    rows = [[(data.iloc[i:i + 1] if hasattr(data, "iloc") else data[i:i + 1]) for i in range(calls)] for _, data in fitted]
    times = [[] for _ in fitted]
    for k, (model, _) in enumerate(fitted):
        model.predict(rows[k][0])
    deadline = time.perf_counter() + spec["latencySeconds"]
    for i in range(calls):
        for k in (range(len(fitted)) if i % 2 == 0 else reversed(range(len(fitted)))):
            t0 = time.perf_counter()
            fitted[k][0].predict(rows[k][i])
            times[k].append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() > deadline:
            break
    for k, entry in enumerate(out["models"]):
        entry["latencyMs"] = times[k]
if spec["features"]:
    num = X.select_dtypes("number")
    out["features"] = [str(c) for c in num.columns]
    out["X"] = num.astype("float64").fillna(0).values.tolist()
print(json.dumps(out))
`;

export interface ABModel {
  readonly path: string;
  readonly info: ModelInfo;
}

export interface ABRun {
  readonly result: ABResult;
  readonly names: readonly [string, string];
  readonly markdown: string;
}

interface Predicted {
  pred: Label[];
  classifier: boolean;
  /** Two-class sklearn models: the score of `positive` per row. */
  score?: number[];
  /** classes_[1] as JSON gives it; String() of it matches String() of the target's labels. */
  positive?: Label;
  /** More than two classes (sklearn): each row's probabilities in the order of `classes`, row-major. */
  proba?: number[];
  classes?: Label[];
  /** One-row calls, ms (sklearn: timed in the Python job; ONNX: onnxLatency). */
  latencyMs?: number[];
}

interface JobAnswer {
  y: Label[];
  models: (Predicted & { path: string })[];
  features?: string[];
  X?: number[][];
}

const isSklearn = (m: ABModel): boolean => m.info.format === 'sklearn' || /\.(pkl|pickle|joblib)$/i.test(m.path);

/** An ONNX model's session, its input checked against the dataset's numeric feature columns. */
async function openOnnx(ort: OrtModule, model: ABModel, features: readonly string[], plan: ScorePlan | string): Promise<Ort.InferenceSession> {
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

const rowsTensor = (ort: OrtModule, rows: readonly number[][], width: number): Ort.Tensor => new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);

/** The prediction: the first output onnxruntime-web can read (a ZipMap's seq(map) it cannot). */
const predictionOutput = (model: ABModel, session: Ort.InferenceSession): string => model.info.outputs?.find((o) => o.dtype !== 'sequence')?.name ?? session.outputNames[0]!;

async function onnxPredict(ort: OrtModule, session: Ort.InferenceSession, model: ABModel, X: readonly number[][], features: readonly string[], plan: ScorePlan | string, signal?: AbortSignal): Promise<Predicted & { scoreNote: string }> {
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
  for (let start = 0; start < X.length; start += batch) {
    // Heard between batches: a cancel stops a big file's predictions here, not after the last row.
    signal?.throwIfAborted();
    const rows = X.slice(start, start + batch);
    const outputs = await session.run({ [session.inputNames[0]!]: rowsTensor(ort, rows, features.length) }, fetches);
    const out = outputs[predOutput] as Ort.Tensor;
    const values = out.data as ArrayLike<number | bigint | string>;
    const perRow = values.length / rows.length;
    const first = pred.length;
    if (out.type === 'int64' || out.type === 'int32' || out.type === 'string') {
      // A label output (as sklearn-onnx writes classifiers).
      classifier = labelsOut = true;
      for (let i = 0; i < rows.length; i++) pred.push(typeof values[i] === 'bigint' ? Number(values[i]) : (values[i] as Label));
    } else if (perRow === 1) {
      for (let i = 0; i < rows.length; i++) pred.push(Number(values[i]));
    } else {
      // Scores per class: the class index with the highest score.
      classifier = true;
      for (let i = 0; i < rows.length; i++) {
        let best = 0;
        for (let k = 1; k < perRow; k++) if (Number(values[i * perRow + k]) > Number(values[i * perRow + best])) best = k;
        pred.push(best);
      }
    }
    const scores = scoreOutput ? (outputs[scoreOutput]) : undefined;
    if (scores && typeof plan !== 'string') {
      classes = scores.dims[1] ?? 0;
      const data = scores.data as ArrayLike<number>;
      for (let i = 0; i < rows.length && classes === 2; i++) {
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
async function onnxLatency(ort: OrtModule, arms: readonly { session: Ort.InferenceSession; model: ABModel }[], X: readonly number[][], width: number, calls: number, seconds: number, signal?: AbortSignal): Promise<(number[] | undefined)[]> {
  const fixed = arms.map(({ model }) => {
    const first = model.info.inputs?.[0]?.shape[0];
    return typeof first === 'number' && first > 1;
  });
  const timed = arms.filter((_, k) => !fixed[k]);
  const times = timed.map(() => [] as number[]);
  const feed = (session: Ort.InferenceSession, row: readonly number[]) => ({ [session.inputNames[0]!]: rowsTensor(ort, [row as number[]], width) });
  if (X.length && calls > 0) {
    const fetches = timed.map(({ model, session }) => [predictionOutput(model, session)]);
    for (const [k, { session }] of timed.entries()) await session.run(feed(session, X[0]!), fetches[k]!);
    const deadline = performance.now() + seconds * 1000;
    for (let i = 0; i < Math.min(calls, X.length); i++) {
      signal?.throwIfAborted();
      const order = i % 2 === 0 ? timed.map((_, k) => k) : timed.map((_, k) => timed.length - 1 - k);
      for (const k of order) {
        const session = timed[k]!.session;
        const feeds = feed(session, X[i]!);
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
  /** The metric the verdict is on (default: abStats' pickMetric). */
  readonly metric?: ABMetric;
}

/** Runs both models on the dataset and compares them (see the file comment). */
export async function compareOnData(ort: () => OrtModule, python: () => Promise<string>, a: ABModel, b: ABModel, data: string, target: string, options: CompareOnDataOptions): Promise<ABRun> {
  const models = [a, b];
  for (const m of models) if (!isSklearn(m) && m.info.format !== 'onnx') throw new Error(`${basename(m.path)} is ${m.info.format}: only ONNX and scikit-learn models are compared on data (export it to ONNX first)`);
  const sklearn = models.filter(isSklearn).map((m) => m.path);
  const latencyCalls = options.latencyCalls ?? LATENCY_CALLS;
  const answer = await runPythonJob<JobAnswer & { model: string }>(
    await python(),
    SCRIPT,
    { model: sklearn[0] ?? data, data, target, sklearn, features: models.some((m) => !isSklearn(m)), maxRows: MAX_ROWS, latencyCalls, latencySeconds: LATENCY_SECONDS },
    { cwd: options.cwd, ...(options.signal ? { signal: options.signal } : {}) },
    { noun: 'the comparison', verb: 'compare' },
  );
  const preds: Predicted[] = [];
  const onnxArms: { session: Ort.InferenceSession; model: ABModel; at: number }[] = [];
  const scoreNotes: string[] = [];
  try {
    let i = 0;
    for (const m of models) {
      options.signal?.throwIfAborted();
      if (isSklearn(m)) {
        preds.push(answer.models[i++]!);
        continue;
      }
      const outputs = m.info.outputs ?? [];
      const graph = outputs.some((o) => o.dtype === 'sequence') ? await (options.reader ?? modelReader()).graph(m.path, options.signal) : undefined;
      const plan = scorePlan(outputs, graph);
      const session = await openOnnx(ort(), m, answer.features ?? [], plan);
      onnxArms.push({ session, model: m, at: preds.length });
      const predicted = await onnxPredict(ort(), session, m, answer.X ?? [], answer.features ?? [], plan, options.signal);
      scoreNotes.push(predicted.scoreNote);
      preds.push(predicted);
    }
    const latency = await onnxLatency(ort(), onnxArms, answer.X ?? [], answer.features?.length ?? 0, latencyCalls, LATENCY_SECONDS, options.signal);
    onnxArms.forEach((arm, k) => {
      const times = latency[k];
      preds[arm.at] = times ? { ...preds[arm.at]!, latencyMs: times } : preds[arm.at]!;
    });
  } finally {
    await Promise.all(onnxArms.map((arm) => arm.session.release()));
  }
  const [pa, pb] = preds as [Predicted, Predicted];
  const names: [string, string] = [basename(a.path), basename(b.path)];
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
  // In turns only where both arms were timed in one runtime (both scikit-learn, or both ONNX).
  const latency = pa.latencyMs && pb.latencyMs ? { a: pa.latencyMs, b: pb.latencyMs, inTurns: isSklearn(a) === isSklearn(b) } : undefined;
  const input: ABStatsInput = classification
    ? { task: 'classification', truth: answer.y.map(String), a: pa.pred.map(String), b: pb.pred.map(String), options: { ...common, ...(scores ? { scores } : {}) }, ...(latency ? { latency } : {}) }
    : { task: 'regression', truth: answer.y as number[], a: pa.pred.map(Number), b: pb.pred.map(Number), options: common, ...(latency ? { latency } : {}) };
  const result = await abStatisticsOffThread(options.reader ?? modelReader(), input, basename(data), { ...(options.signal ? { signal: options.signal } : {}), ...(options.statsTimeMs ? { timeMs: options.statsTimeMs } : {}) });
  // Where each ONNX arm's scores came from (or why there are none): the AUC row is only as good as that.
  const markdown = abMarkdown(result, names, basename(data), target);
  return { result, names, markdown: result.task === 'classification' && scoreNotes.length ? `${markdown.trimEnd()}\n\n${scoreNotes.join(' ')}\n` : markdown };
}
