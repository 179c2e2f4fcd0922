// Protobuf encoding for the few messages an ONNX rewrite adds (nodes, tensors); everything else
// is copied from the original bytes, unknown fields included.

export function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  if (v < 0) throw new Error('negative varints are not written here');
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

export function tag(field: number, wire: number): number[] {
  return varintBytes(field * 8 + wire);
}

export function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  const head = [...tag(field, 2), ...varintBytes(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...tag(field, 0), ...varintBytes(value)]);
}

export function stringField(field: number, text: string): Uint8Array {
  return lengthDelimited(field, new TextEncoder().encode(text));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** onnx.NodeProto: input = 1, output = 2, name = 3, op_type = 4. */
export function nodeProto(opType: string, inputs: readonly string[], outputs: readonly string[], name: string): Uint8Array {
  return concat([...inputs.map((i) => stringField(1, i)), ...outputs.map((o) => stringField(2, o)), stringField(3, name), stringField(4, opType)]);
}

/** onnx.TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
export function tensorProto(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): Uint8Array {
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, dataType), stringField(8, name), lengthDelimited(9, raw)]);
}
