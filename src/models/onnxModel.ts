import { describeLength, ProtobufReader, WIRE_LENGTH, WIRE_VARINT } from '../common/protobuf/protobufReader';
import { ModelFormatError, type FileWindow } from './fileWindow';
import { countUp, elementCount, fileText, MAX_LISTED_ITEMS, MAX_LISTED_TENSORS, sortedCounts, type IoInfo, type ModelInfo, type TensorInfo } from './modelInfo';

// ONNX (docs/formats.md §5.3): the ModelProto walked field by field straight from the file. Small
// messages (nodes, value infos, opsets) are read whole; initializers are walked for their name,
// dims and type while raw_data and the typed data arrays are skipped by position, so a 1 GB model
// costs a few kilobytes of reading. Subgraphs (If / Loop / Scan bodies) are walked inside their
// node's bytes, already read. Everything kept is capped, so a hostile file costs its size in
// time and little memory.

const DATA_TYPES = new Map<number, [string, number]>([
  [1, ['float32', 4]], [2, ['uint8', 1]], [3, ['int8', 1]], [4, ['uint16', 2]], [5, ['int16', 2]], [6, ['int32', 4]], [7, ['int64', 8]], [8, ['string', 0]], [9, ['bool', 1]], [10, ['float16', 2]],
  [11, ['float64', 8]], [12, ['uint32', 4]], [13, ['uint64', 8]], [14, ['complex64', 8]], [15, ['complex128', 16]], [16, ['bfloat16', 2]], [17, ['float8e4m3fn', 1]], [18, ['float8e4m3fnuz', 1]],
  [19, ['float8e5m2', 1]], [20, ['float8e5m2fnuz', 1]], [21, ['uint4', 0.5]], [22, ['int4', 0.5]], [23, ['float4e2m1', 0.5]], [24, ['float8e8m0', 1]], [25, ['uint2', 0.25]], [26, ['int2', 0.25]],
]);
const WIDTHS = new Map([...DATA_TYPES.values()]);
/** The name of an ONNX TensorProto.DataType code (`float32`), and its width in bytes (0 for strings). */
export const onnxDataType = (code: number): [string, number] | undefined => DATA_TYPES.get(code);
export const onnxDtypeWidth = (dtype: string): number | undefined => WIDTHS.get(dtype);
const MAX_SMALL_MESSAGE = 64 * 1024 * 1024;
const MAX_DEPTH = 64;
const MAX_RANK = 64;
/** Distinct operator names counted; past it, a file is making names up. */
const MAX_OPERATORS = 10_000;
/** Characters of initializer names kept to tell real inputs from initializers listed as inputs (old IR versions). */
const MAX_NAME_CHARS = 16 * 1024 * 1024;
const modelError = (message: string): Error => new ModelFormatError(message);

/** The shared protobuf reader, failing with the model readers' error (the optimizers' rewriters use it too). */
export class Bytes extends ProtobufReader {
  constructor(data: Uint8Array, end = data.length) {
    super(data, 0, end, modelError);
  }
  /** Packed or unpacked repeated int64 dims. */
  varints(wire: number, into: number[]): void {
    this.int64s(wire, into, MAX_RANK, 'dimensions');
  }
}

export interface Field {
  readonly field: number;
  readonly wire: number;
  /** For length-delimited fields, where the payload starts and ends; else the value's position. */
  readonly start: number;
  readonly end: number;
}

