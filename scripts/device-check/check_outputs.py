"""On the GPU machine: what the jobs wrote, checked with that machine's onnxruntime. Usage: WORK"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort

work = sys.argv[1]
result = {"onnxruntime": ort.__version__, "providers": ort.get_available_providers()}


def run(path, x):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


x = np.random.default_rng(0).normal(size=(2, 3, 32, 32)).astype(np.float32)
for name in ["simple_cnn.int8.onnx", "simple_cnn.fp16.onnx"]:
    path = os.path.join(work, name)
    if os.path.exists(path):
        a, b = run(os.path.join(work, "simple_cnn.onnx"), x), run(path, x)
        result[name] = {"bytes": os.path.getsize(path), "max_abs_diff": float(np.max(np.abs(a - b))), "max_abs": float(np.max(np.abs(a)))}
net = os.path.join(work, "net.onnx")
if os.path.exists(net):
    result["net.onnx batch 3, 5"] = [list(run(net, np.zeros((n, 12), np.float32)).shape) for n in (3, 5)]
print(json.dumps(result, indent=1))
