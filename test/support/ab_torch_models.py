"""PyTorch models for the A/B tests, trained here on rows written beside them in DIR, with what
scikit-learn's metrics say of their predictions (computed from torch's own outputs), as JSON.

  big DIR ROWS: big.csv (ROWS rows, 8 features) and two wide untrained MLPs exported by
      torch.onnx.export with a `logits` output (wide_a.onnx, wide_b.onnx): enough work per row
      that running them on the host's thread would block it for seconds.
  torch DIR: clf.csv and reg.csv (8 numeric features); two classifiers (a linear one and an MLP)
      and two regressors trained here and saved as TorchScript (torch.jit.script, torch.jit.trace),
      a state dict (weights.pt) and a pickled module (module.pt), neither loadable without code.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score

mode, out = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
torch.manual_seed(0)


def rows(n, kind):
    X = rng.normal(size=(n, 8)).astype(np.float32)
    signal = X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3]
    if kind == "clf":
        y = (signal + rng.normal(scale=0.7, size=n) > 0).astype(np.int64)
    else:
        y = 3.0 * signal + 10 + rng.normal(scale=0.5, size=n)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    frame["target"] = y
    return X, y, frame


def train(net, X, y, loss, steps=300):
    opt = torch.optim.Adam(net.parameters(), lr=0.03)
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(steps):
        opt.zero_grad()
        loss(net(xt), yt).backward()
        opt.step()
    return net.eval()


if mode == "big":
    n = int(sys.argv[3])
    X, y, frame = rows(n, "clf")
    frame.to_csv(os.path.join(out, "big.csv"), index=False)
    expected = {}
    for name, seed in (("wide_a", 1), ("wide_b", 2)):
        torch.manual_seed(seed)
        net = torch.nn.Sequential(torch.nn.Linear(8, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 2)).eval()
        torch.onnx.export(net, torch.zeros(1, 8), os.path.join(out, f"{name}.onnx"), input_names=["X"], output_names=["logits"], dynamic_axes={"X": {0: "batch"}, "logits": {0: "batch"}})
        with torch.no_grad():
            expected[name] = float(accuracy_score(y, net(torch.from_numpy(X)).argmax(1).numpy()))
    print(json.dumps(expected))
    sys.exit(0)

expected = {}
# Trained on rows of their own, compared on held-out ones (clf.csv, reg.csv).
Xt, yt, _ = rows(600, "clf")
linear = train(torch.nn.Sequential(torch.nn.Linear(8, 2)), Xt, yt, torch.nn.functional.cross_entropy)
mlp = train(torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2)), Xt, yt, torch.nn.functional.cross_entropy)
Xc, yc, clf = rows(400, "clf")
clf.to_csv(os.path.join(out, "clf.csv"), index=False)
torch.jit.script(linear).save(os.path.join(out, "linear.pt"))
torch.jit.trace(mlp, torch.zeros(1, 8)).save(os.path.join(out, "mlp.pt"))
preds = {}
for name, net in (("linear", linear), ("mlp", mlp)):
    with torch.no_grad():
        logits = net(torch.from_numpy(Xc))
    pred = logits.argmax(1).numpy()
    preds[name] = pred
    expected[name] = {"accuracy": float(accuracy_score(yc, pred)), "f1": float(f1_score(yc, pred, average="macro")), "auc": float(roc_auc_score(yc, torch.softmax(logits.double(), 1)[:, 1].numpy()))}
expected["agreement"] = float(np.mean(preds["linear"] == preds["mlp"]))

Xt, yt, _ = rows(500, "reg")
mse = lambda p, t: torch.nn.functional.mse_loss(p.squeeze(1), t)
lin = train(torch.nn.Sequential(torch.nn.Linear(8, 1)), Xt, yt.astype(np.float32), mse, 400)
deep = train(torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1)), Xt, yt.astype(np.float32), mse, 600)
Xr, yr, reg = rows(300, "reg")
reg.to_csv(os.path.join(out, "reg.csv"), index=False)
torch.jit.script(lin).save(os.path.join(out, "lin_reg.pt"))
torch.jit.script(deep).save(os.path.join(out, "mlp_reg.pt"))
for name, net in (("lin_reg", lin), ("mlp_reg", deep)):
    with torch.no_grad():
        pred = net(torch.from_numpy(Xr)).squeeze(1).numpy().astype(np.float64)
    expected[name] = {"mae": float(mean_absolute_error(yr, pred)), "rmse": float(np.sqrt(mean_squared_error(yr, pred))), "r2": float(r2_score(yr, pred))}

torch.save(mlp.state_dict(), os.path.join(out, "weights.pt"))
torch.save(mlp, os.path.join(out, "module.pt"))
print(json.dumps(expected))