/** The same walk over the file, for the big messages (the model, the graph, initializers). */
export class FileFields {
  constructor(
    private readonly file: Pick<FileWindow, 'read'>,
    public pos: number,
    readonly end: number,
  ) {}
  /** A reader over the next bytes of the message (a key and a length take at most 20). */
  private ahead(n: number): ProtobufReader {
    return new ProtobufReader(this.file.read(this.pos, Math.min(n, this.end - this.pos), 'a field'), 0, undefined, modelError, this.pos);
  }
  varint(): number {
    const r = this.ahead(10);
    const value = r.varint();
    this.pos += r.pos;
    return value;
  }
  int64(): number {
    const r = this.ahead(10);
    const value = r.int64();
    this.pos += r.pos;
    return value;
  }
  /** The next field's number, wire type and (for length-delimited fields) where it ends. */
  next(): Field {
    const at = this.pos;
    const r = this.ahead(20);
    const key = r.key();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE_LENGTH) {
      const length = r.varint();
      const start = at + r.pos;
      if (length > this.end - start) throw new ModelFormatError(`field ${field} at byte ${at} claims ${describeLength(length)}: more than its message holds (truncated or damaged)`);
      this.pos = start;
      return { field, wire, start, end: start + length };
    }
    this.pos = at + r.pos;
    return { field, wire, start: this.pos, end: this.pos };
  }
  skipScalar(wire: number): void {
    const r = this.ahead(10);
    r.skip(wire);
    this.pos += r.pos;
  }
  small(f: Field, what: string): ProtobufReader {
    if (f.end - f.start > MAX_SMALL_MESSAGE) throw new ModelFormatError(`${what} at byte ${f.start} is ${f.end - f.start} bytes`);
    return new ProtobufReader(this.file.read(f.start, f.end - f.start, what), 0, undefined, modelError, f.start);
  }
  /** The first `max` bytes of a text field, as text. */
  text(f: Field, max?: number): string {
    const n = Math.min(f.end - f.start, (max ?? 1000) + 1);
    return fileText(this.file.read(f.start, n, 'a text field'), max);
  }
}

export function typeOf(r: ProtobufReader): { dtype: string; shape: (number | string)[] } {
  // TypeProto { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } } }
  let dtype = 'unknown';
  const shape: (number | string)[] = [];
  while (r.pos < r.end) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LENGTH)) {
      const tensor = r.message();
      while (tensor.pos < tensor.end) {
        const k = tensor.key();
        if (k === ((1 << 3) | WIRE_VARINT)) dtype = DATA_TYPES.get(tensor.varint())?.[0] ?? 'unknown';
        else if (k === ((2 << 3) | WIRE_LENGTH)) {
          const dims = tensor.message();
          while (dims.pos < dims.end) {
            const dk = dims.key();
            if (dk !== ((1 << 3) | WIRE_LENGTH)) {
              dims.skip(dk & 7);
              continue;
            }
            if (shape.length >= MAX_RANK) throw new ModelFormatError(`a shape at byte ${dims.pos} has more than ${MAX_RANK} dimensions`);
            const dim = dims.message();
            let value: number | string = '?';
            while (dim.pos < dim.end) {
              const f = dim.key();
              if (f === ((1 << 3) | WIRE_VARINT)) value = dim.int64();
              else if (f === ((2 << 3) | WIRE_LENGTH)) value = fileText(dim.bytes(), 200);
              else dim.skip(f & 7);
            }
            shape.push(value);
          }
        } else tensor.skip(k & 7);
      }
    } else if (key === ((4 << 3) | WIRE_LENGTH)) {
      dtype = 'sequence';
      r.skip(WIRE_LENGTH);
    } else if (key === ((5 << 3) | WIRE_LENGTH)) {
      dtype = 'map';
      r.skip(WIRE_LENGTH);
    } else r.skip(key & 7);
  }
  return { dtype, shape };
}

export function valueInfo(r: ProtobufReader): IoInfo {
  let name = '';
  let type = { dtype: 'unknown', shape: [] as (number | string)[] };
  while (r.pos < r.end) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LENGTH)) name = fileText(r.bytes());
    else if (key === ((2 << 3) | WIRE_LENGTH)) type = typeOf(r.message());
    else r.skip(key & 7);
  }
  return { name, ...type };
}

