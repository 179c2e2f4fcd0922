import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ModelFormatError } from '../fileWindow';
import { Bytes } from '../onnxModel';
import { fields, floatsOf, graphNodes, inlinedInitializer, readInitializer, uniqueNames, type Field, type NodeInfo } from './onnxRewrite';
import { concat, lengthDelimited, nodeProto, stringField, varintField } from './protobufWrite';

// fp16 conversion of an ONNX model in TypeScript, for when the user's Python lacks
// onnxconverter-common: float32 weights and constants become float16, Cast nodes keep the graph's
// inputs and outputs float32 (callers change nothing), and the rest is copied byte for byte.
// Operators known to compute in fp16 run in fp16; operators whose output types are known but whose
// fp16 kernels are missing or lossy (Resize, TopK, Range, comparisons…) stay in float32 with Casts
// around them, as onnxconverter-common does; anything else (subgraphs, custom domains, operators
// whose types are not known here) is refused with the operators named, rather than converted into
// a model that fails to load. Tensor types are followed node by node to know which inputs are fp16.

const FLOAT = 1;
const FLOAT16 = 10;
const MAX_MODEL = 2 * 1024 * 1024 * 1024 - 1;
const FP16_MAX = 65504;
const utf8 = new TextDecoder();

/** Operators that take float16 for every float input in opset 9+ of ai.onnx and run on CPU and GPU. */
const FP16_OPS = new Set(
  ('Abs Add AveragePool BatchNormalization Cast Clip Concat Constant ConstantOfShape Conv ConvTranspose Div Dropout Erf Exp Expand Flatten Gather Gelu Gemm ' +
    'GlobalAveragePool GlobalMaxPool HardSigmoid HardSwish Identity InstanceNormalization LayerNormalization LeakyRelu Log LogSoftmax MatMul MaxPool ' +
    'Mul Neg Pad Pow PRelu ReduceMax ReduceMean ReduceMin ReduceSum Relu Reshape Shape Sigmoid Slice Softmax Split Sqrt Squeeze Sub Sum Tanh Transpose ' +
    'Unsqueeze Where').split(' '),
);

/** Operators kept in float32 whose outputs take their first input's type (float ones are cast back to fp16). */
const FP32_SAME_TYPE_OPS = new Set(
  ('Acos Acosh Asin Asinh Atan Atanh Ceil Celu Compress Cos Cosh CumSum DepthToSpace Det Einsum Elu Floor GatherElements GatherND GlobalLpPool ' +
    'GridSample GroupNormalization Hardmax LRN LpNormalization LpPool Max Mean MeanVarianceNormalization Min Mod Range Reciprocal ReduceL1 ReduceL2 ' +
    'ReduceLogSum ReduceLogSumExp ReduceProd ReduceSumSquare Resize ReverseSequence RoiAlign Round ScatterElements ScatterND Selu Sign Sin Sinh ' +
    'Softplus Softsign SpaceToDepth Tan ThresholdedRelu Tile TopK Trilu Upsample').split(' '),
);

/** Operators kept as they are whose outputs are never float (indices, masks, sizes): fp16 inputs are cast to float32. */
const NON_FLOAT_OUTPUT_OPS = new Set('And ArgMax ArgMin Equal Greater GreaterOrEqual IsInf IsNaN Less LessOrEqual NonMaxSuppression NonZero Not Or Size Xor'.split(' '));

/** Outputs (by index) that are never float: indices, masks. */
const INDEX_OUTPUTS: Readonly<Record<string, readonly number[]>> = { TopK: [1], MaxPool: [1], Dropout: [1] };

export interface Float16Result {
  readonly model: Uint8Array;
  readonly tensors: number;
  readonly floatBytes: number;
  readonly halfBytes: number;
  /** Operators left in float32 with Casts around them. */
  readonly float32Ops: readonly string[];
  readonly notes: readonly string[];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a number, rounded to nearest even; beyond ±65504 clamped (not infinity). */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const v = Math.max(-FP16_MAX, Math.min(FP16_MAX, value));
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00; // infinity (only when value was infinite before clamping: not reached)
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | (e >= 0x1f ? 0x7bff : half);
}

