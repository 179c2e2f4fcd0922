import { type ProtobufReader, WIRE_LENGTH, WIRE_VARINT } from '../../common/protobuf/protobufReader';
import { ModelFormatError, type FileWindow } from '../fileWindow';
import { elementCount, fileText } from '../modelInfo';
import { FileFields, initializer, keyValue, onnxDtypeWidth, valueInfo, type Field } from '../onnxModel';
import type { GraphAttribute, GraphNode, GraphTensor, ModelGraph, TensorKind } from './graphData';
import { ReadAhead } from './readAhead';
import { ATTRIBUTE_TYPES, attribute, MAX_DEPTH, tag } from './onnxAttributes';

// The graph of an ONNX model for the graph view (docs/formats.md §5.3): every node of the main
// graph with its inputs, outputs, attributes and module scope, every tensor between them with the
// dtype and shape the file gives (inputs, outputs, value_info, initializers, Constant values), and
// where each initializer's values are. Walked from the file as onnxModel.ts walks it: weights are
// skipped by position, a node is read whole unless it is big (a Constant holding a weight), in
// which case its fields are walked and a big attribute summarised from its header. Runs in the
// readers' worker; everything kept is capped, so a hostile file costs its size in time and a
// bounded amount of memory.

/** Past these a file is hostile or beyond what any view can show: the rest is counted, not kept. */
export const MAX_GRAPH_NODES = 250_000;
const MAX_TENSORS = 1_000_000;
const MAX_NODE_EDGES = 100_000;
const MAX_ATTRIBUTES = 64;
/** Items of a list attribute or a small tensor said in full. */
/** Nodes up to this size are read in one piece; bigger ones field by field. */
const WHOLE_NODE_BYTES = 1024 * 1024;
/** Characters of names kept in all: a file of only names cannot fill the worker's heap. */
const MAX_NAME_CHARS = 64 * 1024 * 1024;
const MAX_NAME = 1000;
const SCOPES_KEY = 'pkg.torch.onnx.name_scopes';


interface MutableTensor {
  name: string;
  kind: TensorKind;
  dtype?: string;
  shape?: (number | string)[];
  data?: GraphTensor['data'];
}

/** The tensors by name, each kept once: nodes, inputs and outputs refer to them by index. */
class TensorTable {
  readonly list: MutableTensor[] = [];
  private readonly byName = new Map<string, number>();
  private chars = 0;
  dropped = 0;

  index(name: string): number {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.list.length >= MAX_TENSORS || this.chars >= MAX_NAME_CHARS) {
      this.dropped++;
      return -1;
    }
    this.chars += name.length;
    this.byName.set(name, this.list.length);
    this.list.push({ name, kind: 'value' });
    return this.list.length - 1;
  }

  get(name: string): MutableTensor | undefined {
    const i = this.index(name);
    return i < 0 ? undefined : this.list[i];
  }
}

/**
 * The modules a node of torch.onnx's exporter came from, from its `name_scopes` (a Python list's
 * repr: the root module '', each submodule's name, then the call's own name, as in
 * `['', 'layers.0', 'self_attn', 'q_proj', 'linear']`; dotted paths that repeat the one before are
 * cut to their new part): ['layers.0', 'self_attn', 'q_proj'].
 */
export function parseNameScopes(text: string): string[] | undefined {
  const items = [...text.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '');
  const scopes: string[] = [];
  let previous = '';
  for (const item of items) {
    if (item === '') continue;
    scopes.push(previous && item.startsWith(`${previous}.`) ? item.slice(previous.length + 1) : item);
    previous = item;
  }
  scopes.pop();
  return scopes.length > 0 ? scopes.slice(0, MAX_DEPTH) : undefined;
}

/**
 * The length-delimited fields of a NodeProto (its other fields are skipped), one at a time, for
 * the one node decoder: from the node's bytes in memory, or from the file for a big node.
 */