/** A StringStringEntryProto: key and value, each cut to `max` bytes. */
export function keyValue(r: ProtobufReader, max = 2000): [string, string] {
  let key = '';
  let value = '';
  while (r.pos < r.end) {
    const k = r.key();
    if (k === ((1 << 3) | WIRE_LENGTH)) key = fileText(r.bytes(), 200);
    else if (k === ((2 << 3) | WIRE_LENGTH)) value = fileText(r.bytes(), max);
    else r.skip(k & 7);
  }
  return [key, value];
}

export interface Initializer extends TensorInfo {
  /** The external data location, when the tensor's data is in another file. */
  readonly location?: string;
  readonly external: boolean;
  /** Where its values are in this file (raw_data or a typed array field): the field number and bytes. */
  readonly data?: { readonly field: number; readonly start: number; readonly end: number };
  /** The external data entries `offset` and `length` (bytes in the `location` file). */
  readonly externalRange?: { readonly offset: number; readonly length?: number };
}

/** TensorProto fields holding values: float_data 4, int32_data 5, int64_data 7, raw_data 9, double_data 10, uint64_data 11 (packed). */
const TENSOR_DATA_FIELDS = new Set([4, 5, 7, 9, 10, 11]);

/** An initializer's name, dims and type, skipping its data wherever it is in the message (its position noted). */
export function initializer(fields: FileFields): Initializer {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let location: string | undefined;
  let dataLocation = 0;
  let data: Initializer['data'];
  const range: { offset?: number; length?: number } = {};
  while (fields.pos < fields.end) {
    const f = fields.next();
    if (f.wire === WIRE_LENGTH) {
      if (f.field === 8) name = fields.text(f);
      else if (f.field === 1) fields.small(f, 'packed dims').packedInt64s(dims, MAX_RANK, 'dimensions');
      else if (f.field === 13) {
        const [k, v] = keyValue(fields.small(f, 'an external data entry'), 4096);
        if (k === 'location') location = v;
        else if ((k === 'offset' || k === 'length') && /^\d{1,16}$/.test(v)) range[k] = Number(v);
      } else if (TENSOR_DATA_FIELDS.has(f.field)) data = { field: f.field, start: f.start, end: f.end };
      fields.pos = f.end; // raw_data (9), float_data (4) … are skipped here, unread
    } else if (f.field === 1 && f.wire === WIRE_VARINT) {
      if (dims.length >= MAX_RANK) throw new ModelFormatError(`a tensor at byte ${f.start} has more than ${MAX_RANK} dimensions`);
      dims.push(fields.int64());
    } else if (f.field === 2 && f.wire === WIRE_VARINT) dataType = fields.varint();
    else if (f.field === 14 && f.wire === WIRE_VARINT) dataLocation = fields.varint();
    else fields.skipScalar(f.wire);
  }
  const dtype = DATA_TYPES.get(dataType)?.[0] ?? (dataType < 1000 ? `type ${dataType}` : 'unknown');
  return {
    name,
    dtype,
    shape: dims,
    external: dataLocation === 1 || location !== undefined,
    ...(location !== undefined ? { location, externalRange: { offset: range.offset ?? 0, ...(range.length !== undefined ? { length: range.length } : {}) } } : {}),
    ...(data ? { data } : {}),
  };
}

/** What the walk of the graphs counts and keeps. */
class OnnxWalk {
  readonly operators = new Map<string, number>();
  subgraphNodes = 0;
  depth = 0;
  private otherOperators = 0;

  /** A NodeProto read whole: its op_type, counted in the main graph or as a subgraph node; its subgraphs walked. */
  node(r: ProtobufReader, top: boolean): void {
    let op = '';
    while (r.pos < r.end) {
      const k = r.key();
      if (k === ((4 << 3) | WIRE_LENGTH)) op = fileText(r.bytes(), 200);
      else if (k === ((5 << 3) | WIRE_LENGTH)) {
        // AttributeProto: g = 6 (GraphProto), graphs = 11 (repeated GraphProto)
        const attribute = r.message();
        while (attribute.pos < attribute.end) {
          const ak = attribute.key();
          if (ak === ((6 << 3) | WIRE_LENGTH) || ak === ((11 << 3) | WIRE_LENGTH)) this.subgraph(attribute.message());
          else if (ak === ((5 << 3) | WIRE_LENGTH) || ak === ((10 << 3) | WIRE_LENGTH)) this.externalLocation(attribute.message()); // t, tensors
          else attribute.skip(ak & 7);
        }
      } else r.skip(k & 7);
    }
    if (!op) return;
    if (!top) this.subgraphNodes++;
    else if (this.operators.size < MAX_OPERATORS || this.operators.has(op)) countUp(this.operators, op);
    else this.otherOperators++;
  }

