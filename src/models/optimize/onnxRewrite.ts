import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { externalDataFile } from '../externalData';
import { ModelFormatError } from '../fileWindow';
import { Bytes } from '../onnxModel';
import { concat, lengthDelimited } from './protobufWrite';

// Reading an ONNX model's messages for a rewrite: each field with where it stands in the source,
// so a rewrite copies what it does not change byte for byte. Shared by the int8 and fp16 passes.

export interface Field {
  readonly field: number;
  readonly wire: number;
  /** The whole field (key, length, payload) in the source. */
  readonly from: number;
  readonly to: number;
  /** The payload of a length-delimited field. */
  readonly start: number;
  readonly end: number;
}

export function fields(data: Uint8Array, start: number, end: number): Field[] {
  const b = new Bytes(data, end);
  b.pos = start;
  const out: Field[] = [];
  while (b.pos < end) {
    const from = b.pos;
    const key = b.varint();
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 2) {
      const length = b.varint();
      const s = b.pos;
      if (s + length > end) throw new ModelFormatError(`field ${field} at byte ${s} runs past its message`);
      b.pos = s + length;
      out.push({ field, wire, from, to: b.pos, start: s, end: s + length });
    } else {
      b.skip(wire);
      out.push({ field, wire, from, to: b.pos, start: from, end: b.pos });
    }
  }
  return out;
}

export interface Initializer {
  name: string;
  dataType: number;
  dims: number[];
  raw?: Uint8Array;
  floats?: Float32Array;
  external?: Map<string, string>;
}

export function readInitializer(data: Uint8Array, f: Field): Initializer {
  const t: Initializer = { name: '', dataType: 0, dims: [] };
  const b = new Bytes(data, f.end);
  b.pos = f.start;
  while (b.pos < f.end) {
    const key = b.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 1) b.varints(wire, t.dims);
    else if (field === 2 && wire === 0) t.dataType = b.varint();
    else if (field === 8 && wire === 2) t.name = b.string();
    else if (field === 9 && wire === 2) t.raw = b.bytes();
    else if (field === 4 && wire === 2) {
      const packed = b.bytes();
      t.floats = new Float32Array(Uint8Array.from(packed).buffer);
    } else if (field === 13 && wire === 2) {
      const entry = new Bytes(b.bytes());
      let k = '';
      let v = '';
      while (entry.pos < entry.end) {
        const ek = entry.varint();
        if (ek === ((1 << 3) | 2)) k = entry.string();
        else if (ek === ((2 << 3) | 2)) v = entry.string();
        else entry.skip(ek & 7);
      }
      (t.external ??= new Map()).set(k, v);
    } else b.skip(wire);
  }
  return t;
}

/** An external tensor's bytes, read from its file beside the model (externalDataFile's rule: nothing outside the folder, no links). */
export function externalBytes(t: Initializer, modelDir: string): Uint8Array | undefined {
  const location = t.external?.get('location');
  if (location === undefined) return undefined;
  const offset = Number(t.external!.get('offset') ?? 0);
  // The rule takes the model's path; any name in its folder will do.
  const path = externalDataFile(join(modelDir, 'model.onnx'), location);
  const fileSize = statSync(path).size;
  const length = Number(t.external!.get('length') ?? fileSize - offset);
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset + length > fileSize) throw new ModelFormatError(`${t.name}: ${location} is shorter than its external data claims`);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer;
}

/** The float32 values of an initializer (inline raw_data, float_data, or external data). */
export function floatsOf(t: Initializer, modelDir: string): Float32Array | undefined {
  if (t.raw) return new Float32Array(Uint8Array.from(t.raw).buffer);
  if (t.floats) return t.floats;
  if (t.external) {
    const bytes = externalBytes(t, modelDir);
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (!bytes || bytes.length !== count * 4) return undefined;
    return new Float32Array(Uint8Array.from(bytes).buffer);
  }
  return undefined;
}

export function opsetOf(data: Uint8Array, model: Field[]): number {
  let version = 0;
  for (const f of model.filter((m) => m.field === 8 && m.wire === 2)) {
    let domain = '';
    let v = 0;
    const b = new Bytes(data, f.end);
    b.pos = f.start;
    while (b.pos < f.end) {
      const key = b.varint();
      if (key === ((1 << 3) | 2)) domain = b.string();
      else if (key === ((2 << 3) | 0)) v = b.varint();
      else b.skip(key & 7);
    }
    if (domain === '' || domain === 'ai.onnx') version = v;
  }
  return version;
}

export interface NodeInfo {
  field: Field;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

export function readNode(data: Uint8Array, f: Field): NodeInfo {
  const node: NodeInfo = { field: f, opType: '', domain: '', inputs: [], outputs: [] };
  for (const g of fields(data, f.start, f.end)) {
    const text = (): string => new TextDecoder().decode(data.subarray(g.start, g.end));
    if (g.wire !== 2) continue;
    if (g.field === 1) node.inputs.push(text());
    else if (g.field === 2) node.outputs.push(text());
    else if (g.field === 4) node.opType = text();
    else if (g.field === 7) node.domain = text();
  }
  return node;
}

/** Nodes of a graph, read (op type, domain, input and output names). */
export function graphNodes(data: Uint8Array, graphFields: readonly Field[]): NodeInfo[] {
  return graphFields.filter((f) => f.field === 1 && f.wire === 2).map((f) => readNode(data, f));
}

/** Makes names not in `taken` (base, base_2, …), adding each to it: new tensors never shadow old ones. */
export function uniqueNames(taken: Set<string>): (base: string) => string {
  return (base) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  };
}

/** An initializer whose data lives in an external file, as one field with that data inline (raw_data). */
export function inlinedInitializer(data: Uint8Array, field: Field, tensor: Initializer, modelDir: string): Uint8Array {
  const bytes = externalBytes(tensor, modelDir);
  if (!bytes) throw new ModelFormatError(`${tensor.name}: its external data cannot be read (location ${tensor.external?.get('location') ?? '?'})`);
  const kept = fields(data, field.start, field.end).filter((f) => f.field !== 13 && f.field !== 14 && f.field !== 9).map((f) => data.subarray(f.from, f.to));
  return lengthDelimited(5, concat([...kept, lengthDelimited(9, bytes)]));
}
