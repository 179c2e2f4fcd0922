import type { IoInfo } from '../modelInfo';
import type { ModelGraph } from '../graph/graphData';

// Which output of an ONNX classifier holds its class scores, for the A/B's ROC AUC. sklearn-onnx
// writes a label and either a `probabilities` tensor (zipmap=False) or ZipMap's seq(map), which
// onnxruntime-web cannot read: there the tensor ZipMap takes is made a graph output
// (withGraphOutput) and read instead. A float [N, C] output named as probabilities is used as it
// is; one named logits gets a softmax, and so does a model's only output when it has two columns
// (below). Anything else gives no scores, with the reason: a guess would put a number in the
// report that nobody can check.

export interface ScorePlan {
  /** The float [N, C] output to read (ZipMap's input where that is how the model gives them). */
  readonly output: string;
  readonly softmax: boolean;
  /** The graph output to add before the session opens (a ZipMap model), else none. */
  readonly expose?: string;
  /** Where the scores come from, in words for the report. */
  readonly how: string;
}

const PROBABILITY = /prob/i;
const LOGITS = /logit/i;

/** The plan, or why the model gives no usable scores. `graph` is needed only for a ZipMap output. */
export function scorePlan(outputs: readonly IoInfo[], graph?: Pick<ModelGraph, 'nodes' | 'tensors'>): ScorePlan | string {
  const zipmap = outputs.find((o) => o.dtype === 'sequence');
  if (zipmap && graph) {
    const node = graph.nodes.find((n) => n.op === 'ZipMap' && n.outputs.some((t) => graph.tensors[t]?.name === zipmap.name));
    const input = node && graph.tensors[node.inputs[0] ?? -1]?.name;
    if (input) return { output: input, softmax: false, expose: input, how: `the probabilities ZipMap turns into ${zipmap.name}, read as the tensor ${input}` };
  }
  const wide = outputs.filter((o) => o.dtype.startsWith('float') && o.shape.length === 2 && o.shape[1] !== 1);
  const probs = wide.find((o) => PROBABILITY.test(o.name));
  if (probs) return { output: probs.name, softmax: false, how: `the output ${probs.name}` };
  const logits = wide.find((o) => LOGITS.test(o.name));
  if (logits) return { output: logits.name, softmax: true, how: `softmax of the output ${logits.name} (logits)` };
  // A lone float [N, 2] output (torch.onnx.export names it `output`): logits or probabilities, its
  // softmax's column 1 ranks rows as either would, and ROC AUC and average precision need only the
  // ranking. Not for more classes: a softmax of probabilities re-ranks a class's column.
  const lone = wide.length === 1 && outputs.length === 1 && wide[0]!.shape[1] === 2 ? wide[0]! : undefined;
  if (lone) return { output: lone.name, softmax: true, how: `softmax of the only output ${lone.name} (two columns: logits or probabilities rank rows alike, which is all ROC AUC and average precision use)` };
  if (zipmap) return `its ${zipmap.name} is a seq(map) that onnxruntime-web cannot read, and no ZipMap input was found`;
  return wide.length ? `its output ${wide[0]!.name} is named neither probabilities nor logits` : 'it has no class-score output';
}

/** Row i's scores, softmaxed where the plan says (max subtracted first, so large logits do not overflow). */
export function rowScores(values: ArrayLike<number>, row: number, classes: number, softmax: boolean): number[] {
  const out = Array.from({ length: classes }, (_, k) => Number(values[row * classes + k]));
  if (!softmax) return out;
  const max = Math.max(...out);
  const e = out.map((v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new Error('the model file ends inside a field');
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, at];
    scale *= 128;
  }
}

/**
 * The model with one more graph output, `name` (a ValueInfoProto with only its name: onnxruntime
 * takes its type from the node that makes it): ModelProto.graph (field 7) gets an `output`
 * (GraphProto field 12) appended and its length rewritten; every other byte is kept.
 */
export function withGraphOutput(model: Uint8Array, name: string): Uint8Array {
  for (let at = 0; at < model.length; ) {
    const start = at;
    const [key, afterKey] = readVarint(model, at);
    const [field, wire] = [Math.floor(key / 8), key & 7];
    if (wire === 0) at = readVarint(model, afterKey)[1];
    else if (wire === 1) at = afterKey + 8;
    else if (wire === 5) at = afterKey + 4;
    else if (wire === 2) {
      const [length, body] = readVarint(model, afterKey);
      at = body + length;
      if (field === 7) {
        const nameBytes = new TextEncoder().encode(name);
        const valueInfo = [0x0a, ...varint(nameBytes.length), ...nameBytes];
        const output = [(12 << 3) | 2, ...varint(valueInfo.length), ...valueInfo];
        const graph = [...varint(length + output.length)];
        const out = new Uint8Array(start + 1 + graph.length + length + output.length + (model.length - at));
        out.set(model.subarray(0, start), 0);
        out.set([0x3a, ...graph], start);
        out.set(model.subarray(body, at), start + 1 + graph.length);
        out.set(output, start + 1 + graph.length + length);
        out.set(model.subarray(at), start + 1 + graph.length + length + output.length);
        return out;
      }
    } else throw new Error(`the model file has a field of wire type ${wire}`);
    if (at > model.length) throw new Error('the model file ends inside a field');
  }
  throw new Error('the model file has no graph');
}