interface NodeFields {
  /** Moves to the next length-delimited field; false at the end of the node. */
  next(): boolean;
  readonly field: number;
  readonly size: number;
  /** Where the field is in the file; only for a node read from the file. */
  readonly place: Field | undefined;
  text(max: number): string;
  /** The field as a message in memory. */
  message(what: string): ProtobufReader;
}

class BytesNodeFields implements NodeFields {
  field = 0;
  readonly place = undefined;
  private value: ProtobufReader | undefined;

  constructor(private readonly r: ProtobufReader) {}

  get size(): number {
    return this.value ? this.value.end - this.value.pos : 0;
  }

  next(): boolean {
    const { r } = this;
    while (r.pos < r.end) {
      const k = r.key();
      if ((k & 7) !== WIRE_LENGTH) {
        r.skip(k & 7);
        continue;
      }
      this.field = k >>> 3;
      this.value = r.message();
      return true;
    }
    return false;
  }

  text(max: number): string {
    const v = this.value!;
    return fileText(v.data.subarray(v.pos, v.end), max);
  }

  message(): ProtobufReader {
    return this.value!;
  }
}

class FileNodeFields implements NodeFields {
  place: Field | undefined;

  constructor(private readonly fields: FileFields) {}

  get field(): number {
    return this.place?.field ?? 0;
  }

  get size(): number {
    return this.place ? this.place.end - this.place.start : 0;
  }

  next(): boolean {
    const { fields } = this;
    if (this.place) fields.pos = this.place.end;
    while (fields.pos < fields.end) {
      const f = fields.next();
      if (f.wire === WIRE_LENGTH) {
        this.place = f;
        return true;
      }
      fields.skipScalar(f.wire);
    }
    this.place = undefined;
    return false;
  }

  text(max: number): string {
    return this.fields.text(this.place!, max);
  }

  message(what: string): ProtobufReader {
    return this.fields.small(this.place!, what);
  }
}

class GraphBuilder {
  readonly tensors = new TensorTable();
  readonly nodes: GraphNode[] = [];
  droppedNodes = 0;
  droppedEdges = 0;

  constructor(private readonly file: ReadAhead) {}

  private refs(names: readonly string[]): number[] {
    if (names.length > MAX_NODE_EDGES) this.droppedEdges += names.length - MAX_NODE_EDGES;
    return names.slice(0, MAX_NODE_EDGES).map((n) => (n === '' ? -1 : this.tensors.index(n)));
  }

  /** A node read whole (the usual case). */
  nodeFromBytes(r: ProtobufReader): void {
    this.node(new BytesNodeFields(r));
  }

  /** A big node (a Constant holding a weight): small fields read, big attributes summarised from their headers. */
  nodeFromFile(fields: FileFields): void {
    this.node(new FileNodeFields(fields));
  }

  /** The one decoder of a NodeProto, wherever its fields are read from. */
  private node(fields: NodeFields): void {
    const inputs: string[] = [];
    const outputs: string[] = [];
    const attributes: GraphAttribute[] = [];
    let name = '';
    let op = '';
    let domain = '';
    let scopes: string[] | undefined;
    let subgraphNodes = 0;
    let constant: { dtype: string; shape: number[] } | undefined;
    while (fields.next()) {
      const { field, place } = fields;
      if (field === 1) inputs.push(fields.text(MAX_NAME));
      else if (field === 2) outputs.push(fields.text(MAX_NAME));
      else if (field === 3) name = fields.text(MAX_NAME);
      else if (field === 4) op = fields.text(200);
      else if (field === 7) domain = fields.text(200);
      else if (field === 5 && place && fields.size > WHOLE_NODE_BYTES) {
        if (attributes.length >= MAX_ATTRIBUTES) continue;
        const big = this.bigAttribute(place);
        attributes.push(big.attribute);
        if (big.constant && big.attribute.name === 'value') constant = big.constant;
      } else if (field === 5) {
        const a = attribute(fields.message('an attribute'), 0);
        subgraphNodes += a.subgraphNodes;
        if (attributes.length < MAX_ATTRIBUTES) attributes.push(a.attribute);
        if (a.constant && a.attribute.name === 'value') constant = a.constant;
      } else if (field === 9 && fields.size <= WHOLE_NODE_BYTES) {
        const [key, value] = keyValue(fields.message('a metadata entry'), 64 * 1024);
        if (key === SCOPES_KEY) scopes = parseNameScopes(value);
      }
    }
    this.add({ name, op, domain, inputs, outputs, attributes, scopes, subgraphNodes, constant });
  }

