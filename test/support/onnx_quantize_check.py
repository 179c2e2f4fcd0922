"""Makes ONNX models with the onnx package (opset 13) and checks quantized copies of them.
  make DIR          writes mlp.onnx (raw_data), mlp_floatdata.onnx (float_data), mlp_external.onnx (+ .data),
                    old_ir.onnx (initializers listed as graph inputs)
  check ORIG QUANT  onnx.checker on QUANT, each DequantizeLinear's weight against the original, and both
                    models run on the same inputs by a small numpy evaluator: prints JSON"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp(name, float_data=False, weights_as_inputs=False):
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.2, (32, 64)).astype(np.float32)
    b1 = rng.normal(0, 0.1, (64,)).astype(np.float32)
    w2 = rng.normal(0, 0.2, (64, 16)).astype(np.float32)
    inits = []
    for arr, n in [(w1, "w1"), (b1, "b1"), (w2, "w2")]:
        if float_data:
            inits.append(helper.make_tensor(n, TensorProto.FLOAT, arr.shape, arr.flatten().tolist()))
        else:
            inits.append(numpy_helper.from_array(arr, n))
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("Relu", ["hb"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 32])]
    if weights_as_inputs:
        inputs += [helper.make_tensor_value_info("w1", TensorProto.FLOAT, [32, 64])]
    graph = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="mle-test")


def evaluate(model, feeds):
    values = dict(feeds)
    for t in model.graph.initializer:
        values[t.name] = numpy_helper.to_array(t)
    for n in model.graph.node:
        a = [values[i] for i in n.input]
        if n.op_type == "MatMul":
            out = a[0] @ a[1]
        elif n.op_type == "Add":
            out = a[0] + a[1]
        elif n.op_type == "Relu":
            out = np.maximum(a[0], 0)
        elif n.op_type == "DequantizeLinear":
            out = (a[0].astype(np.float32) - a[2].astype(np.float32)) * a[1]
        else:
            raise SystemExit(f"op {n.op_type} not in the test evaluator")
        values[n.output[0]] = out.astype(np.float32)
    return [values[o.name] for o in model.graph.output]


if sys.argv[1] == "make":
    out = sys.argv[2]
    onnx.save(mlp("mlp"), os.path.join(out, "mlp.onnx"))
    onnx.save(mlp("mlp", float_data=True), os.path.join(out, "mlp_floatdata.onnx"))
    onnx.save_model(mlp("mlp"), os.path.join(out, "mlp_external.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="mlp_external.onnx.data", size_threshold=0)
    onnx.save(mlp("mlp", weights_as_inputs=True), os.path.join(out, "old_ir.onnx"))
else:
    orig = onnx.load(sys.argv[2])
    quant = onnx.load(sys.argv[3])
    onnx.checker.check_model(quant)
    qi = {t.name: numpy_helper.to_array(t) for t in quant.graph.initializer}
    oi = {t.name: numpy_helper.to_array(t) for t in orig.graph.initializer}
    worst = 0.0
    for n in quant.graph.node:
        if n.op_type == "DequantizeLinear":
            w = qi[n.input[0]].astype(np.float32) * qi[n.input[1]]
            worst = max(worst, float(np.abs(w - oi[n.output[0]]).max() / qi[n.input[1]]))
    x = np.random.default_rng(1).normal(0, 1, (4, 32)).astype(np.float32)
    (a,), (b,) = evaluate(orig, {"x": x}), evaluate(quant, {"x": x})
    print(json.dumps({"dequantize_nodes": sum(n.op_type == "DequantizeLinear" for n in quant.graph.node),
                      "external": any(t.data_location == 1 for t in quant.graph.initializer),
                      "worst_weight_error_in_scales": worst, "max_output_diff": float(np.abs(a - b).max()),
                      "max_output": float(np.abs(a).max())}))
