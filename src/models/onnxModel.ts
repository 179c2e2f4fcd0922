import { ModelFormatError, type FileWindow } from './fileWindow';
import { elementCount, MAX_LISTED_TENSORS, type IoInfo, type ModelInfo, type TensorInfo } from './modelInfo';

// ONNX (docs/formats.md §5.3): the ModelProto walked field by field straight from the
// file. Small messages (nodes, value infos, opsets) are read whole; initializers are walked for
// their name, dims and type while raw_data and the typed data arrays are skipped by position, so
// a 1 GB model costs a few kilobytes of reading.

const DATA_TYPES: Record<number, [string, number]> = {
  1: ['float32', 4], 2: ['uint8', 1], 3: ['int8', 1], 4: ['uint16', 2], 5: ['int16', 2], 6: ['int32', 4], 7: ['int64', 8], 8: ['string', 0], 9: ['bool', 1], 10: ['float16', 2],
  11: ['float64', 8], 12: ['uint32', 4], 13: ['uint64', 8], 14: ['complex64', 8], 15: ['complex128', 16], 16: ['bfloat16', 2], 17: ['float8e4m3fn', 1], 18: ['float8e4m3fnuz', 1],
  19: ['float8e5m2', 1], 20: ['float8e5m2fnuz', 1], 21: ['uint4', 0.5], 22: ['int4', 0.5], 23: ['float4e2m1', 0.5], 24: ['float8e8m0', 1], 25: ['uint2', 0.25], 26: ['int2', 0.25],
};
const MAX_SMALL_MESSAGE = 64 * 1024 * 1024;
const MAX_DEPTH = 64;

/** A protobuf field walker over bytes in memory. */
export class Bytes {
  pos = 0;
  constructor(readonly data: Uint8Array, readonly end = data.length) {}
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ModelFormatError('a varint runs past its message');
      const byte = this.data[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return i === 9 && value >= 2 ** 63 ? value - 2 ** 64 : value;
      scale *= 128;
    }
    throw new ModelFormatError('a varint longer than 10 bytes');
  }
  bytes(): Uint8Array {
    const length = this.varint();
    if (this.pos + length > this.end) throw new ModelFormatError('a field runs past its message');
    const out = this.data.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  string(): string {
    return utf8.decode(this.bytes());
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const length = this.varint(); // read first: `pos += varint()` would add to the position before the varint
      this.pos += length;
    }
    else if (wire === 5) this.pos += 4;
    else throw new ModelFormatError(`wire type ${wire}: not protobuf, or damaged`);
    if (this.pos > this.end) throw new ModelFormatError('a field runs past its message');
  }
  /** Packed or unpacked repeated varints (int64 dims). */
  varints(wire: number, into: number[]): void {
    if (wire === 0) into.push(this.varint());
    else {
      const sub = new Bytes(this.bytes());
      while (sub.pos < sub.end) into.push(sub.varint());
    }
  }
}
const utf8 = new TextDecoder();

/** The same walk over the file, for the big messages (the model, the graph, initializers). */
class FileFields {
  constructor(private readonly file: FileWindow, public pos: number, readonly end: number) {}
  varint(): number {
    // Up to 10 bytes in one read when the file has them.
    const chunk = this.file.read(this.pos, Math.min(10, this.end - this.pos), 'a varint');
    const b = new Bytes(chunk);
    const value = b.varint();
    this.pos += b.pos;
    return value;
  }
  /** The next field's number, wire type and (for length-delimited fields) where it ends. */
  next(): { field: number; wire: number; start: number; end: number } {
    const key = this.varint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 2) {
      const length = this.varint();
      const start = this.pos;
      if (start + length > this.end) throw new ModelFormatError(`field ${field} at byte ${start} claims ${length} bytes: more than its message holds (truncated or damaged)`);
      return { field, wire, start, end: start + length };
    }
    return { field, wire, start: this.pos, end: this.pos };
  }
  skipScalar(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new ModelFormatError(`wire type ${wire} at byte ${this.pos}: not an ONNX model, or damaged`);
  }
  small(start: number, end: number, what: string): Bytes {
    if (end - start > MAX_SMALL_MESSAGE) throw new ModelFormatError(`${what} at byte ${start} is ${end - start} bytes`);
    return new Bytes(this.file.read(start, end - start, what));
  }
}