function toHalf(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}

/** A float32 TensorProto's bytes as float16 (raw_data); undefined when it is not float32. */
function halfTensor(data: Uint8Array, tensorField: Field, modelDir: string, t = readInitializer(data, tensorField)): Uint8Array | undefined {
  if (t.dataType !== FLOAT) return undefined;
  const values = floatsOf(t, modelDir);
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (!values || values.length !== count) throw new ModelFormatError(`${t.name || 'a constant'}: its float data could not be read`);
  const kept = fields(data, tensorField.start, tensorField.end).filter((g) => ![2, 4, 9, 13, 14].includes(g.field)).map((g) => data.subarray(g.from, g.to));
  return concat([...kept, varintField(2, FLOAT16), lengthDelimited(9, toHalf(values))]);
}

/** elem_type of a ValueInfoProto's tensor type (type = 2 > tensor_type = 1 > elem_type = 1). */
function elemType(data: Uint8Array, f: Field): { name: string; elem: number } {
  let name = '';
  let elem = 0;
  for (const g of fields(data, f.start, f.end)) {
    if (g.field === 1 && g.wire === 2) name = utf8.decode(data.subarray(g.start, g.end));
    if (g.field === 2 && g.wire === 2) {
      for (const t of fields(data, g.start, g.end)) {
        if (t.field === 1 && t.wire === 2) {
          for (const e of fields(data, t.start, t.end)) {
            if (e.field === 1 && e.wire === 0) {
              const b = new Bytes(data, e.end);
              b.pos = e.from;
              b.varint();
              elem = b.varint();
            }
          }
        }
      }
    }
  }
  return { name, elem };
}

