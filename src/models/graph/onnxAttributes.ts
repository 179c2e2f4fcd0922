import { type ProtobufReader, WIRE_FIXED32, WIRE_LENGTH, WIRE_VARINT } from '../../common/protobuf/protobufReader';
import { ModelFormatError } from '../fileWindow';
import { elementCount, fileText } from '../modelInfo';
import { onnxDataType, typeOf } from '../onnxModel';
import type { GraphAttribute } from './graphData';
import { forEachRawValue, formatValue, int32DataValue } from './tensorValues';

// A node's attributes for the graph view, each read whole from its AttributeProto: the value in
// words (a list cut to its first items, a small tensor with its values), and the nodes of the
// If/Loop/Scan bodies it holds. onnxGraph.ts reads the nodes; a big attribute (a Constant holding
// a weight) never comes here: onnxGraph summarises it from its header.

/** Graphs nested deeper than this are refused (a hostile file's recursion). */
export const MAX_DEPTH = 64;
const LIST_ITEMS = 16;
export const ATTRIBUTE_TYPES = ['undefined', 'float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors', 'graphs', 'sparse_tensor', 'sparse_tensors', 'type_proto', 'type_protos'];

export const tag = (field: number, wire: number): number => (field << 3) | wire;

/** A TensorProto held in memory (an attribute's value): `float32[2, 3]`, with its values when there are few. */
function tensorText(r: ProtobufReader): { text: string; dtype: string; shape: number[] } {
  let dtype = 'unknown';
  const shape: number[] = [];
  let raw: Uint8Array | undefined;
  const typed: { field: number; reader: ProtobufReader }[] = [];
  while (r.pos < r.end) {
    const k = r.key();
    if (k === tag(1, WIRE_VARINT) || k === tag(1, WIRE_LENGTH)) r.int64s(k & 7, shape, 64, 'dimensions');
    else if (k === tag(2, WIRE_VARINT)) dtype = onnxDataType(r.varint())?.[0] ?? 'unknown';
    else if (k === tag(9, WIRE_LENGTH)) raw = r.bytes();
    else if (k === tag(4, WIRE_LENGTH) || k === tag(5, WIRE_LENGTH) || k === tag(7, WIRE_LENGTH) || k === tag(10, WIRE_LENGTH)) typed.push({ field: k >>> 3, reader: r.message() });
    else if (k === tag(14, WIRE_VARINT) && r.varint() === 1) raw = undefined;
    else r.skip(k & 7);
  }
  const count = elementCount(shape) ?? 0;
  let text = `${dtype}[${shape.join(', ')}]`;
  if (count > 0 && count <= LIST_ITEMS) {
    const values: number[] = [];
    if (raw) forEachRawValue(dtype, raw, (v) => values.length < LIST_ITEMS && values.push(v));
    for (const { field, reader } of typed) {
      while (reader.pos < reader.end && values.length < LIST_ITEMS) {
        if (field === 4) values.push(reader.float());
        else if (field === 10) values.push(reader.double());
        else values.push(field === 5 ? int32DataValue(dtype, reader.int64()) : reader.int64());
      }
    }
    if (values.length === count) text += count === 1 && shape.length === 0 ? ` ${formatValue(values[0]!)}` : ` [${values.map(formatValue).join(', ')}]`;
  }
  return { text, dtype, shape };
}

/** Nodes in a GraphProto, its own subgraphs' included (for If, Loop and Scan bodies). */
function subgraphNodeCount(r: ProtobufReader, depth: number): number {
  if (depth > MAX_DEPTH) throw new ModelFormatError(`graphs nested more than ${MAX_DEPTH} deep`);
  let count = 0;
  while (r.pos < r.end) {
    const k = r.key();
    if (k !== tag(1, WIRE_LENGTH)) {
      r.skip(k & 7);
      continue;
    }
    count++;
    const node = r.message();
    while (node.pos < node.end) {
      const nk = node.key();
      if (nk !== tag(5, WIRE_LENGTH)) {
        node.skip(nk & 7);
        continue;
      }
      const attribute = node.message();
      while (attribute.pos < attribute.end) {
        const ak = attribute.key();
        if (ak === tag(6, WIRE_LENGTH) || ak === tag(11, WIRE_LENGTH)) count += subgraphNodeCount(attribute.message(), depth + 1);
        else attribute.skip(ak & 7);
      }
    }
  }
  return count;
}

