import { concat, lengthDelimited, nodeProto, stringField, tensorProto, varintField } from '../../src/models/optimize/protobufWrite';

// An ONNX model shaped like a decoder-only transformer as torch.onnx's TorchScript exporter writes
// one (Llama-style: RMSNorm, rotary embeddings, grouped KV heads, SwiGLU MLP): node names carry
// the module path (`/model/layers.3/self_attn/q_proj/MatMul`), shapes are computed at run time
// from Shape/Gather/Unsqueeze/Concat chains with Constant operands, the main activations have
// value_info, and every projection has a float32 initializer (raw_data). About 300 nodes a layer:
// 33 layers make the 10,000-node file the graph bench opens (written here, at run time), 1 or 2
// the small files the tests use. Written with our own protobuf writer: no Python needed.

export interface TransformerOptions {
  readonly layers: number;
  /** Hidden size (small by default: the node count is what the graph view is measured on, not the weights). */
  readonly hidden?: number;
  readonly vocab?: number;
}

const FLOAT = 1;
const INT64 = 7;

/** An int64 field: negatives as 10-byte two's complement varints, as protobuf writes them. */
function int64Field(field: number, value: number): Uint8Array {
  if (value >= 0) return varintField(field, value);
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [field << 3];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
function attrInt(name: string, value: number): Uint8Array {
  return concat([stringField(1, name), int64Field(3, value), varintField(20, 2)]);
}
function attrInts(name: string, values: readonly number[]): Uint8Array {
  return concat([stringField(1, name), ...values.map((v) => int64Field(8, v)), varintField(20, 7)]);
}
function attrTensor(name: string, tensor: Uint8Array): Uint8Array {
  return concat([stringField(1, name), lengthDelimited(5, tensor), varintField(20, 4)]);
}
function int64Tensor(values: readonly number[], dims: readonly number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return tensorProto('', INT64, dims, raw);
}
function floatTensor(name: string, dims: readonly number[], seed: number): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = new Uint8Array(n * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(i * 4, Math.sin(seed * 7919 + i) * 0.02, true);
  return tensorProto(name, FLOAT, dims, raw);
}
function typeProto(elemType: number, dims: readonly (number | string)[]): Uint8Array {
  const dim = (d: number | string): Uint8Array => lengthDelimited(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d));
  return lengthDelimited(1, concat([varintField(1, elemType), lengthDelimited(2, concat(dims.map(dim)))]));
}
function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Uint8Array {
  return concat([stringField(1, name), lengthDelimited(2, typeProto(elemType, dims))]);
}

class Builder {
  readonly nodes: Uint8Array[] = [];
  readonly initializers: Uint8Array[] = [];
  readonly valueInfos: Uint8Array[] = [];
  private counts = new Map<string, number>();
  private seed = 0;

  /** A node named as the exporter names them: scope/Op, scope/Op_1, …; returns its output names. */
  node(scope: string, op: string, inputs: readonly string[], outputs = 1, attributes: readonly Uint8Array[] = []): string[] {
    const key = `${scope}/${op}`;
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    const name = n === 0 ? key : `${key}_${n}`;
    const outs = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    const node = nodeProto(op, inputs, outs, name);
    this.nodes.push(attributes.length ? concat([node, ...attributes.map((a) => lengthDelimited(5, a))]) : node);
    return outs;
  }
  one(scope: string, op: string, inputs: readonly string[], attributes: readonly Uint8Array[] = []): string {
    return this.node(scope, op, inputs, 1, attributes)[0]!;
  }
  constant(scope: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.one(scope, 'Constant', [], [attrTensor('value', int64Tensor(values, dims))]);
  }
  scalar(scope: string, value: number): string {
    const raw = new Uint8Array(4);
    new DataView(raw.buffer).setFloat32(0, value, true);
    return this.one(scope, 'Constant', [], [attrTensor('value', tensorProto('', FLOAT, [], raw))]);
  }
  weight(name: string, dims: readonly number[]): string {
    this.initializers.push(floatTensor(name, dims, this.seed++));
    return name;
  }
  typed(name: string, dims: readonly (number | string)[]): string {
    this.valueInfos.push(valueInfo(name, FLOAT, dims));
    return name;
  }
}

