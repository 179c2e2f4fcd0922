import { basename, dirname, join } from 'node:path';
import { checkModules } from '../../python/pythonModules';
import { JOB_PRELUDE, runPythonJob, type PythonJobOptions } from '../pythonJob';

// A pickled scikit-learn model (pickle / joblib; pipelines too) to ONNX with the user's Python and
// skl2onnx. Without skl2onnx the job says so and how to install it: there is no embedded converter
// for scikit-learn. With onnxruntime also there, the export is checked: the ONNX model and the
// estimator predict the same 32 random rows. Loading the pickle runs code: the caller asks first.

export const SKLEARN_EXPORT_SCRIPT = `${JOB_PRELUDE}
start = time.time()
try:
    import sklearn
    import joblib
except ImportError:
    print(json.dumps({"error": "scikit-learn is not installed in %s" % sys.executable})); sys.exit(0)
with user_modules():
    model = joblib.load(spec["model"])
if not (hasattr(model, "predict") or hasattr(model, "transform")):
    print(json.dumps({"error": "the file holds a %s, not a scikit-learn estimator" % type(model).__name__})); sys.exit(0)
features = getattr(model, "n_features_in_", None) or spec.get("features")
if not features:
    print(json.dumps({"error": "the model does not say how many features it takes (no n_features_in_: is it fitted?)"})); sys.exit(0)
try:
    import skl2onnx
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
except ImportError:
    print(json.dumps({"error": "skl2onnx is not installed in %s: install it with \\"%s -m pip install skl2onnx onnxruntime\\", then export again" % (sys.executable, sys.executable), "missing": "skl2onnx"})); sys.exit(0)
final = model.steps[-1][1] if hasattr(model, "steps") else model
# Class probabilities as a plain [batch, classes] tensor rather than ZipMap's list of dicts.
options = {id(final): {"zipmap": False}} if hasattr(final, "predict_proba") else None
onx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, int(features)]))], target_opset=spec["opset"], options=options)
with open(spec["out"], "wb") as f:
    f.write(onx.SerializeToString())
check = None
try:
    import numpy as np
    import onnxruntime as ort
except ImportError:
    pass
else:
    X = np.random.default_rng(0).normal(size=(32, int(features))).astype(np.float32)
    got = ort.InferenceSession(spec["out"], providers=["CPUExecutionProvider"]).run(None, {"input": X})[0]
    want = model.predict(X) if hasattr(model, "predict") else model.transform(X)
    if np.asarray(got).dtype.kind in "fc" and np.asarray(want).dtype.kind in "fciu":
        check = {"max_abs_diff": float(np.max(np.abs(np.asarray(got, dtype=np.float64).reshape(np.shape(want)) - want))), "rows": 32}
    else:
        check = {"agree": int(np.sum(np.asarray(got).reshape(-1) == np.asarray(want).reshape(-1))), "rows": 32}
print(json.dumps({"ok": True, "skl2onnx": skl2onnx.__version__, "sklearn": sklearn.__version__, "features": int(features), "check": check, "seconds": round(time.time() - start, 2)}))
`;

export interface SklearnExportResult {
  readonly out: string;
  readonly skl2onnxVersion: string;
  readonly sklearnVersion: string;
  readonly features: number;
  /** The ONNX model against the estimator on 32 random rows; undefined without onnxruntime. */
  readonly check?: { readonly maxAbsDiff?: number; readonly agree?: number; readonly rows: number };
  readonly seconds: number;
}

/**
 * Why `python` cannot export scikit-learn models (scikit-learn or skl2onnx missing), or undefined
 * when it can: asked before the user is asked to trust the pickle, which the export must load.
 */
export async function missingForSklearnExport(python: string): Promise<string | undefined> {
  const [sklearn, skl2onnx] = await checkModules(python, [
    { module: 'sklearn', label: 'scikit-learn' },
    { module: 'skl2onnx', label: 'skl2onnx' },
  ]);
  if (sklearn!.problem) return sklearn!.problem;
  if (skl2onnx!.problem) return `${skl2onnx!.problem}: install it with "${python} -m pip install skl2onnx onnxruntime", then export again`;
  return undefined;
}

export function sklearnExportPath(model: string): string {
  return join(dirname(model), `${basename(model).replace(/(\.joblib)?\.(pkl|pickle|joblib|sav|z|gz)$/i, '')}.onnx`);
}

export async function exportSklearnModel(python: string, model: string, options: PythonJobOptions & { opset?: number; features?: number }): Promise<SklearnExportResult> {
  const out = sklearnExportPath(model);
  const answer = await runPythonJob<{ skl2onnx?: string; sklearn?: string; features?: number; check?: { max_abs_diff?: number; agree?: number; rows: number } | null; seconds?: number }>(
    python,
    SKLEARN_EXPORT_SCRIPT,
    { model, out, opset: options.opset ?? 17, ...(options.features ? { features: options.features } : {}) },
    options,
    { noun: 'the export', verb: 'export' },
  );
  const check = answer.check ? { rows: answer.check.rows, ...(answer.check.max_abs_diff !== undefined ? { maxAbsDiff: answer.check.max_abs_diff } : {}), ...(answer.check.agree !== undefined ? { agree: answer.check.agree } : {}) } : undefined;
  return { out, skl2onnxVersion: answer.skl2onnx ?? '?', sklearnVersion: answer.sklearn ?? '?', features: answer.features ?? 0, ...(check ? { check } : {}), seconds: answer.seconds ?? 0 };
}

/** The check in words: "predictions agree on 32/32 random rows", "largest difference 1.2e-7 on 32 random rows". */
export function describeSklearnCheck(result: SklearnExportResult): string {
  const c = result.check;
  if (!c) return 'not checked: onnxruntime is not installed in this Python';
  if (c.agree !== undefined) return `predictions agree on ${c.agree}/${c.rows} random rows`;
  return `largest difference from the estimator ${(c.maxAbsDiff ?? NaN).toPrecision(2)} on ${c.rows} random rows`;
}