  private bigAttribute(f: Field): { attribute: GraphAttribute; constant?: { dtype: string; shape: number[] } } {
    const fields = new FileFields(this.file, f.start, f.end);
    let name = '';
    let declared = 0;
    let value = `${f.end - f.start} bytes (not read)`;
    let constant: { dtype: string; shape: number[] } | undefined;
    while (fields.pos < fields.end) {
      const a = fields.next();
      if (a.field === 1 && a.wire === WIRE_LENGTH) name = fields.text(a, 200);
      else if (a.field === 20 && a.wire === WIRE_VARINT) declared = fields.varint();
      else if (a.field === 5 && a.wire === WIRE_LENGTH) {
        const t = initializer(new FileFields(this.file, a.start, a.end));
        const shape = t.shape.filter((d): d is number => typeof d === 'number');
        value = `${t.dtype}[${shape.join(', ')}] (${a.end - a.start} bytes in the node)`;
        constant = { dtype: t.dtype, shape };
        declared ||= 4;
      } else if (a.wire !== WIRE_LENGTH) fields.skipScalar(a.wire);
      if (a.wire === WIRE_LENGTH) fields.pos = a.end;
    }
    return { attribute: { name, type: ATTRIBUTE_TYPES[declared] ?? 'undefined', value }, ...(constant ? { constant } : {}) };
  }

  private add(node: { name: string; op: string; domain: string; inputs: string[]; outputs: string[]; attributes: GraphAttribute[]; scopes?: string[] | undefined; subgraphNodes: number; constant: { dtype: string; shape: number[] } | undefined }): void {
    if (this.nodes.length >= MAX_GRAPH_NODES) {
      this.droppedNodes++;
      return;
    }
    const outputs = this.refs(node.outputs);
    // A Constant's output has the value's type: the one shape known without inference.
    if (node.constant && node.op === 'Constant' && outputs[0] !== undefined && outputs[0] >= 0) {
      const t = this.tensors.list[outputs[0]]!;
      t.dtype ??= node.constant.dtype;
      t.shape ??= node.constant.shape;
    }
    this.nodes.push({
      name: node.name,
      op: node.op,
      ...(node.domain && node.domain !== 'ai.onnx' ? { domain: node.domain } : {}),
      inputs: this.refs(node.inputs),
      outputs,
      ...(node.attributes.length ? { attributes: node.attributes } : {}),
      ...(node.scopes ? { scopes: node.scopes } : {}),
      ...(node.subgraphNodes ? { subgraphNodes: node.subgraphNodes } : {}),
    });
  }
}