function listText(items: readonly string[], total: number): string {
  return `[${items.join(', ')}${total > items.length ? `, … (${total})` : ''}]`;
}

/** An AttributeProto read whole: its value in words, and the nodes of the subgraphs it holds. */
export function attribute(r: ProtobufReader, depth: number): { attribute: GraphAttribute; subgraphNodes: number; constant?: { dtype: string; shape: number[] } } {
  let name = '';
  let declared = 0;
  const seen = new Map<string, string>();
  const list: string[] = [];
  let listTotal = 0;
  let listKind = '';
  let subgraphNodes = 0;
  let graphs = 0;
  let constant: { dtype: string; shape: number[] } | undefined;
  const push = (kind: string, text: string): void => {
    listKind = kind;
    listTotal++;
    if (list.length < LIST_ITEMS) list.push(text);
  };
  while (r.pos < r.end) {
    const k = r.key();
    const field = k >>> 3;
    const wire = k & 7;
    if (field === 1 && wire === WIRE_LENGTH) name = fileText(r.bytes(), 200);
    else if (field === 20 && wire === WIRE_VARINT) declared = r.varint();
    else if (field === 2 && wire === WIRE_FIXED32) seen.set('float', formatValue(r.float()));
    else if (field === 3 && wire === WIRE_VARINT) seen.set('int', String(r.int64()));
    else if (field === 4 && wire === WIRE_LENGTH) seen.set('string', JSON.stringify(fileText(r.bytes(), 200)));
    else if (field === 5 && wire === WIRE_LENGTH) {
      const t = tensorText(r.message());
      seen.set('tensor', t.text);
      constant = { dtype: t.dtype, shape: t.shape };
    } else if ((field === 6 || field === 11) && wire === WIRE_LENGTH) {
      graphs++;
      subgraphNodes += subgraphNodeCount(r.message(), depth + 1);
      seen.set(field === 6 ? 'graph' : 'graphs', '');
    } else if (field === 7 && wire === WIRE_FIXED32) push('floats', formatValue(r.float()));
    else if (field === 7 && wire === WIRE_LENGTH) {
      const packed = r.message();
      while (packed.pos < packed.end) push('floats', formatValue(packed.float()));
    } else if (field === 8 && wire === WIRE_VARINT) push('ints', String(r.int64()));
    else if (field === 8 && wire === WIRE_LENGTH) {
      const packed = r.message();
      while (packed.pos < packed.end) push('ints', String(packed.int64()));
    } else if (field === 9 && wire === WIRE_LENGTH) push('strings', JSON.stringify(fileText(r.bytes(), 100)));
    else if (field === 10 && wire === WIRE_LENGTH) push('tensors', tensorText(r.message()).text);
    else if (field === 21 && wire === WIRE_LENGTH) seen.set('ref', `(from the function's attribute ${fileText(r.bytes(), 200)})`);
    else if ((field === 14 || field === 15) && wire === WIRE_LENGTH) seen.set(field === 14 ? 'type_proto' : 'type_protos', typeText(r.message()));
    else if ((field === 22 || field === 23) && wire === WIRE_LENGTH) {
      r.skip(wire);
      seen.set(field === 22 ? 'sparse_tensor' : 'sparse_tensors', 'a sparse tensor (not shown)');
    } else r.skip(wire);
  }
  const type = ATTRIBUTE_TYPES[declared] ?? (listKind || [...seen.keys()][0] || 'undefined');
  let value: string;
  if (seen.has('ref')) value = seen.get('ref')!;
  else if (type === 'graph' || type === 'graphs') value = `${graphs === 1 ? 'a graph' : `${graphs} graphs`} of ${subgraphNodes} nodes`;
  else if (['floats', 'ints', 'strings', 'tensors'].includes(type)) value = listText(list, listTotal);
  else value = seen.get(type) ?? (type === 'int' ? '0' : type === 'float' ? '0' : type === 'string' ? '""' : listTotal ? listText(list, listTotal) : '');
  return { attribute: { name, type, value }, subgraphNodes, ...(constant ? { constant } : {}) };
}

function typeText(r: ProtobufReader): string {
  const { dtype, shape } = typeOf(r);
  return `${dtype}[${shape.join(', ')}]`;
}