export function convertToFloat16(modelPath: string): Float16Result {
  if (statSync(modelPath).size > MAX_MODEL) throw new ModelFormatError('models over 2 GB are not converted here');
  const data = readFileSync(modelPath);
  const modelDir = dirname(modelPath);
  const model = fields(data, 0, data.length);
  const graphs = model.filter((f) => f.field === 7 && f.wire === 2);
  if (graphs.length !== 1) throw new ModelFormatError('the model has no graph');
  const graph = graphs[0]!;
  const graphFields = fields(data, graph.start, graph.end);
  const nodes = graphNodes(data, graphFields);
  const inFloat32 = (n: NodeInfo): boolean => FP32_SAME_TYPE_OPS.has(n.opType) || NON_FLOAT_OUTPUT_OPS.has(n.opType);
  const unsupported = [...new Set(nodes.filter((n) => (n.domain !== '' && n.domain !== 'ai.onnx') || !(FP16_OPS.has(n.opType) || inFloat32(n))).map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)))];
  if (unsupported.length > 0) throw new ModelFormatError(`fp16 conversion here covers common network operators; this model also uses ${unsupported.slice(0, 8).join(', ')}. Use onnxconverter-common in Python, which keeps those in fp32.`);
  const initializers = graphFields.filter((f) => f.field === 5 && f.wire === 2).map((field) => ({ field, tensor: readInitializer(data, field) }));
  const initializerNames = new Set(initializers.map((i) => i.tensor.name));
  const taken = new Set<string>([...initializerNames, ...nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const unique = uniqueNames(taken);
  const floatInputs = graphFields.filter((f) => f.field === 11 && f.wire === 2).map((f) => elemType(data, f)).filter((v) => v.elem === FLOAT && !initializerNames.has(v.name));
  const floatOutputs = graphFields.filter((f) => f.field === 12 && f.wire === 2).map((f) => elemType(data, f)).filter((v) => v.elem === FLOAT);
  const rename = new Map<string, string>();
  const head: Uint8Array[] = [];
  const tail: Uint8Array[] = [];
  for (const input of floatInputs) {
    const half = unique(`${input.name}_fp16`);
    rename.set(input.name, half);
    head.push(lengthDelimited(1, castNode(input.name, half, FLOAT16, unique(`${input.name}_to_fp16`))));
  }
  for (const output of floatOutputs) {
    if (floatInputs.some((i) => i.name === output.name) || initializerNames.has(output.name)) throw new ModelFormatError(`output ${output.name} is an input or a weight passed through: not converted`);
    const half = unique(`${output.name}_fp16`);
    rename.set(output.name, half);
    tail.push(lengthDelimited(1, castNode(half, output.name, FLOAT, unique(`${output.name}_to_fp32`))));
  }
  const notes: string[] = [];
  let tensors = 0;
  let floatBytes = 0;
  const halves = initializers.map((i) => halfTensor(data, i.field, modelDir, i.tensor));
  // Which tensors are float16 in the new graph (by their names in the old one): the float inputs
  // (after their casts), the float weights, and what nodes make from them.
  const half = new Set<string>([...floatInputs.map((i) => i.name), ...initializers.filter((_, k) => halves[k]).map((i) => i.tensor.name)]);
  const toFloat32 = new Map<string, string>(); // an fp16 tensor's float32 cast, made once
  const float32Ops = new Set<string>();
  const rewritten: Uint8Array[] = [];
  for (const node of nodes) {
    const island = inFloat32(node);
    const before: Uint8Array[] = [];
    const after: Uint8Array[] = [];
    const inputName = (name: string): string => {
      const current = rename.get(name) ?? name;
      if (!island || !half.has(name)) return current;
      let cast = toFloat32.get(name);
      if (!cast) {
        cast = unique(`${name}_fp32`);
        toFloat32.set(name, cast);
        before.push(lengthDelimited(1, castNode(current, cast, FLOAT, unique(`${name}_to_fp32`))));
      }
      return cast;
    };
    // An output is float16 when it is float: by the operator's rule, from its inputs' types.
    const floatOutput = (index: number): boolean => {
      if (INDEX_OUTPUTS[node.opType]?.includes(index) || node.opType === 'Shape' || NON_FLOAT_OUTPUT_OPS.has(node.opType)) return false;
      if (node.opType === 'Constant' || node.opType === 'ConstantOfShape') return convertedConstant;
      if (node.opType === 'Cast') return convertedCast;
      if (node.opType === 'Where') return half.has(node.inputs[1] ?? '');
      return half.has(node.inputs[0] ?? '');
    };
    let convertedConstant = false;
    let convertedCast = false;
    const onConverted = (what: 'cast' | 'tensor'): void => {
      if (what === 'cast') convertedCast = true;
      else {
        convertedConstant = true;
        tensors++;
      }
    };
    const attributes: Uint8Array[] = [];
    for (const g of fields(data, node.field.start, node.field.end)) {
      if (g.field === 5 && g.wire === 2) attributes.push(lengthDelimited(5, attribute(data, g, node, modelDir, onConverted)));
    }
    if (node.opType === 'ConstantOfShape' && !convertedConstant && !attributes.length) throw new ModelFormatError('a ConstantOfShape without a value (float32 zeros): not converted');
    const outputs = node.outputs.map((name, i) => {
      const isFloat = name !== '' && floatOutput(i);
      if (isFloat) half.add(name);
      const current = rename.get(name) ?? name;
      if (!island || !isFloat) return current;
      // Computed in float32, handed on as float16 under the name its consumers use.
      const single = unique(`${name}_fp32`);
      after.push(lengthDelimited(1, castNode(single, current, FLOAT16, unique(`${name}_to_fp16`))));
      return single;
    });
    if (island) float32Ops.add(node.opType);
    const parts: Uint8Array[] = [];
    let nextAttribute = 0;
    for (const g of fields(data, node.field.start, node.field.end)) {
      if (g.field === 1 && g.wire === 2) parts.push(stringField(1, inputName(utf8.decode(data.subarray(g.start, g.end)))));
      else if (g.field === 2 && g.wire === 2) parts.push(stringField(2, outputs.shift()!));
      else if (g.field === 5 && g.wire === 2) parts.push(attributes[nextAttribute++]!);
      else parts.push(data.subarray(g.from, g.to));
    }
    rewritten.push(...before, lengthDelimited(1, concat(parts)), ...after);
  }
  const initializerParts = initializers.map(({ field: f, tensor: t }, k) => {
    const converted = halves[k];
    if (converted) {
      tensors++;
      floatBytes += t.dims.reduce((a, b) => a * b, 1) * 4;
      return lengthDelimited(5, converted);
    }
    return t.external ? inlinedInitializer(data, f, t, modelDir) : data.subarray(f.from, f.to);
  });
  if (graphFields.some((f) => f.field === 13)) notes.push('intermediate value_info entries were dropped (shape hints; onnxruntime infers them again)');
  // Nodes first, in order, between the input and output casts; value_info left out (it named float32 types).
  const graphParts: Uint8Array[] = [...head, ...rewritten, ...tail];
  for (const f of graphFields) {
    if (f.field === 1 || f.field === 5 || f.field === 13) continue;
    // Old IRs list the weights among the graph inputs: those now say float16.
    const input = f.field === 11 && f.wire === 2 ? elemType(data, f) : undefined;
    graphParts.push(input && input.elem === FLOAT && initializerNames.has(input.name) ? lengthDelimited(11, retyped(data, f, FLOAT16)) : data.subarray(f.from, f.to));
  }
  graphParts.push(...initializerParts);
  const out = concat(model.map((f) => (f === graph ? lengthDelimited(7, concat(graphParts)) : data.subarray(f.from, f.to))));
  return { model: out, tensors, floatBytes, halfBytes: floatBytes / 2, float32Ops: [...float32Ops], notes };
}

/** A ValueInfoProto with its tensor's elem_type replaced (type = 2 > tensor_type = 1 > elem_type = 1). */
function retyped(data: Uint8Array, f: Field, elem: number): Uint8Array {
  const rebuild = (g: Field, inner: (h: Field) => Uint8Array): Uint8Array => lengthDelimited(g.field, concat(fields(data, g.start, g.end).map(inner)));
  return concat(
    fields(data, f.start, f.end).map((g) =>
      g.field === 2 && g.wire === 2
        ? rebuild(g, (t) => (t.field === 1 && t.wire === 2 ? rebuild(t, (e) => (e.field === 1 && e.wire === 0 ? varintField(1, elem) : data.subarray(e.from, e.to))) : data.subarray(t.from, t.to)))
        : data.subarray(g.from, g.to),
    ),
  );
}

function castNode(input: string, output: string, to: number, name: string): Uint8Array {
  // AttributeProto: name = 1, i = 3, type = 20 (INT = 2)
  const attr = concat([stringField(1, 'to'), varintField(3, to), varintField(20, 2)]);
  return concat([nodeProto('Cast', [input], [output], name), lengthDelimited(5, attr)]);
}

/**
 * A node attribute with float32 made float16: Cast's `to`, and tensor values (Constant,
 * ConstantOfShape); `converted` hears of each ('cast' or 'tensor').
 */
function attribute(data: Uint8Array, f: Field, node: NodeInfo, modelDir: string, converted: (what: 'cast' | 'tensor') => void): Uint8Array {
  const parts: Uint8Array[] = [];
  let name = '';
  for (const g of fields(data, f.start, f.end)) if (g.field === 1 && g.wire === 2) name = utf8.decode(data.subarray(g.start, g.end));
  for (const g of fields(data, f.start, f.end)) {
    if (g.field === 6 || g.field === 11) throw new ModelFormatError(`${node.opType} holds a subgraph: not converted`);
    if (node.opType === 'Constant' && (name === 'value_float' || name === 'value_floats')) throw new ModelFormatError('a Constant with value_float(s): not converted');
    if (node.opType === 'Cast' && name === 'to' && g.field === 3 && g.wire === 0) {
      const b = new Bytes(data, g.end);
      b.pos = g.start;
      b.varint();
      const to = b.varint();
      if (to === FLOAT) converted('cast');
      parts.push(varintField(3, to === FLOAT ? FLOAT16 : to));
    } else if (g.field === 5 && g.wire === 2) {
      const half = halfTensor(data, g, modelDir);
      if (half) converted('tensor');
      parts.push(half ? lengthDelimited(5, half) : data.subarray(g.from, g.to));
    } else parts.push(data.subarray(g.from, g.to));
  }
  return concat(parts);
}