function typeOf(bytes: Bytes): { dtype: string; shape: (number | string)[] } {
  // TypeProto { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } } }
  let dtype = 'unknown';
  const shape: (number | string)[] = [];
  while (bytes.pos < bytes.end) {
    const key = bytes.varint();
    if (key >>> 3 === 1 && (key & 7) === 2) {
      const tensor = new Bytes(bytes.bytes());
      while (tensor.pos < tensor.end) {
        const k = tensor.varint();
        if (k >>> 3 === 1 && (k & 7) === 0) dtype = DATA_TYPES[tensor.varint()]?.[0] ?? 'unknown';
        else if (k >>> 3 === 2 && (k & 7) === 2) {
          const dims = new Bytes(tensor.bytes());
          while (dims.pos < dims.end) {
            const dk = dims.varint();
            if (dk >>> 3 === 1 && (dk & 7) === 2) {
              const dim = new Bytes(dims.bytes());
              let value: number | string = '?';
              while (dim.pos < dim.end) {
                const f = dim.varint();
                if (f >>> 3 === 1 && (f & 7) === 0) value = dim.varint();
                else if (f >>> 3 === 2 && (f & 7) === 2) value = dim.string();
                else dim.skip(f & 7);
              }
              shape.push(value);
            } else dims.skip(dk & 7);
          }
        } else tensor.skip(k & 7);
      }
    } else if (key >>> 3 === 4 && (key & 7) === 2) {
      dtype = 'sequence';
      bytes.skip(2);
    } else if (key >>> 3 === 5 && (key & 7) === 2) {
      dtype = 'map';
      bytes.skip(2);
    } else bytes.skip(key & 7);
  }
  return { dtype, shape };
}

function valueInfo(bytes: Bytes): IoInfo {
  let name = '';
  let type = { dtype: 'unknown', shape: [] as (number | string)[] };
  while (bytes.pos < bytes.end) {
    const key = bytes.varint();
    if (key >>> 3 === 1 && (key & 7) === 2) name = bytes.string();
    else if (key >>> 3 === 2 && (key & 7) === 2) type = typeOf(new Bytes(bytes.bytes()));
    else bytes.skip(key & 7);
  }
  return { name, ...type };
}

function keyValue(bytes: Bytes): [string, string] {
  let key = '';
  let value = '';
  while (bytes.pos < bytes.end) {
    const k = bytes.varint();
    if (k >>> 3 === 1 && (k & 7) === 2) key = bytes.string();
    else if (k >>> 3 === 2 && (k & 7) === 2) value = bytes.string();
    else bytes.skip(k & 7);
  }
  return [key, value];
}

interface Initializer extends TensorInfo {
  readonly external?: Record<string, string>;
}

/** An initializer's name, dims and type, skipping its data wherever it is in the message. */
function initializer(fields: FileFields, end: number): Initializer {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const external: Record<string, string> = {};
  let location = 0;
  while (fields.pos < end) {
    const f = fields.next();
    if (f.wire === 2) {
      if (f.field === 8) name = utf8.decode(fields.small(f.start, f.end, 'a tensor name').data);
      else if (f.field === 1) fields.small(f.start, f.end, 'packed dims').varints(2, dims);
      else if (f.field === 13) {
        const [k, v] = keyValue(fields.small(f.start, f.end, 'external data entry'));
        external[k] = v;
      }
      fields.pos = f.end; // raw_data (9), float_data (4) … are skipped here, unread
    } else if (f.field === 1 && f.wire === 0) dims.push(fields.varint());
    else if (f.field === 2 && f.wire === 0) dataType = fields.varint();
    else if (f.field === 14 && f.wire === 0) location = fields.varint();
    else fields.skipScalar(f.wire);
  }
  const dtype = DATA_TYPES[dataType]?.[0] ?? `type ${dataType}`;
  return { name, dtype, shape: dims, ...(location === 1 || external.location ? { external } : {}) };
}