/** The main graph of the ONNX model in `file`, for the graph view and its tool. */
export function readOnnxGraph(window: FileWindow): ModelGraph {
  const file = new ReadAhead(window);
  const model = new FileFields(file, 0, window.size);
  const builder = new GraphBuilder(file);
  const { tensors } = builder;
  const opsets: { domain: string; version: number }[] = [];
  const inputNames: string[] = [];
  const outputNames: string[] = [];
  const initializers = new Set<string>();
  const problems: string[] = [];
  let graphName = '';
  let sawGraph = false;
  let sparse = 0;
  const typed = (name: string, kind: TensorKind | undefined, type: { dtype: string; shape: readonly (number | string)[] }): void => {
    const t = tensors.get(name);
    if (!t) return;
    if (kind && t.kind !== 'initializer') t.kind = kind;
    if (type.dtype !== 'unknown' || t.dtype === undefined) t.dtype = type.dtype;
    if (type.shape.length > 0 || t.shape === undefined) t.shape = [...type.shape];
  };
  const graphWalk = (graph: FileFields): void => {
    while (graph.pos < graph.end) {
      const f = graph.next();
      if (f.wire !== WIRE_LENGTH) {
        graph.skipScalar(f.wire);
        continue;
      }
      if (f.field === 1) {
        if (f.end - f.start <= WHOLE_NODE_BYTES) builder.nodeFromBytes(graph.small(f, 'a node'));
        else builder.nodeFromFile(new FileFields(file, f.start, f.end));
      } else if (f.field === 5) {
        const init = initializer(new FileFields(file, f.start, f.end));
        const t = tensors.get(init.name);
        if (t) {
          initializers.add(init.name);
          t.kind = 'initializer';
          t.dtype = init.dtype;
          t.shape = [...init.shape];
          const width = onnxDtypeWidth(init.dtype) ?? 0;
          const bytes = init.externalRange?.length ?? (init.data && !init.external ? init.data.end - init.data.start : Math.ceil((elementCount(init.shape) ?? 0) * width));
          t.data = { bytes, ...(init.location !== undefined ? { location: init.location, offset: init.externalRange?.offset ?? 0 } : init.data ? { offset: init.data.start } : {}) };
        }
      } else if (f.field === 11) {
        const io = valueInfo(graph.small(f, 'a graph input'));
        inputNames.push(io.name);
        typed(io.name, 'input', io);
      } else if (f.field === 12) {
        const io = valueInfo(graph.small(f, 'a graph output'));
        outputNames.push(io.name);
        typed(io.name, 'output', io);
      } else if (f.field === 13) {
        const io = valueInfo(graph.small(f, 'a value_info'));
        typed(io.name, undefined, io);
      } else if (f.field === 2) graphName = graph.text(f, 200);
      else if (f.field === 15) sparse++;
      graph.pos = f.end;
    }
  };
  while (model.pos < window.size) {
    const f = model.next();
    if (f.wire !== WIRE_LENGTH) {
      model.skipScalar(f.wire);
      continue;
    }
    if (f.field === 7) {
      if (sawGraph) problems.push('the file holds more than one graph: the last one is shown');
      sawGraph = true;
      graphWalk(new FileFields(file, f.start, f.end));
    } else if (f.field === 8 && opsets.length < 1000) {
      const r = model.small(f, 'an opset');
      let domain = '';
      let version = 0;
      while (r.pos < r.end) {
        const k = r.key();
        if (k === tag(1, WIRE_LENGTH)) domain = fileText(r.bytes(), 200);
        else if (k === tag(2, WIRE_VARINT)) version = r.int64();
        else r.skip(k & 7);
      }
      opsets.push({ domain: domain || 'ai.onnx', version });
    }
    model.pos = f.end;
  }
  if (!sawGraph) throw new ModelFormatError('no graph: not an ONNX model (or an empty one)');
  if (builder.droppedNodes > 0) problems.push(`${builder.droppedNodes} nodes past the first ${MAX_GRAPH_NODES} are not shown`);
  if (tensors.dropped > 0) problems.push(`${tensors.dropped} references to tensors past the first ${MAX_TENSORS} names are not shown`);
  if (builder.droppedEdges > 0) problems.push(`${builder.droppedEdges} inputs or outputs of nodes with more than ${MAX_NODE_EDGES} are not shown`);
  if (sparse > 0) problems.push(`${sparse} sparse initializers are not shown`);
  const index = (names: string[]): number[] => [...new Set(names.filter((n) => !initializers.has(n)).map((n) => tensors.index(n)).filter((i) => i >= 0))];
  return {
    path: window.path,
    name: graphName,
    nodes: builder.nodes,
    tensors: tensors.list,
    inputs: index(inputNames),
    outputs: index(outputNames),
    opsets,
    problems,
  };
}
