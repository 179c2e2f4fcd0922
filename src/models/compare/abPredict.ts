import { basename } from 'node:path';
import type * as Ort from 'onnxruntime-web';
import type { ModelInfo } from '../modelInfo';
import { JOB_PRELUDE, runPythonJob } from '../pythonJob';
import { createSession, type OrtModule } from '../runtime/onnxRun';
import { abMarkdown, compareClassifiers, compareRegressors, type ABResult, type Label } from './abStats';

// Both models' predictions on the same labelled dataset, then abStats. The dataset (CSV, or
// Parquet where pandas can read it) is read once by pandas in the user's Python, which also runs
// the scikit-learn models (their pickles need it anyway; feature_names_in_ picks and orders the
// columns); ONNX models run in onnxruntime-web here on the dataset's numeric feature columns, in
// their order, as float32. Rows whose target is empty are left out; at most MAX_ROWS are used.

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
}

interface JobAnswer {
  y: Label[];
  models: (Predicted & { path: string })[];
  features?: string[];
  X?: number[][];
}

const isSklearn = (m: ABModel): boolean => m.info.format === 'sklearn' || /\.(pkl|pickle|joblib)$/i.test(m.path);

async function onnxPredict(ort: OrtModule, model: ABModel, X: readonly number[][], features: readonly string[]): Promise<{ pred: Label[]; classifier: boolean }> {
  const session = await createSession(ort, model.path, model.info);
  try {
    const input = model.info.inputs?.[0];
    if (!input || session.inputNames.length !== 1) throw new Error(`${basename(model.path)} takes ${session.inputNames.length} inputs: only models with one feature matrix input are compared on data`);
    const width = input.shape[input.shape.length - 1];
    if (typeof width === 'number' && width !== features.length) throw new Error(`${basename(model.path)} takes ${width} features; the dataset has ${features.length} numeric feature columns (${features.slice(0, 10).join(', ')})`);
    const batch = typeof input.shape[0] === 'number' && input.shape[0] > 0 ? input.shape[0] : 4096;
    const pred: Label[] = [];
    let classifier = false;
    for (let start = 0; start < X.length; start += batch) {
      const rows = X.slice(start, start + batch);
      const data = Float32Array.from(rows.flat());
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [rows.length, features.length]) };
      const outputs = await session.run(feeds);
      const out = outputs[session.outputNames[0]!] as Ort.Tensor;
      const values = out.data as ArrayLike<number | bigint | string>;
      const perRow = values.length / rows.length;
      if (out.type === 'int64' || out.type === 'int32' || out.type === 'string') {
        // A label output (as sklearn-onnx writes classifiers).
        classifier = true;
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
    }
    return { pred, classifier };
  } finally {
    await session.release();
  }
}

/** Runs both models on the dataset and compares them (see the file comment). */
export async function compareOnData(ort: () => OrtModule, python: () => Promise<string>, a: ABModel, b: ABModel, data: string, target: string, options: { cwd: string; signal?: AbortSignal; resamples?: number }): Promise<ABRun> {
  const models = [a, b];
  for (const m of models) if (!isSklearn(m) && m.info.format !== 'onnx') throw new Error(`${basename(m.path)} is ${m.info.format}: only ONNX and scikit-learn models are compared on data (export it to ONNX first)`);
  const sklearn = models.filter(isSklearn).map((m) => m.path);
  const answer = await runPythonJob<JobAnswer & { model: string }>(
    await python(),
    SCRIPT,
    { model: sklearn[0] ?? data, data, target, sklearn, features: models.some((m) => !isSklearn(m)), maxRows: MAX_ROWS },
    { cwd: options.cwd, ...(options.signal ? { signal: options.signal } : {}) },
    { noun: 'the comparison', verb: 'compare' },
  );
  const preds: Predicted[] = [];
  let i = 0;
  for (const m of models) {
    options.signal?.throwIfAborted();
    preds.push(isSklearn(m) ? answer.models[i++]! : await onnxPredict(ort(), m, answer.X ?? [], answer.features ?? []));
  }
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
  const result = classification
    ? compareClassifiers(answer.y.map(String), pa.pred.map(String), pb.pred.map(String), { ...common, ...(scores ? { scores } : {}) })
    : compareRegressors(answer.y as number[], pa.pred.map(Number), pb.pred.map(Number), common);
  return { result, names, markdown: abMarkdown(result, names, basename(data), target) };
}