/** x[batch, seq, hidden] reshaped to heads: the exporter's Shape → Gather → Unsqueeze → Concat → Reshape → Transpose chain. */
function splitHeads(b: Builder, scope: string, x: string, heads: number, headDim: number): string {
  const dims = [0, 1].map((axis) => b.one(scope, 'Unsqueeze', [b.one(scope, 'Gather', [b.one(scope, 'Shape', [x]), b.constant(scope, [axis], [])], [attrInt('axis', 0)]), b.constant(scope, [0])]));
  const shape = b.one(scope, 'Concat', [...dims, b.constant(scope, [heads]), b.constant(scope, [headDim])], [attrInt('axis', 0)]);
  return b.one(scope, 'Transpose', [b.one(scope, 'Reshape', [x, shape])], [attrInts('perm', [0, 2, 1, 3])]);
}

function rmsNorm(b: Builder, scope: string, x: string, hidden: number): string {
  const pow = b.one(scope, 'Pow', [x, b.scalar(scope, 2)]);
  const mean = b.one(scope, 'ReduceMean', [pow], [attrInts('axes', [-1])]);
  const eps = b.one(scope, 'Add', [mean, b.scalar(scope, 1e-6)]);
  const inv = b.one(scope, 'Div', [b.scalar(scope, 1), b.one(scope, 'Sqrt', [eps])]);
  return b.typed(b.one(scope, 'Mul', [b.weight(`${scope.slice(1).replace(/\//g, '.')}.weight`, [hidden]), b.one(scope, 'Mul', [x, inv])]), ['batch', 'sequence', hidden]);
}

/** Rotary embedding on q or k: rotate_half (two Slices, Neg, Concat) and cos/sin products. */
function rotary(b: Builder, scope: string, x: string, cos: string, sin: string, half: number): string {
  const slice = (from: number, to: number): string => b.one(scope, 'Slice', [x, b.constant(scope, [from]), b.constant(scope, [to]), b.constant(scope, [-1]), b.constant(scope, [1])]);
  const rotated = b.one(scope, 'Concat', [b.one(scope, 'Neg', [slice(half, 2 ** 31)]), slice(0, half)], [attrInt('axis', -1)]);
  return b.one(scope, 'Add', [b.one(scope, 'Mul', [x, cos]), b.one(scope, 'Mul', [rotated, sin])]);
}

/** Grouped KV heads repeated for the query heads: Shape chain, Unsqueeze, Expand, Reshape. */
function repeatKv(b: Builder, scope: string, x: string, repeats: number): string {
  const dims = [0, 1, 2, 3].map((axis) => b.one(scope, 'Gather', [b.one(scope, 'Shape', [x]), b.constant(scope, [axis], [])], [attrInt('axis', 0)]));
  const expanded = b.one(scope, 'Expand', [b.one(scope, 'Unsqueeze', [x, b.constant(scope, [2])]), b.one(scope, 'Concat', [...dims.slice(0, 2).map((d) => b.one(scope, 'Unsqueeze', [d, b.constant(scope, [0])])), b.constant(scope, [repeats]), ...dims.slice(2).map((d) => b.one(scope, 'Unsqueeze', [d, b.constant(scope, [0])]))], [attrInt('axis', 0)])]);
  const heads = b.one(scope, 'Mul', [dims[1]!, b.constant(scope, [repeats], [])]);
  const shape = b.one(scope, 'Concat', [dims[0]!, heads, dims[2]!, dims[3]!].map((d) => b.one(scope, 'Unsqueeze', [d, b.constant(scope, [0])])), [attrInt('axis', 0)]);
  return b.one(scope, 'Reshape', [expanded, shape]);
}