  /** A subgraph's nodes (its inputs, outputs and initializers are the body's own, not the model's). */
  subgraph(r: ProtobufReader): void {
    if (++this.depth > MAX_DEPTH) throw new ModelFormatError(`graphs nested more than ${MAX_DEPTH} deep`);
    while (r.pos < r.end) {
      const k = r.key();
      if (k === ((1 << 3) | WIRE_LENGTH)) this.node(r.message(), false);
      else if (k === ((5 << 3) | WIRE_LENGTH)) this.externalLocation(r.message()); // initializer
      else r.skip(k & 7);
    }
    this.depth--;
  }

  /** External data files named by tensors inside nodes (subgraph initializers, attribute tensors): listed and confined as the graph's own. */
  readonly externalLocations = new Set<string>();

  private externalLocation(r: ProtobufReader): void {
    while (r.pos < r.end) {
      const k = r.key();
      if (k !== ((13 << 3) | WIRE_LENGTH)) r.skip(k & 7);
      else {
        const [key, value] = keyValue(r.message(), 4096);
        if (key === 'location' && this.externalLocations.size < MAX_LISTED_ITEMS) this.externalLocations.add(value);
      }
    }
  }

  operatorCounts(): Record<string, number> {
    const counts = sortedCounts(this.operators);
    return this.otherOperators > 0 ? { ...counts, [`(${this.otherOperators} nodes of other operators)`]: this.otherOperators } : counts;
  }
}

