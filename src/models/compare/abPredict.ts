import { basename } from 'node:path';
import type { ModelInfo } from '../modelInfo';
import { JOB_PRELUDE, runPythonJob } from '../pythonJob';
import { modelReader, type ModelReader } from '../modelReader';
import { abMarkdown, type ABResult, type Label } from './abStats';
import { abStatisticsOffThread, onnxArmsOffThread, type ABStatsInput } from './abStatsJob';

// Both models' predictions on the same labelled dataset, then abStats. The dataset (CSV, or
// Parquet where pandas can read it) is read once by pandas in the user's Python, which also runs
// the scikit-learn models (their pickles need it anyway; feature_names_in_ picks and orders the
// columns); ONNX models run in onnxruntime-web in the models worker (onnxArms.ts) on the dataset's
// numeric feature columns, in their order, as float32. Rows whose target is empty are left out; at most MAX_ROWS are used.
// Each arm's latency is one-row calls timed in turns in its own runtime; the statistics run in
// the models worker (abStatsJob.ts), cancellable and under a time limit, for the CLI and tools alike.

export const MAX_ROWS = 200_000;

const SCRIPT = `${JOB_PRELUDE}
try:
    import pandas as pd
except ImportError:
    print(json.dumps({"error": "pandas is not installed in this Python: it reads the dataset (pip install pandas)"})); sys.exit(0)
import base64
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
    # Two classes: the score of classes_[1], as sklearn's roc_auc_score ranks it.
    if hasattr(model, "predict_proba") and classes is not None and len(classes) == 2:
        try:
            entry["score"] = model.predict_proba(X[cols] if cols else X.values)[:, 1].tolist()
            # As a JSON value, turned into text on the TypeScript side as the labels are (True -> "true", 1.0 -> "1").
            entry["positive"] = classes[1].item() if hasattr(classes[1], "item") else classes[1]
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
    # Row-major little-endian float32, base64: one typed array on the other side, no per-row lists.
    out["X"] = base64.b64encode(num.fillna(0).to_numpy(dtype="<f4", copy=True).tobytes()).decode("ascii")
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
  /** One-row calls, ms (sklearn: timed in the Python job; ONNX: onnxLatency). */
  latencyMs?: number[];
}

interface JobAnswer {
  y: Label[];
  models: (Predicted & { path: string })[];
  features?: string[];
  /** Base64 of the numeric feature columns as row-major float32. */
  X?: string;
}

const isSklearn = (m: ABModel): boolean => m.info.format === 'sklearn' || /\.(pkl|pickle|joblib)$/i.test(m.path);

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
}

/** Runs both models on the dataset and compares them (see the file comment). */
export async function compareOnData(python: () => Promise<string>, a: ABModel, b: ABModel, data: string, target: string, options: CompareOnDataOptions): Promise<ABRun> {
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
  const onnx = models.filter((m) => !isSklearn(m));
  const X = answer.X ? new Float32Array(Uint8Array.from(Buffer.from(answer.X, 'base64')).buffer) : new Float32Array(0);
  const onnxPreds = onnx.length ? await onnxArmsOffThread(options.reader ?? modelReader(), { arms: onnx, X, features: answer.features ?? [], latencyCalls, latencySeconds: LATENCY_SECONDS }, basename(data), { ...(options.signal ? { signal: options.signal } : {}), ...(options.statsTimeMs ? { timeMs: options.statsTimeMs } : {}) }) : [];
  const scoreNotes = onnxPreds.map((p) => p.scoreNote);
  let [i, j] = [0, 0];
  const preds: Predicted[] = models.map((m) => (isSklearn(m) ? answer.models[i++]! : onnxPreds[j++]!));
  const [pa, pb] = preds as [Predicted, Predicted];
  const names: [string, string] = [basename(a.path), basename(b.path)];
  if (names[0] === names[1]) names.splice(0, 2, `A (${names[0]})`, `B (${names[1]})`);
  const targetsAreNumbers = answer.y.every((v) => typeof v === 'number');
  const classification = pa.classifier || pb.classifier || !targetsAreNumbers;
  const common = { names, ...(options.resamples ? { resamples: options.resamples } : {}) };
  // Scores count where they rank the same class (a model without them is named in the report).
  const positiveOf = (p: Predicted): string | undefined => (p.positive === undefined ? undefined : String(p.positive));
  const positive = positiveOf(pa) ?? positiveOf(pb);
  const scoresOf = (p: Predicted): number[] | undefined => (p.score && positiveOf(p) === positive ? p.score : undefined);
  const scores = positive === undefined ? undefined : { positive, ...(scoresOf(pa) ? { a: scoresOf(pa) } : {}), ...(scoresOf(pb) ? { b: scoresOf(pb) } : {}) };
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