function attention(b: Builder, p: string, x: string, mask: string, cos: string, sin: string, hidden: number): string {
  const s = `${p}/self_attn`;
  const heads = 8;
  const kvHeads = 2;
  const headDim = hidden / heads;
  const proj = (name: string, out: number): string => b.one(`${s}/${name}`, 'MatMul', [x, b.weight(`${s.slice(1).replace(/\//g, '.')}.${name}.weight`, [hidden, out])]);
  const q = splitHeads(b, s, proj('q_proj', hidden), heads, headDim);
  const k = splitHeads(b, s, proj('k_proj', kvHeads * headDim), kvHeads, headDim);
  const v = splitHeads(b, s, proj('v_proj', kvHeads * headDim), kvHeads, headDim);
  const cosU = b.one(`${s}/rotary_emb`, 'Unsqueeze', [cos, b.constant(`${s}/rotary_emb`, [0])]);
  const sinU = b.one(`${s}/rotary_emb`, 'Unsqueeze', [sin, b.constant(`${s}/rotary_emb`, [0])]);
  const qr = rotary(b, s, q, cosU, sinU, headDim / 2);
  const kr = repeatKv(b, s, rotary(b, s, k, cosU, sinU, headDim / 2), heads / kvHeads);
  const vr = repeatKv(b, s, v, heads / kvHeads);
  const scores = b.one(s, 'Div', [b.one(s, 'MatMul', [qr, b.one(s, 'Transpose', [kr], [attrInts('perm', [0, 1, 3, 2])])]), b.scalar(s, Math.sqrt(headDim))]);
  const masked = b.one(s, 'Add', [scores, mask]);
  const probs = b.one(s, 'Cast', [b.one(s, 'Softmax', [masked], [attrInt('axis', -1)])], [attrInt('to', FLOAT)]);
  const context = b.one(s, 'Transpose', [b.one(s, 'MatMul', [probs, vr])], [attrInts('perm', [0, 2, 1, 3])]);
  const dims = [0, 1].map((axis) => b.one(s, 'Unsqueeze', [b.one(s, 'Gather', [b.one(s, 'Shape', [context]), b.constant(s, [axis], [])], [attrInt('axis', 0)]), b.constant(s, [0])]));
  const merged = b.one(s, 'Reshape', [context, b.one(s, 'Concat', [...dims, b.constant(s, [hidden])], [attrInt('axis', 0)])]);
  return b.typed(b.one(`${s}/o_proj`, 'MatMul', [merged, b.weight(`${s.slice(1).replace(/\//g, '.')}.o_proj.weight`, [hidden, hidden])]), ['batch', 'sequence', hidden]);
}

function mlp(b: Builder, p: string, x: string, hidden: number): string {
  const s = `${p}/mlp`;
  const ffn = hidden * 2;
  const w = (name: string, dims: number[]): string => b.weight(`${s.slice(1).replace(/\//g, '.')}.${name}.weight`, dims);
  const gate = b.one(`${s}/gate_proj`, 'MatMul', [x, w('gate_proj', [hidden, ffn])]);
  const act = b.one(`${s}/act_fn`, 'Mul', [gate, b.one(`${s}/act_fn`, 'Sigmoid', [gate])]);
  const up = b.one(`${s}/up_proj`, 'MatMul', [x, w('up_proj', [hidden, ffn])]);
  return b.typed(b.one(`${s}/down_proj`, 'MatMul', [b.one(s, 'Mul', [act, up]), w('down_proj', [ffn, hidden])]), ['batch', 'sequence', hidden]);
}