export function readOnnx(file: FileWindow): ModelInfo {
  const model = new FileFields(file, 0, file.size);
  const facts = new Map<string, string>();
  const metadata = new Map<string, string>();
  const opsets: { domain: string; version: number }[] = [];
  const inputs: IoInfo[] = [];
  const outputs: IoInfo[] = [];
  const initializers: Initializer[] = [];
  const initializerNames = new Set<string>();
  let nameChars = 0;
  const bytesByDtype = new Map<string, number>();
  const problems: string[] = [];
  const externalFiles = new Set<string>();
  let unlisted = 0;
  let parameters = 0;
  let count = 0;
  let sawGraph = false;
  const walk = new OnnxWalk();
  const listed = <T>(list: T[], item: () => T): void => {
    if (list.length < MAX_LISTED_ITEMS) list.push(item());
    else unlisted++;
  };
  const graphWalk = (graph: FileFields): void => {
    while (graph.pos < graph.end) {
      const f = graph.next();
      if (f.wire !== WIRE_LENGTH) {
        graph.skipScalar(f.wire);
        continue;
      }
      if (f.field === 1) walk.node(graph.small(f, 'a node'), true);
      else if (f.field === 5) {
        const tensor = initializer(new FileFields(file, f.start, f.end));
        count++;
        if (nameChars < MAX_NAME_CHARS) {
          initializerNames.add(tensor.name);
          nameChars += tensor.name.length + 1;
        }
        const n = elementCount(tensor.shape) ?? 0;
        parameters += n;
        countUp(bytesByDtype, tensor.dtype, Math.ceil(n * (WIDTHS.get(tensor.dtype) ?? 0)));
        if (tensor.location !== undefined && externalFiles.size < MAX_LISTED_ITEMS) externalFiles.add(tensor.location);
        if (initializers.length < MAX_LISTED_TENSORS) initializers.push(tensor);
      } else if (f.field === 11) listed(inputs, () => valueInfo(graph.small(f, 'a graph input')));
      else if (f.field === 12) listed(outputs, () => valueInfo(graph.small(f, 'a graph output')));
      else if (f.field === 2) facts.set('Graph', graph.text(f));
      graph.pos = f.end;
    }
  };
  while (model.pos < file.size) {
    const f = model.next();
    if (f.wire !== WIRE_LENGTH) {
      if (f.field === 1 && f.wire === WIRE_VARINT) facts.set('IR version', String(model.varint()));
      else if (f.field === 5 && f.wire === WIRE_VARINT) facts.set('Model version', String(model.varint()));
      else model.skipScalar(f.wire);
      continue;
    }
    if (f.field === 7) {
      sawGraph = true;
      graphWalk(new FileFields(file, f.start, f.end));
    } else if (f.field === 2) facts.set('Producer', model.text(f));
    else if (f.field === 3) facts.set('Producer version', model.text(f));
    else if (f.field === 4) facts.set('Domain', model.text(f));
    else if (f.field === 6) {
      const doc = model.text(f, 2000);
      if (doc) metadata.set('doc_string', doc);
    } else if (f.field === 8) {
      const r = model.small(f, 'an opset');
      let domain = '';
      let version = 0;
      while (r.pos < r.end) {
        const k = r.key();
        if (k === ((1 << 3) | WIRE_LENGTH)) domain = fileText(r.bytes(), 200);
        else if (k === ((2 << 3) | WIRE_VARINT)) version = r.int64();
        else r.skip(k & 7);
      }
      listed(opsets, () => ({ domain: domain || 'ai.onnx', version }));
    } else if (f.field === 14) {
      const [k, v] = keyValue(model.small(f, 'a metadata entry'));
      if (metadata.size < MAX_LISTED_ITEMS || metadata.has(k)) metadata.set(k, v);
      else unlisted++;
    }
    model.pos = f.end;
  }
  if (!sawGraph) throw new ModelFormatError('no graph: not an ONNX model (or an empty one)');
  for (const location of walk.externalLocations) if (externalFiles.size < MAX_LISTED_ITEMS) externalFiles.add(location);
  for (const location of externalFiles) {
    if (location.includes('..') || location.startsWith('/') || /^[A-Za-z]:/.test(location)) problems.push(`external data "${location}" points outside the model's folder: not read`);
  }
  if (unlisted > 0) problems.push(`${unlisted} more inputs, outputs, opsets or metadata entries than the ${MAX_LISTED_ITEMS} of each listed: not shown`);
  if (nameChars >= MAX_NAME_CHARS) problems.push('too many initializer names to tell them all from the graph inputs: some inputs listed may be weights');
  const order = ['IR version', 'Producer', 'Producer version', 'Domain', 'Model version', 'Graph'];
  return {
    format: 'onnx',
    path: file.path,
    fileBytes: file.size,
    facts: [
      ...order.flatMap((label) => {
        const value = facts.get(label);
        return value === undefined || value === '' || (label === 'Model version' && value === '0') ? [] : [{ label, value }];
      }),
      { label: 'Opsets', value: opsets.map((o) => `${o.domain} ${o.version}`).join(', ') },
      ...(walk.subgraphNodes > 0 ? [{ label: 'Nodes in subgraphs', value: String(walk.subgraphNodes) }] : []),
    ],
    tensorCount: count,
    parameterCount: parameters,
    bytesByDtype: Object.fromEntries(bytesByDtype),
    tensors: initializers.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    // Old IR versions list initializers among the inputs too: the real inputs are the others.
    inputs: inputs.filter((i) => !initializerNames.has(i.name)),
    outputs,
    opsets,
    operators: walk.operatorCounts(),
    metadata: Object.fromEntries(metadata),
    ...(externalFiles.size > 0 ? { externalData: [...externalFiles] } : {}),
    bytesRead: file.bytesRead,
    problems,
  };
}
