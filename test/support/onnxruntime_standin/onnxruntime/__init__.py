"""Stands in for onnxruntime's Python API in tests: Debian 12 packages no onnxruntime for Python and
PyPI cannot be reached here. The model is loaded with the real onnx; feeds are checked against its
declared inputs as onnxruntime checks them, with onnxruntime's exception name (InvalidArgument) and
message format; graphs of Add, Sub, Mul, MatMul, Relu and Identity nodes are evaluated with numpy.
Anything else raises NotImplementedError, so a test never passes on an answer this module made up.
Used by test/integration/fastapiServe.test.ts to run the generated FastAPI app for real."""
import numpy as np
import onnx
from onnx import numpy_helper

__version__ = "stand-in"

_NUMPY = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64, onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32}
_OPS = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "MatMul": np.matmul, "Relu": lambda x: np.maximum(x, 0), "Identity": lambda x: x}


class InvalidArgument(Exception):
    pass


def get_available_providers():
    return ["CPUExecutionProvider"]


class _Arg:
    def __init__(self, value_info):
        dims = value_info.type.tensor_type.shape.dim
        self.name = value_info.name
        self.shape = [d.dim_param if d.dim_param else d.dim_value for d in dims]
        self.elem_type = value_info.type.tensor_type.elem_type
        self.type = {onnx.TensorProto.FLOAT: "tensor(float)", onnx.TensorProto.DOUBLE: "tensor(double)", onnx.TensorProto.INT64: "tensor(int64)", onnx.TensorProto.INT32: "tensor(int32)"}.get(self.elem_type, "tensor(?)")


class InferenceSession:
    def __init__(self, path, providers=None):
        self._path = path
        self._model = onnx.load(path)
        graph = self._model.graph
        self._initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self._inputs = [_Arg(i) for i in graph.input if i.name not in self._initializers]
        self._outputs = [_Arg(o) for o in graph.output]

    def get_inputs(self):
        return self._inputs

    def get_outputs(self):
        return self._outputs

    def run(self, output_names, feeds):
        for arg in self._inputs:
            value = feeds[arg.name]
            want = np.dtype(_NUMPY[arg.elem_type])
            if value.dtype != want:
                raise InvalidArgument("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Unexpected input data type. Actual: (tensor(%s)) , expected: (%s)" % (value.dtype, arg.type))
            if value.ndim != len(arg.shape):
                raise InvalidArgument("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Invalid rank for input: %s Got: %d Expected: %d Please fix either the inputs or the model." % (arg.name, value.ndim, len(arg.shape)))
            for index, (got, expected) in enumerate(zip(value.shape, arg.shape)):
                if isinstance(expected, int) and expected > 0 and got != expected:
                    raise InvalidArgument("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: %s for the following indices\n index: %d Got: %d Expected: %d\n Please fix either the inputs/outputs or the model. (%s)" % (arg.name, index, got, expected, self._path))
        values = dict(self._initializers)
        values.update(feeds)
        for node in self._model.graph.node:
            if node.op_type not in _OPS:
                raise NotImplementedError("the onnxruntime stand-in does not run %s" % node.op_type)
            values[node.output[0]] = np.asarray(_OPS[node.op_type](*[values[i] for i in node.input]))
        return [values[name] for name in (output_names or [o.name for o in self._outputs])]
