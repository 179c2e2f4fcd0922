import { writeFileSync } from 'node:fs';

// Hostile model files for the readers-off-the-host tests, made the way issue 14's attack made
// them: small files whose structure sends a reader into a loop, or costs it far more than its size.

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

/**
 * A 4 KB ONNX file whose last field claims a negative length (a 10-byte varint): read as
 * "skip -4096 bytes", it sends the walk back to the start of the file, over and over.
 */
export function writeNegativeLengthOnnx(path: string): void {
  const filler = [...varint(98n * 8n + 2n), ...varint(4080n), ...new Array<number>(4080).fill(0x20)];
  const hostile = [...varint(99n * 8n + 2n), ...varint(-4096n)];
  const bytes = Buffer.from([...filler, ...hostile]);
  if (bytes.length !== 4096) throw new Error(`the hostile field must end at byte 4096, not ${bytes.length}`);
  writeFileSync(path, bytes);
}

/**
 * A real ONNX model (a graph of Relu nodes, one input and one output) of `nodes` nodes: valid,
 * and as slow to walk as it is large. With a small budget it stands for any file the readers
 * cannot finish in time, whatever the readers' own limits become.
 */
export function writeManyNodeOnnx(path: string, nodes: number): void {
  const bytes = (n: number): number[] => varint(BigInt(n));
  const field = (key: number, body: number[]): number[] => [...bytes(key), ...bytes(body.length), ...body];
  const str = (key: number, s: string): number[] => field(key, [...Buffer.from(s)]);
  const valueInfo = (name: string): number[] => [...str(0x0a, name), ...field(0x12, field(0x0a, [0x08, 0x01, ...field(0x12, field(0x0a, [0x08, 0x04]))]))];
  const parts: Buffer[] = [];
  const node = (i: number): number[] => field(0x0a, [...str(0x0a, i === 0 ? 'x' : `h${i - 1}`), ...str(0x12, i === nodes - 1 ? 'y' : `h${i}`), ...str(0x22, 'Relu')]);
  let graphLength = 0;
  const graphParts: Buffer[] = [];
  for (let i = 0; i < nodes; i += 10_000) {
    const chunk: number[] = [];
    for (let j = i; j < Math.min(nodes, i + 10_000); j++) chunk.push(...node(j));
    const b = Buffer.from(chunk);
    graphParts.push(b);
    graphLength += b.length;
  }
  const io = Buffer.from([...field(0x5a, valueInfo('x')), ...field(0x62, valueInfo('y'))]);
  graphLength += io.length;
  parts.push(Buffer.from([0x08, 0x08, ...str(0x12, 'hostile-test'), ...field(0x42, [0x08, 17]), 0x3a, ...bytes(graphLength)]), ...graphParts, io);
  writeFileSync(path, Buffer.concat(parts));
}
