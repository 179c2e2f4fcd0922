import { JOB_PRELUDE } from '../pythonJob';

// The A/B's job in the user's Python (abPredict.ts): pandas reads the dataset once; the
// scikit-learn pickles (joblib or pickle; feature_names_in_ picks and orders the columns) and the
// TorchScript archives (torch.jit.load: no Python class needed; the dataset's numeric feature
// columns, in order, as float32) predict every row, in the order given; then one-row calls of each
// are timed in turns. The numeric feature matrix goes back for the ONNX arms (onnxArms.ts).

export const AB_JOB_SCRIPT = `${JOB_PRELUDE}
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

def torchscript(m):
    try:
        import torch
    except ImportError:
        print(json.dumps({"error": "torch is not installed in this Python: it runs %s (pip install torch)" % os.path.basename(m)})); sys.exit(0)
    try:
        model = torch.jit.load(m, map_location="cpu").eval()
    except Exception as e:
        print(json.dumps({"error": "torch.jit.load could not load %s: %s" % (os.path.basename(m), str(e).splitlines()[0] if str(e) else type(e).__name__)})); sys.exit(0)
    xt = torch.from_numpy(X.select_dtypes("number").fillna(0).to_numpy(dtype="float32", copy=True))
    def run(rows):
        with torch.no_grad():
            y = model(rows)
        return y[0] if isinstance(y, (tuple, list)) else y
    t0 = time.perf_counter()
    try:
        y = torch.cat([run(xt[i:i + 4096]) for i in range(0, len(xt), 4096)]) if len(xt) else run(xt)
    except Exception as e:
        print(json.dumps({"error": "%s could not predict the dataset's %d numeric feature columns: %s" % (os.path.basename(m), xt.shape[1], str(e).splitlines()[0] if str(e) else type(e).__name__)})); sys.exit(0)
    entry = {"path": m, "seconds": time.perf_counter() - t0, "torch": True}
    if not y.is_floating_point():
        entry.update(pred=y.reshape(-1).tolist(), classifier=True)
    elif y.dim() == 2 and y.shape[1] > 1:
        # Class scores: the class index with the highest. Two columns: softmax's column 1 ranks rows as
        # column 1 minus column 0 does, whether they are logits or probabilities, so either gives the AUC.
        entry.update(pred=y.argmax(1).tolist(), classifier=True, columns=int(y.shape[1]))
        if y.shape[1] == 2:
            entry.update(score=torch.softmax(y.double(), 1)[:, 1].tolist(), positive=1)
    else:
        entry.update(pred=y.reshape(-1).double().tolist(), classifier=False)
    fitted.append((run, xt))
    return entry

def sklearn(m):
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
    fitted.append((model.predict, X[cols] if cols else X.values))
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
    return entry

for m in spec["python"]:
    entry = torchscript(m["path"]) if m["kind"] == "torchscript" else sklearn(m["path"])
    out["models"].append(entry)
# Latency: one-row predict() (or TorchScript forward) calls timed in turns A B, B A, ... (a load
# change hits both arms), after one untimed call each; at most latencyCalls rows, stopped after latencySeconds (whole turns only).
calls = min(spec["latencyCalls"], len(X))
if fitted and calls:
    rows = [[(data.iloc[i:i + 1] if hasattr(data, "iloc") else data[i:i + 1]) for i in range(calls)] for _, data in fitted]
    times = [[] for _ in fitted]
    for k, (predict, _) in enumerate(fitted):
        predict(rows[k][0])
    deadline = time.perf_counter() + spec["latencySeconds"]
    for i in range(calls):
        for k in (range(len(fitted)) if i % 2 == 0 else reversed(range(len(fitted)))):
            t0 = time.perf_counter()
            fitted[k][0](rows[k][i])
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
