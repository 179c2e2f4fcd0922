"""ONNX classifiers for the A/B's ROC AUC, as real tools write them, beside ab_models.py's files in
DIR: the logistic regression lr.pkl as sklearn-onnx converts it (LinearClassifier with
post_transform LOGISTIC, Normalizer, a label output, and either ZipMap's seq(map) `output_probability`
or, with zipmap=False, a `probabilities` tensor; built with the onnx package, as skl2onnx is not
installable here), and a small torch classifier trained on the same rows and exported by
torch.onnx.export with a `logits` output. Prints scikit-learn's roc_auc_score of each as JSON."""
import json
import os
import pickle
import sys

import numpy as np
import onnx
import pandas as pd
import torch
from onnx import TensorProto, helper
from sklearn.metrics import roc_auc_score

out = sys.argv[1]
test = pd.read_csv(os.path.join(out, "clf.csv"))
cols = [c for c in test.columns if c != "label"]
X, y = test[cols].to_numpy(np.float32), test["label"].to_numpy()
with open(os.path.join(out, "lr.pkl"), "rb") as f:
    lr = pickle.load(f)

# sklearn-onnx's binary LinearClassifier: coefficients for [-w, w], so LOGISTIC then L1 gives [1 - p, p].
w, b = lr.coef_[0].astype(np.float32), float(lr.intercept_[0])
nodes = [
    helper.make_node("LinearClassifier", ["X"], ["label", "probability_tensor"], domain="ai.onnx.ml", classlabels_ints=[0, 1], coefficients=np.concatenate([-w, w]).tolist(), intercepts=[-b, b], multi_class=0, post_transform="LOGISTIC"),
    helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"], domain="ai.onnx.ml", norm="L1"),
    helper.make_node("Cast", ["label"], ["output_label"], to=TensorProto.INT64),
]
inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, len(cols)])]
label = helper.make_tensor_value_info("output_label", TensorProto.INT64, [None])
seq = onnx.ValueInfoProto(name="output_probability")
seq.type.sequence_type.elem_type.map_type.key_type = TensorProto.INT64
seq.type.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
opsets = [helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)]
zipmap = helper.make_graph(nodes + [helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=[0, 1])], "lr", inputs, [label, seq])
onnx.save(helper.make_model(zipmap, opset_imports=opsets), os.path.join(out, "lr_zipmap.onnx"))
plain = helper.make_graph(nodes, "lr", inputs, [label, helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 2])])
onnx.save(helper.make_model(plain, opset_imports=opsets), os.path.join(out, "lr_probs.onnx"))

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(len(cols), 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
opt = torch.optim.Adam(net.parameters(), lr=0.05)
xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
for _ in range(200):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(xt), yt).backward()
    opt.step()
net.eval()
torch.onnx.export(net, xt[:1], os.path.join(out, "net.onnx"), input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
with torch.no_grad():
    net_scores = torch.softmax(net(xt), dim=1)[:, 1].numpy()
print(json.dumps({"lr": roc_auc_score(y, lr.predict_proba(test[cols])[:, 1]), "net": roc_auc_score(y, net_scores)}))
