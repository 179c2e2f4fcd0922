"""Parses Triton config.pbtxt files with protobuf's own text-format parser and checks them
against the ONNX model read by the onnx package. Usage: triton_config_check.py MODEL PBTXT ...

The ModelConfig schema below is the part of Triton's model_config.proto these configs use, with
Triton's field names and enum values, built as a descriptor at run time (no protoc here)."""
import json
import sys

import onnx
from google.protobuf import descriptor_pb2, descriptor_pool, text_format

from google.protobuf import message_factory


def message_class(descriptor):
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


F = descriptor_pb2.FieldDescriptorProto
TYPES = ["TYPE_INVALID", "TYPE_BOOL", "TYPE_UINT8", "TYPE_UINT16", "TYPE_UINT32", "TYPE_UINT64", "TYPE_INT8", "TYPE_INT16",
         "TYPE_INT32", "TYPE_INT64", "TYPE_FP16", "TYPE_FP32", "TYPE_FP64", "TYPE_STRING", "TYPE_BF16"]

file = descriptor_pb2.FileDescriptorProto(name="model_config_subset.proto", package="inference", syntax="proto3")
enum = file.enum_type.add(name="DataType")
for number, name in enumerate(TYPES):
    enum.value.add(name=name, number=number)


def message(name, fields):
    m = file.message_type.add(name=name)
    for number, (field, kind, label, type_name) in enumerate(fields, start=1):
        f = m.field.add(name=field, number=number, type=kind, label=label)
        if type_name:
            f.type_name = type_name


OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
message("ModelTensorReshape", [("shape", F.TYPE_INT64, REP, None)])
message("ModelInput", [("name", F.TYPE_STRING, OPT, None), ("data_type", F.TYPE_ENUM, OPT, ".inference.DataType"),
                       ("dims", F.TYPE_INT64, REP, None), ("reshape", F.TYPE_MESSAGE, OPT, ".inference.ModelTensorReshape")])
message("ModelOutput", [("name", F.TYPE_STRING, OPT, None), ("data_type", F.TYPE_ENUM, OPT, ".inference.DataType"),
                        ("dims", F.TYPE_INT64, REP, None), ("reshape", F.TYPE_MESSAGE, OPT, ".inference.ModelTensorReshape")])
message("ModelDynamicBatching", [("max_queue_delay_microseconds", F.TYPE_UINT64, OPT, None)])
message("ModelConfig", [("name", F.TYPE_STRING, OPT, None), ("platform", F.TYPE_STRING, OPT, None),
                        ("max_batch_size", F.TYPE_INT32, OPT, None), ("input", F.TYPE_MESSAGE, REP, ".inference.ModelInput"),
                        ("output", F.TYPE_MESSAGE, REP, ".inference.ModelOutput"),
                        ("dynamic_batching", F.TYPE_MESSAGE, OPT, ".inference.ModelDynamicBatching")])
pool = descriptor_pool.DescriptorPool()
pool.Add(file)
ModelConfig = message_class(pool.FindMessageTypeByName("inference.ModelConfig"))

ONNX_TO_TRITON = {1: "TYPE_FP32", 2: "TYPE_UINT8", 3: "TYPE_INT8", 4: "TYPE_UINT16", 5: "TYPE_INT16", 6: "TYPE_INT32", 7: "TYPE_INT64",
                  8: "TYPE_STRING", 9: "TYPE_BOOL", 10: "TYPE_FP16", 11: "TYPE_FP64", 12: "TYPE_UINT32", 13: "TYPE_UINT64", 16: "TYPE_BF16"}

results = []
args = sys.argv[1:]
for model_path, config_path in zip(args[0::2], args[1::2]):
    config = ModelConfig()
    with open(config_path) as f:
        text_format.Parse(f.read(), config)  # raises on any syntax, name or enum error
    graph = onnx.load(model_path, load_external_data=False).graph
    initializers = {t.name for t in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    every = inputs + list(graph.output)
    batched = all(len(v.type.tensor_type.shape.dim) > 0 and not v.type.tensor_type.shape.dim[0].HasField("dim_value") for v in every)

    def expected(values):
        out = []
        for v in values:
            dims = [d.dim_value if d.HasField("dim_value") else -1 for d in v.type.tensor_type.shape.dim]
            if batched:
                dims = dims[1:]
            out.append({"name": v.name, "data_type": ONNX_TO_TRITON.get(v.type.tensor_type.elem_type, "?"), "dims": dims or [1]})
        return out

    def got(values):
        return [{"name": v.name, "data_type": TYPES[v.data_type], "dims": list(v.dims)} for v in values]

    results.append({
        "model": model_path,
        "platform": config.platform,
        "max_batch_size": config.max_batch_size,
        "batched": batched,
        "dynamic_batching": config.HasField("dynamic_batching"),
        "inputs": [got(config.input), expected(inputs)],
        "outputs": [got(config.output), expected(graph.output)],
    })
print(json.dumps(results))
