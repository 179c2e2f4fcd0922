import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ModelFormatError } from '../fileWindow';
import { Bytes } from '../onnxModel';
import { fields, floatsOf, graphNodes, inlinedInitializer, opsetOf, readInitializer, uniqueNames, type Field } from './onnxRewrite';
import { concat, lengthDelimited, nodeProto, tensorProto } from './protobufWrite';

// Weight-only int8 quantization of an ONNX model, in TypeScript (for when the user's Python lacks
// onnxruntime): each large float32 initializer W becomes int8 Wq with a per-tensor symmetric
// scale, and a DequantizeLinear node restores W's name, so every consumer is unchanged. The model
// is rewritten field by field: what we do not touch is copied byte for byte (unknown fields too).
// Weights in external data files are read and written back inline (4x smaller).

const FLOAT = 1;
const INT8 = 3;
/** Smaller tensors (biases, norms) stay float: quantizing them saves little and costs accuracy. */
const MIN_ELEMENTS = 1024;
const MAX_MODEL = 2 * 1024 * 1024 * 1024 - 1;

export interface QuantizedTensor {
  readonly name: string;
  readonly elements: number;
  readonly scale: number;
}

export interface WeightQuantizeResult {
  readonly model: Uint8Array;
  readonly tensors: readonly QuantizedTensor[];
  /** Float32 bytes replaced, and the int8 bytes that replaced them. */
  readonly floatBytes: number;
  readonly int8Bytes: number;
  readonly notes: readonly string[];
}

export function quantizeWeightsInt8(modelPath: string): WeightQuantizeResult {
  const size = statSync(modelPath).size;
  if (size > MAX_MODEL) throw new ModelFormatError('models over 2 GB keep their weights in external data; this one is larger than a protobuf can hold');
  const data = readFileSync(modelPath);
  const model = fields(data, 0, data.length);
  const opset = opsetOf(data, model);
  if (opset < 10) throw new ModelFormatError(`the model uses opset ${opset || '(none)'}; DequantizeLinear needs opset 10 or later`);
  const graphs = model.filter((f) => f.field === 7 && f.wire === 2);
  if (graphs.length !== 1) throw new ModelFormatError('the model has no graph');
  const graph = graphs[0]!;
  const graphFields = fields(data, graph.start, graph.end);
  const graphInputs = new Set<string>();
  for (const f of graphFields) {
    if (f.field === 11 && f.wire === 2) {
      const b = new Bytes(data, f.end);
      b.pos = f.start;
      while (b.pos < f.end) {
        const key = b.varint();
        if (key === ((1 << 3) | 2)) graphInputs.add(b.string());
        else b.skip(key & 7);
      }
    }
  }
  const initializers = graphFields.filter((f) => f.field === 5 && f.wire === 2).map((f) => ({ field: f, tensor: readInitializer(data, f) }));
  const taken = new Set<string>([...initializers.map(({ tensor }) => tensor.name), ...graphNodes(data, graphFields).flatMap((n) => [...n.inputs, ...n.outputs])]);
  const unique = uniqueNames(taken);
  const replaced = new Set<Field>();
  const newNodes: Uint8Array[] = [];
  const newInitializers: Uint8Array[] = [];
  const tensors: QuantizedTensor[] = [];
  const notes: string[] = [];
  let floatBytes = 0;
  let int8Bytes = 0;
  for (const { field, tensor } of initializers) {
    const count = tensor.dims.reduce((a, b) => a * b, 1);
    if (tensor.dataType !== FLOAT || count < MIN_ELEMENTS) continue;
    if (graphInputs.has(tensor.name)) {
      notes.push(`${tensor.name}: also a graph input (an old IR's overridable default), left float`);
      continue;
    }
    const values = floatsOf(tensor, dirname(modelPath));
    if (!values || values.length !== count) {
      notes.push(`${tensor.name}: its data could not be read, left float`);
      continue;
    }
    let max = 0;
    for (const v of values) {
      const a = Math.abs(v);
      if (!Number.isFinite(a)) {
        max = NaN;
        break;
      }
      if (a > max) max = a;
    }
    if (Number.isNaN(max)) {
      notes.push(`${tensor.name}: holds NaN or infinity, left float`);
      continue;
    }
    const scale = max > 0 ? max / 127 : 1;
    const q = new Int8Array(count);
    for (let i = 0; i < count; i++) q[i] = Math.max(-127, Math.min(127, Math.round(values[i]! / scale)));
    const qName = unique(`${tensor.name}_quantized`);
    const scaleName = unique(`${tensor.name}_scale`);
    const zeroName = unique(`${tensor.name}_zero_point`);
    const scaleBytes = new Uint8Array(new Float32Array([scale]).buffer);
    newInitializers.push(
      lengthDelimited(5, tensorProto(qName, INT8, tensor.dims, new Uint8Array(q.buffer))),
      lengthDelimited(5, tensorProto(scaleName, FLOAT, [], scaleBytes)),
      lengthDelimited(5, tensorProto(zeroName, INT8, [], new Uint8Array(1))),
    );
    newNodes.push(lengthDelimited(1, nodeProto('DequantizeLinear', [qName, scaleName, zeroName], [tensor.name], unique(`${tensor.name}_DequantizeLinear`))));
    replaced.add(field);
    tensors.push({ name: tensor.name, elements: count, scale: new Float32Array([scale])[0]! });
    floatBytes += count * 4;
    int8Bytes += count;
  }
  // Tensors left in external files are written inline, so the new model stands alone wherever it is saved.
  const inlined = new Map<Field, Uint8Array>();
  for (const { field, tensor } of initializers) if (!replaced.has(field) && tensor.external) inlined.set(field, inlinedInitializer(data, field, tensor, dirname(modelPath)));
  // The new nodes go first: a DequantizeLinear must come before the nodes that read its output.
  const graphParts: Uint8Array[] = [...newNodes];
  for (const f of graphFields) if (!replaced.has(f)) graphParts.push(inlined.get(f) ?? data.subarray(f.from, f.to));
  graphParts.push(...newInitializers);
  const newGraph = concat(graphParts);
  const modelParts: Uint8Array[] = [];
  for (const f of model) modelParts.push(f === graph ? lengthDelimited(7, newGraph) : data.subarray(f.from, f.to));
  return { model: concat(modelParts), tensors, floatBytes, int8Bytes, notes };
}