/** The ModelProto bytes of a transformer with `layers` decoder layers. */
export function transformerOnnx(options: TransformerOptions): Uint8Array {
  const hidden = options.hidden ?? 64;
  const vocab = options.vocab ?? 256;
  const b = new Builder();
  const embedded = b.typed(b.one('/model/embed_tokens', 'Gather', [b.weight('model.embed_tokens.weight', [vocab, hidden]), 'input_ids']), ['batch', 'sequence', hidden]);
  // The causal mask and rotary tables, computed once from the input's shape as the exporter writes them.
  const seqLen = b.one('/model', 'Gather', [b.one('/model', 'Shape', ['input_ids']), b.constant('/model', [1], [])], [attrInt('axis', 0)]);
  const positions = b.one('/model', 'Range', [b.constant('/model', [0], []), seqLen, b.constant('/model', [1], [])]);
  const expandedMask = b.one('/model', 'Unsqueeze', [b.one('/model', 'Unsqueeze', [b.one('/model', 'Cast', ['attention_mask'], [attrInt('to', FLOAT)]), b.constant('/model', [1])]), b.constant('/model', [2])]);
  const mask = b.one('/model', 'Mul', [b.one('/model', 'Sub', [b.scalar('/model', 1), expandedMask]), b.scalar('/model', -10000)]);
  const freqs = b.one('/model/rotary_emb', 'MatMul', [b.one('/model/rotary_emb', 'Cast', [b.one('/model/rotary_emb', 'Unsqueeze', [positions, b.constant('/model/rotary_emb', [1])])], [attrInt('to', FLOAT)]), b.weight('model.rotary_emb.inv_freq', [1, hidden / 16])]);
  const emb = b.one('/model/rotary_emb', 'Concat', [freqs, freqs], [attrInt('axis', -1)]);
  const cos = b.one('/model/rotary_emb', 'Cos', [emb]);
  const sin = b.one('/model/rotary_emb', 'Sin', [emb]);
  let x = embedded;
  for (let i = 0; i < options.layers; i++) {
    const p = `/model/layers.${i}`;
    const attn = attention(b, p, rmsNorm(b, `${p}/input_layernorm`, x, hidden), mask, cos, sin, hidden);
    const residual = b.typed(b.one(p, 'Add', [x, attn]), ['batch', 'sequence', hidden]);
    x = b.typed(b.one(p, 'Add', [residual, mlp(b, p, rmsNorm(b, `${p}/post_attention_layernorm`, residual, hidden), hidden)]), ['batch', 'sequence', hidden]);
  }
  const normed = rmsNorm(b, '/model/norm', x, hidden);
  b.nodes.push(nodeProto('MatMul', [normed, b.weight('lm_head.weight', [hidden, vocab])], ['logits'], '/lm_head/MatMul'));
  const graph = concat([
    ...b.nodes.map((n) => lengthDelimited(1, n)),
    stringField(2, 'main_graph'),
    ...b.initializers.map((t) => lengthDelimited(5, t)),
    lengthDelimited(11, valueInfo('input_ids', INT64, ['batch', 'sequence'])),
    lengthDelimited(11, valueInfo('attention_mask', INT64, ['batch', 'sequence'])),
    lengthDelimited(12, valueInfo('logits', FLOAT, ['batch', 'sequence', vocab])),
    ...b.valueInfos.map((v) => lengthDelimited(13, v)),
  ]);
  return concat([varintField(1, 8), stringField(2, 'pytorch'), stringField(3, '2.1.0'), lengthDelimited(7, graph), lengthDelimited(8, varintField(2, 17))]);
}

/** Decoder layers for about `nodes` nodes. */
export function layersForNodes(nodes: number): number {
  const one = countNodes(transformerOnnx({ layers: 1 }));
  const two = countNodes(transformerOnnx({ layers: 2 }));
  return Math.max(1, Math.round((nodes - (one - (two - one))) / (two - one)));
}

function countNodes(model: Uint8Array): number {
  // Nodes are the graph's field 1 (key 0x0a) at its top level: counted by walking the graph's fields.
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = model[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  let count = 0;
  while (pos < model.length) {
    const key = varint();
    if ((key & 7) === 0) {
      varint();
      continue;
    }
    const length = varint();
    if (key === 0x3a) {
      const end = pos + length;
      while (pos < end) {
        const k = varint();
        const n = varint();
        if (k === 0x0a) count++;
        pos += n;
      }
    } else pos += length;
  }
  return count;
}
