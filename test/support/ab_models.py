"""Trains two pairs of real scikit-learn models (Debian python3-sklearn) for the A/B comparison
tests, writes a labelled CSV for each, an ONNX copy of the logistic regression (built with the
onnx package's helper: MatMul, Add, ArgMax, so it predicts what the model predicts), and prints
what scikit-learn and scipy say of them as JSON. Usage: DIR"""
import json
import os
import pickle
import sys

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

out = sys.argv[1]


def save(models):
    for name, model in models:
        with open(os.path.join(out, name), "wb") as f:
            pickle.dump(model, f)


def paired_ci(a, b):
    """scipy's paired percentile bootstrap interval of mean(b) - mean(a)."""
    boot = stats.bootstrap((a, b), lambda a, b, axis=-1: b.mean(axis=axis) - a.mean(axis=axis), paired=True, vectorized=True, n_resamples=4000, method="percentile", random_state=1)
    return [boot.confidence_interval.low, boot.confidence_interval.high]


rng = np.random.default_rng(3)
n, k = 600, 4
cols = [f"x{i}" for i in range(k)]
X = rng.normal(size=(n, k))
y = (X[:, 0] + 0.5 * X[:, 1] - 0.3 * X[:, 2] + rng.normal(scale=0.8, size=n) > 0).astype(int)
train = pd.DataFrame(X[:300], columns=cols)
test = pd.DataFrame(X[300:], columns=cols)
test["label"] = y[300:]
test.to_csv(os.path.join(out, "clf.csv"), index=False)
lr = LogisticRegression().fit(train, y[:300])
tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(train, y[:300])
save((("lr.pkl", lr), ("tree.pkl", tree)))

truth = test["label"].to_numpy()
pa, pb = lr.predict(test[cols]), tree.predict(test[cols])
ra, rb = pa == truth, pb == truth
only_a, only_b = int((ra & ~rb).sum()), int((rb & ~ra).sum())
clf = {
    "accuracy": [accuracy_score(truth, pa), accuracy_score(truth, pb)],
    "f1": [f1_score(truth, pa, average="macro"), f1_score(truth, pb, average="macro")],
    "only": [only_a, only_b],
    "mcnemar_p": stats.binomtest(only_a, only_a + only_b, 0.5).pvalue,
    "ci": paired_ci(ra.astype(float), rb.astype(float)),
    # The tree's scores have many ties (four leaves): they count half.
    "auc": [roc_auc_score(truth, lr.predict_proba(test[cols])[:, 1]), roc_auc_score(truth, tree.predict_proba(test[cols])[:, 1])],
    "ap": [average_precision_score(truth, lr.predict_proba(test[cols])[:, 1]), average_precision_score(truth, tree.predict_proba(test[cols])[:, 1])],
}

# Three classes (string labels): the one-vs-rest macro ROC AUC as roc_auc_score(multi_class="ovr", average="macro").
y3 = np.array(["low", "mid", "high"])[np.digitize(X[:, 0] + 0.7 * X[:, 1] + np.random.default_rng(5).normal(scale=0.7, size=n), [-0.6, 0.6])]
test3 = pd.DataFrame(X[300:], columns=cols)
test3["label"] = y3[300:]
test3.to_csv(os.path.join(out, "mc.csv"), index=False)
lr3 = LogisticRegression().fit(train, y3[:300])
tree3 = DecisionTreeClassifier(max_depth=2, random_state=0).fit(train, y3[:300])
save((("lr3.pkl", lr3), ("tree3.pkl", tree3)))
mc = {"auc": [roc_auc_score(y3[300:], m.predict_proba(test3[cols]), multi_class="ovr", average="macro") for m in (lr3, tree3)], "classes": [str(c) for c in lr3.classes_]}

# ONNX copy of the logistic regression: scores [0, w.x + b] per row, ArgMax over the two classes.
import onnx
from onnx import TensorProto, helper, numpy_helper

W = np.concatenate([np.zeros((k, 1)), lr.coef_.T], axis=1).astype(np.float32)
B = np.array([0.0, lr.intercept_[0]], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["X", "W"], ["S0"]), helper.make_node("Add", ["S0", "B"], ["S"]), helper.make_node("ArgMax", ["S"], ["label"], axis=1, keepdims=0)],
    "lr",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", k])],
    [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")],
)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "lr.onnx"))

# Regression: a linear model against a shallow tree.
yr = 3 * X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.5, size=n)
test_r = pd.DataFrame(X[300:], columns=cols)
test_r["price"] = yr[300:]
test_r.to_csv(os.path.join(out, "reg.csv"), index=False)
lin = LinearRegression().fit(train, yr[:300])
rtree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(train, yr[:300])
save((("lin.pkl", lin), ("rtree.pkl", rtree)))
truth_r = test_r["price"].to_numpy()
qa, qb = lin.predict(test_r[cols]), rtree.predict(test_r[cols])
ea, eb = np.abs(qa - truth_r), np.abs(qb - truth_r)
reg = {
    "mae": [mean_absolute_error(truth_r, qa), mean_absolute_error(truth_r, qb)],
    "rmse": [mean_squared_error(truth_r, qa) ** 0.5, mean_squared_error(truth_r, qb) ** 0.5],
    "r2": [r2_score(truth_r, qa), r2_score(truth_r, qb)],
    "ci": paired_ci(ea, eb),
}
print(json.dumps({"clf": clf, "reg": reg, "mc": mc}))
