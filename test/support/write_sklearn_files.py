"""Writes scikit-learn models with the real scikit-learn and joblib (Debian python3-sklearn) in the
ways people save them, and prints what loading them shows, as JSON: {file: {"class", "version",
"n_features_in", "classes", "steps", "params": {name: repr-ish}, "arrays": {path: [dtype, shape]}}}.
Usage: DIR"""
import inspect
import json
import os
import pickle
import sys

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

out = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 6))
y = (X[:, 0] + X[:, 1] > 0).astype(int)

pipe = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=300)).fit(X, y)
forest = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0).fit(X, np.array(["cat", "dog"])[y])
forest.feature_names_in_ = np.array([f"f{i}" for i in range(6)], dtype=object)
boost = GradientBoostingRegressor(n_estimators=4, random_state=0).fit(X, X[:, 2])
# Arrays of other dtypes, as fitted attributes carry them: each must be named as numpy names it.
boost.dtype_big_endian_ = np.zeros(3, ">f4")
boost.dtype_datetime_ = np.array(["2020-01-01", "2021-06-30"], "datetime64[ns]")
boost.dtype_bytes_ = np.array([b"ab", b"c"], "S2")
boost.dtype_bool_ = np.array([True, False])
boost.dtype_uint8_ = np.arange(4, dtype=np.uint8)
boost.dtype_padded_record_ = np.zeros(2, dtype={"names": ["a", "b"], "formats": ["<i8", "u1"], "offsets": [0, 8], "itemsize": 16})
boost.dtype_record_ = np.zeros(2, dtype=[("name", "<U5"), ("ok", "?"), ("t", "<M8[s]"), ("x", ">f4")])
unfitted = LogisticRegression(C=2.0)

files = {
    "pipe.pkl": lambda p: pickle.dump(pipe, open(p, "wb")),
    "pipe_p2.pkl": lambda p: pickle.dump(pipe, open(p, "wb"), protocol=2),
    "pipe_p5.pkl": lambda p: pickle.dump(pipe, open(p, "wb"), protocol=5),
    "forest.joblib": lambda p: joblib.dump(forest, p),
    "forest_z.joblib": lambda p: joblib.dump(forest, p, compress=3),
    "forest.joblib.gz": lambda p: joblib.dump(forest, p, compress=("gzip", 3)),
    "boost.joblib": lambda p: joblib.dump(boost, p),
    "unfitted.pkl": lambda p: pickle.dump(unfitted, open(p, "wb")),
}


def scalar(v):
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, str, np.integer)):
        return str(v)
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return None


def arrays(obj, path, found, depth=0):
    if depth > 6:
        return
    if isinstance(obj, np.ndarray):
        # numpy's own name for the dtype: str(dtype), as print(a.dtype) shows it (<U3, float64).
        found[path] = [str(obj.dtype), list(obj.shape)]
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            if isinstance(v, tuple) and len(v) >= 2 and isinstance(v[0], str) and hasattr(v[1], "get_params"):
                arrays(v[1], "%s.%s" % (path, v[0]) if path else v[0], found, depth + 1)
            else:
                arrays(v, "%s.%d" % (path, i) if path else str(i), found, depth + 1)
        return
    if hasattr(obj, "get_params"):
        for k, v in vars(obj).items():
            arrays(v, "%s.%s" % (path, k) if path else k, found, depth + 1)


def changed_params(model):
    """The get_params(deep=True) names whose scalar values differ from their class's constructor default."""
    params = model.get_params(deep=True)
    changed = []
    for key, value in params.items():
        if scalar(value) is None:
            continue
        owner_key, _, param = key.rpartition("__")
        owner = params[owner_key] if owner_key else model
        default = inspect.signature(type(owner).__init__).parameters[param].default
        same = (value is None and default is None) or (value is not None and default is not None and type(value) is not bool and type(default) is not bool and value == default) or (isinstance(value, bool) and value is default)
        if not same:
            changed.append(key)
    return sorted(changed)


expected = {}
for name, write in files.items():
    path = os.path.join(out, name)
    write(path)
    model = joblib.load(path)
    params = {k: scalar(v) for k, v in model.get_params(deep=True).items() if scalar(v) is not None}
    found = {}
    arrays(model, "", found)
    # A tree's nodes live in a Cython object get_params does not reach: a structured dtype.
    if name == "boost.joblib":
        # joblib.load swaps a big-endian array to native order; the file holds it as written.
        found["dtype_big_endian_"] = [str(boost.dtype_big_endian_.dtype), [3]]
    trees = getattr(model, "estimators_", None)
    if name.startswith("forest"):
        found["estimators_.0.tree_.nodes"] = [str(trees[0].tree_.__getstate__()["nodes"].dtype), list(trees[0].tree_.__getstate__()["nodes"].shape)]
    classes = getattr(model, "classes_", None)
    expected[name] = {
        "class": type(model).__module__ + "." + type(model).__name__,
        "version": getattr(model, "_sklearn_version", sklearn.__version__),
        "n_features_in": getattr(model, "n_features_in_", None),
        "classes": [str(c) for c in classes] if classes is not None else None,
        "steps": [[n, type(s).__name__] for n, s in model.steps] if hasattr(model, "steps") else [],
        "feature_names": [str(f) for f in getattr(model, "feature_names_in_", [])],
        "params": params,
        "arrays": found,
        "changed": changed_params(model),
    }
print(json.dumps(expected))
