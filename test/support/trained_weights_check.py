"""Checks that models a script exported hold its trained weights: builds the script's model class
(its imports and class definitions only, nothing else of the script runs), loads the state dict
the script saved, and compares on one seeded input batch with the TorchScript file (torch.jit.load)
and the int8 state dict (loaded into quantize_dynamic of a fresh model), and with a fresh,
untrained model. Prints JSON: the input and the trained output (for onnxruntime to compare the
ONNX file with), and the largest absolute differences.
Usage: SCRIPT CLASS STATE_DICT TORCHSCRIPT INT8 SHAPE(JSON, e.g. [4, 8])"""
import ast
import json
import sys

import torch

script, class_name, state_path, torchscript_path, int8_path, shape = sys.argv[1:7]
tree = ast.parse(open(script).read(), script)
tree.body = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.ClassDef))]
namespace = {"__name__": "script_classes"}
exec(compile(tree, script, "exec"), namespace)
cls = namespace[class_name]

torch.manual_seed(1234)
x = torch.rand(*json.loads(shape))
trained = cls()
trained.load_state_dict(torch.load(state_path, map_location="cpu"))
trained.eval()
fresh = cls().eval()
scripted = torch.jit.load(torchscript_path, map_location="cpu").eval()
int8 = torch.ao.quantization.quantize_dynamic(cls(), {torch.nn.Linear}, dtype=torch.qint8)
int8.load_state_dict(torch.load(int8_path))
int8.eval()
with torch.no_grad():
    y = trained(x)
    diff = lambda other: float((other - y).abs().max())
    print(json.dumps({
        "input": x.flatten().tolist(),
        "shape": list(x.shape),
        "trained": y.flatten().tolist(),
        "torchscript_diff": diff(scripted(x)),
        "int8_diff": diff(int8(x)),
        "fresh_diff": diff(fresh(x)),
    }))