export function readOnnx(file: FileWindow): ModelInfo {
  const model = new FileFields(file, 0, file.size);
  const facts: { label: string; value: string }[] = [];
  const metadata: Record<string, string> = {};
  const opsets: { domain: string; version: number }[] = [];
  const operators: Record<string, number> = {};
  const inputs: IoInfo[] = [];
  const outputs: IoInfo[] = [];
  const initializers: Initializer[] = [];
  const initializerNames = new Set<string>();
  const bytesByDtype: Record<string, number> = {};
  const problems: string[] = [];
  const externalFiles = new Set<string>();
  let parameters = 0;
  let count = 0;
  let sawGraph = false;
  /** Nodes inside If / Loop / Scan bodies: counted apart from the main graph's operators. */
  let subgraphNodes = 0;
  let depth = 0;
  const graphWalk = (start: number, end: number, top: boolean): void => {
    if (++depth > MAX_DEPTH) throw new ModelFormatError('graphs nested too deep');
    const graph = new FileFields(file, start, end);
    while (graph.pos < end) {
      const f = graph.next();
      if (f.wire !== 2) {
        graph.skipScalar(f.wire);
        continue;
      }
      if (f.field === 1) {
        // NodeProto: count op_type; subgraphs of If/Loop/Scan (attribute g / graphs) are walked too
        const node = graph.small(f.start, f.end, 'a node');
        let op = '';
        while (node.pos < node.end) {
          const k = node.varint();
          if (k >>> 3 === 4 && (k & 7) === 2) op = node.string();
          else if (k >>> 3 === 5 && (k & 7) === 2) {
            const attr = node.bytes();
            const a = new Bytes(attr);
            while (a.pos < a.end) {
              const ak = a.varint();
              if ((ak >>> 3 === 6 || ak >>> 3 === 11) && (ak & 7) === 2) {
                const sub = a.bytes();
                const offset = f.start + (node.pos - attr.length) + (a.pos - sub.length);
                graphWalk(offset, offset + sub.length, false);
              } else a.skip(ak & 7);
            }
          } else node.skip(k & 7);
        }
        if (op && top) operators[op] = (operators[op] ?? 0) + 1;
        else if (op) subgraphNodes++;
      } else if (f.field === 5 && top) {
        const tensor = initializer(new FileFields(file, f.start, f.end), f.end);
        count++;
        initializerNames.add(tensor.name);
        const n = elementCount(tensor.shape) ?? 0;
        parameters += n;
        const width = Object.values(DATA_TYPES).find(([name]) => name === tensor.dtype)?.[1] ?? 0;
        bytesByDtype[tensor.dtype] = (bytesByDtype[tensor.dtype] ?? 0) + Math.ceil(n * width);
        if (tensor.external?.location) externalFiles.add(tensor.external.location);
        if (initializers.length < MAX_LISTED_TENSORS) initializers.push(tensor);
      } else if (f.field === 11 && top) inputs.push(valueInfo(graph.small(f.start, f.end, 'a graph input')));
      else if (f.field === 12 && top) outputs.push(valueInfo(graph.small(f.start, f.end, 'a graph output')));
      else if (f.field === 2 && top) facts.push({ label: 'Graph', value: utf8.decode(graph.small(f.start, f.end, 'the graph name').data) });
      graph.pos = f.end;
    }
    depth--;
  };
  while (model.pos < file.size) {
    const f = model.next();
    if (f.wire !== 2) {
      if (f.field === 1 && f.wire === 0) facts.unshift({ label: 'IR version', value: String(model.varint()) });
      else if (f.field === 5 && f.wire === 0) facts.push({ label: 'Model version', value: String(model.varint()) });
      else model.skipScalar(f.wire);
      continue;
    }
    const text = (): string => utf8.decode(model.small(f.start, f.end, `field ${f.field}`).data);
    if (f.field === 7) {
      sawGraph = true;
      graphWalk(f.start, f.end, true);
    } else if (f.field === 2) facts.push({ label: 'Producer', value: text() });
    else if (f.field === 3) facts.push({ label: 'Producer version', value: text() });
    else if (f.field === 4) facts.push({ label: 'Domain', value: text() });
    else if (f.field === 6) {
      const doc = text().slice(0, 2000);
      if (doc) metadata.doc_string = doc;
    }
    else if (f.field === 8) {
      const b = model.small(f.start, f.end, 'an opset');
      let domain = '';
      let version = 0;
      while (b.pos < b.end) {
        const k = b.varint();
        if (k >>> 3 === 1 && (k & 7) === 2) domain = b.string();
        else if (k >>> 3 === 2 && (k & 7) === 0) version = b.varint();
        else b.skip(k & 7);
      }
      opsets.push({ domain: domain || 'ai.onnx', version });
    } else if (f.field === 14) {
      const [k, v] = keyValue(model.small(f.start, f.end, 'a metadata entry'));
      metadata[k] = v;
    }
    model.pos = f.end;
  }
  if (!sawGraph) throw new ModelFormatError('no graph: not an ONNX model (or an empty one)');
  for (const location of externalFiles) {
    if (location.includes('..') || location.startsWith('/') || /^[A-Za-z]:/.test(location)) problems.push(`external data "${location}" points outside the model's folder: not read`);
  }
  const sortedOps = Object.fromEntries(Object.entries(operators).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
  return {
    format: 'onnx',
    path: file.path,
    fileBytes: file.size,
    facts: [
      ...facts.filter((f) => f.value !== '' && !(f.label === 'Model version' && f.value === '0')),
      { label: 'Opsets', value: opsets.map((o) => `${o.domain} ${o.version}`).join(', ') },
      ...(subgraphNodes > 0 ? [{ label: 'Nodes in subgraphs', value: String(subgraphNodes) }] : []),
    ],
    tensorCount: count,
    parameterCount: parameters,
    bytesByDtype,
    tensors: initializers.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
    // Old IR versions list initializers among the inputs too: the real inputs are the others.
    inputs: inputs.filter((i) => !initializerNames.has(i.name)),
    outputs,
    opsets,
    operators: sortedOps,
    metadata,
    ...(externalFiles.size > 0 ? { externalData: [...externalFiles] } : {}),
    bytesRead: file.bytesRead,
    problems,
  };
}
