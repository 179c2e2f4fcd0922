import { ModelFormatError, type FileWindow } from './fileWindow';
import { countUp, MAX_LISTED_TENSORS, shortText, type ModelInfo, type TensorInfo } from './modelInfo';

// GGUF (docs/formats.md §5.2): magic "GGUF", version, tensor and metadata counts, the
// key/value metadata (long arrays shortened), then tensor infos. Read through a moving window of
// the file; every count and length is checked against what the file can hold before it is used,
// arrays may nest only a few deep, and the items walked, the strings kept and the names used as
// keys (a Map) are bounded, so a hostile header costs a bounded walk.

const TYPES = ['UINT8', 'INT8', 'UINT16', 'INT16', 'UINT32', 'INT32', 'FLOAT32', 'BOOL', 'STRING', 'ARRAY', 'UINT64', 'INT64', 'FLOAT64'];
/** ggml types: name, elements per block, bytes per block. */
const GGML = new Map<number, [string, number, number]>([
  [0, ['F32', 1, 4]], [1, ['F16', 1, 2]], [2, ['Q4_0', 32, 18]], [3, ['Q4_1', 32, 20]], [6, ['Q5_0', 32, 22]], [7, ['Q5_1', 32, 24]], [8, ['Q8_0', 32, 34]], [9, ['Q8_1', 32, 36]],
  [10, ['Q2_K', 256, 84]], [11, ['Q3_K', 256, 110]], [12, ['Q4_K', 256, 144]], [13, ['Q5_K', 256, 176]], [14, ['Q6_K', 256, 210]], [15, ['Q8_K', 256, 292]],
  [16, ['IQ2_XXS', 256, 66]], [17, ['IQ2_XS', 256, 74]], [18, ['IQ3_XXS', 256, 98]], [19, ['IQ1_S', 256, 50]], [20, ['IQ4_NL', 32, 18]], [21, ['IQ3_S', 256, 110]], [22, ['IQ2_S', 256, 82]], [23, ['IQ4_XS', 256, 136]],
  [24, ['I8', 1, 1]], [25, ['I16', 1, 2]], [26, ['I32', 1, 4]], [27, ['I64', 1, 8]], [28, ['F64', 1, 8]], [29, ['IQ1_M', 256, 56]], [30, ['BF16', 1, 2]], [34, ['TQ1_0', 256, 54]], [35, ['TQ2_0', 256, 66]], [39, ['MXFP4', 32, 17]],
]);
/** Longest string read at all (a chat template is tens of kilobytes); of each, the first 1,000 characters are kept. */
const MAX_STRING = 64 * 1024 * 1024;
const KEPT_STRING = 1000;
const SHOWN_ARRAY_ITEMS = 8;
/** Arrays of arrays: the format allows them, files use one level (a few, at most). */
const MAX_ARRAY_DEPTH = 4;
/** Items walked in metadata arrays: a 256,000-token vocabulary with scores and types is under a million. */
const MAX_ARRAY_ITEMS = 16_000_000;
/** Tensors and metadata entries: models have thousands. */
const MAX_COUNT = 1_000_000;
const MAX_RANK = 8;

class Cursor {
  pos = 0;
  /** Array items walked so far (against MAX_ARRAY_ITEMS). */
  private items = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  constructor(private readonly file: FileWindow, private readonly littleEndian: boolean) {}

  private need(n: number, what: string): DataView {
    if (this.pos + n > this.file.size) throw new ModelFormatError(`${what} at byte ${this.pos} runs past the end of the file: truncated, or a count or length is wrong`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      this.bufStart = this.pos;
      this.buf = this.file.read(this.pos, Math.min(this.file.size - this.pos, Math.max(n, 1 << 20)), what);
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, n);
  }
  u32(what: string): number {
    return this.need(4, what).getUint32(0, this.littleEndian);
  }
  u64(what: string): number {
    const v = this.need(8, what).getBigUint64(0, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFormatError(`${what} at byte ${this.pos - 8} is ${v}: impossible`);
    return Number(v);
  }
  /** A string; only its first KEPT_STRING bytes are decoded (the rest is skipped, unread). */
  string(what: string): string {
    const length = this.u64(`${what} length`);
    if (length > MAX_STRING) throw new ModelFormatError(`${what} at byte ${this.pos - 8} claims ${length} bytes`);
    if (length > this.file.size - this.pos) throw new ModelFormatError(`${what} at byte ${this.pos} runs past the end of the file: truncated, or a count or length is wrong`);
    const kept = Math.min(length, KEPT_STRING);
    const view = this.need(kept, what);
    const text = new TextDecoder().decode(new Uint8Array(view.buffer, view.byteOffset, kept));
    if (length === kept) return text;
    this.skip(length - kept, what);
    return `${text}…`;
  }
  skip(n: number, what: string): void {
    if (this.pos + n > this.file.size) throw new ModelFormatError(`${what} at byte ${this.pos} runs past the end of the file`);
    this.pos += n;
  }
  value(type: number, what: string, depth = 0): unknown {
    const le = this.littleEndian;
    switch (type) {
      case 0: return this.need(1, what).getUint8(0);
      case 1: return this.need(1, what).getInt8(0);
      case 2: return this.need(2, what).getUint16(0, le);
      case 3: return this.need(2, what).getInt16(0, le);
      case 4: return this.need(4, what).getUint32(0, le);
      case 5: return this.need(4, what).getInt32(0, le);
      case 6: return this.need(4, what).getFloat32(0, le);
      case 7: return this.need(1, what).getUint8(0) !== 0;
      case 8: return this.string(what);
      case 10: return Number(this.need(8, what).getBigUint64(0, le));
      case 11: return Number(this.need(8, what).getBigInt64(0, le));
      case 12: return this.need(8, what).getFloat64(0, le);
      case 9: {
        if (depth >= MAX_ARRAY_DEPTH) throw new ModelFormatError(`${what}: arrays nested more than ${MAX_ARRAY_DEPTH} deep at byte ${this.pos}: not a GGUF file any tool writes, or damaged`);
        const itemType = this.u32(`${what} item type`);
        const length = this.u64(`${what} length`);
        const fixed = [1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8][itemType];
        if (fixed === undefined) throw new ModelFormatError(`${what}: unknown array item type ${itemType}`);
        // A string takes 8 bytes at least, an array 12: counts the file cannot hold are damage.
        const least = fixed > 0 ? fixed : itemType === 8 ? 8 : 12;
        if (least * length > this.file.size - this.pos) throw new ModelFormatError(`${what} claims ${length} items: more than the file holds`);
        const items: unknown[] = [];
        for (let i = 0; i < length; i++) {
          if (i < SHOWN_ARRAY_ITEMS) items.push(this.value(itemType, what, depth + 1));
          else if (fixed > 0) {
            this.skip(fixed * (length - i), what);
            break;
          } else this.value(itemType, what, depth + 1); // strings / nested arrays: walk, keep none
          if (++this.items > MAX_ARRAY_ITEMS) throw new ModelFormatError(`the metadata arrays hold more than ${MAX_ARRAY_ITEMS.toLocaleString('en-US')} items: too large to read`);
        }
        return { type: TYPES[itemType], length, items };
      }
      default:
        throw new ModelFormatError(`${what}: unknown value type ${type}`);
    }
  }
}

function show(value: unknown): string {
  if (value && typeof value === 'object' && 'length' in value && 'items' in value) {
    const v = value as { type: string; length: number; items: unknown[] };
    const items = shortText(v.items.map(show).join(', '), 2000);
    return v.length > v.items.length ? `[${items}, … ${v.length} ${v.type} items]` : `[${items}]`;
  }
  return typeof value === 'string' ? shortText(value, 200) : String(value);
}

export function readGguf(file: FileWindow): ModelInfo {
  const head = file.read(0, 8, 'the header');
  if (new TextDecoder('latin1').decode(head.subarray(0, 4)) !== 'GGUF') throw new ModelFormatError('not a GGUF file (it does not start with "GGUF")');
  const view = new DataView(head.buffer, head.byteOffset, 8);
  let littleEndian = true;
  let version = view.getUint32(4, true);
  if (version > 0xffff && view.getUint32(4, false) <= 0xffff) {
    littleEndian = false; // v3 files written on big-endian machines
    version = view.getUint32(4, false);
  }
  if (version === 1) throw new ModelFormatError('GGUF version 1 (32-bit counts, 2023) is not supported: convert it with a current llama.cpp');
  if (version > 3) throw new ModelFormatError(`GGUF version ${version} is newer than this reader (2 and 3)`);
  if (version !== 2 && version !== 3) throw new ModelFormatError(`GGUF version ${version} does not exist (versions are 1, 2 and 3): the file is damaged`);
  const c = new Cursor(file, littleEndian);
  c.pos = 8;
  const tensorCount = c.u64('the tensor count');
  const kvCount = c.u64('the metadata count');
  // Every key/value takes at least 12 bytes and every tensor info at least 24: counts the file cannot hold are damage.
  if (kvCount * 12 + tensorCount * 24 > file.size) throw new ModelFormatError(`the header claims ${tensorCount} tensors and ${kvCount} metadata entries: more than a ${file.size}-byte file can hold`);
  if (tensorCount > MAX_COUNT || kvCount > MAX_COUNT) throw new ModelFormatError(`the header claims ${tensorCount} tensors and ${kvCount} metadata entries: more than any model has (a million of either)`);
  const metadata = new Map<string, string>();
  const raw = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key ${i}`);
    const shown = shortText(key, 100);
    const type = c.u32(`the type of ${shown}`);
    const value = c.value(type, shown);
    raw.set(key, value);
    metadata.set(key, show(value));
  }
  const tensors: TensorInfo[] = [];
  const bytesByDtype = new Map<string, number>();
  const problems: string[] = [];
  let unknownTypes = 0;
  let parameters = 0;
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor ${i} name`);
    const shown = shortText(name, 100);
    const dims = c.u32(`tensor ${shown} dimension count`);
    if (dims > MAX_RANK) throw new ModelFormatError(`tensor ${shown} claims ${dims} dimensions`);
    const shape: number[] = [];
    for (let d = 0; d < dims; d++) shape.push(c.u64(`tensor ${shown} dimension`));
    const type = c.u32(`tensor ${shown} type`);
    c.u64(`tensor ${shown} offset`);
    const [dtype, block, blockBytes] = GGML.get(type) ?? [`type ${type}`, 0, 0];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(n)) throw new ModelFormatError(`tensor ${shown} claims ${shape.join(' x ')} elements: more than any file holds`);
    parameters += n;
    if (block > 0) countUp(bytesByDtype, dtype, Math.ceil(n / block) * blockBytes);
    else if (problems.length < 20) problems.push(`tensor ${shown}: unknown ggml type ${type}`);
    else unknownTypes++;
    // GGUF lists dimensions innermost first; show them as PyTorch would.
    if (tensors.length < MAX_LISTED_TENSORS) tensors.push({ name, dtype, shape: [...shape].reverse() });
  }
  if (unknownTypes > 0) problems.push(`… and ${unknownTypes} more tensors of unknown types`);
  const architecture = raw.get('general.architecture');
  const arch = typeof architecture === 'string' ? architecture : undefined;
  const fact = (label: string, key: string): { label: string; value: string }[] => {
    const value = metadata.get(key);
    return value !== undefined ? [{ label, value }] : [];
  };
  return {
    format: 'gguf',
    path: file.path,
    fileBytes: file.size,
    facts: [
      { label: 'GGUF version', value: String(version) + (littleEndian ? '' : ' (big-endian)') },
      ...fact('Architecture', 'general.architecture'),
      ...fact('Name', 'general.name'),
      ...fact('Size', 'general.size_label'),
      ...fact('File type', 'general.file_type'),
      ...(arch ? [...fact('Context length', `${arch}.context_length`), ...fact('Embedding', `${arch}.embedding_length`), ...fact('Blocks', `${arch}.block_count`), ...fact('Heads', `${arch}.attention.head_count`), ...fact('KV heads', `${arch}.attention.head_count_kv`)] : []),
      ...fact('Tokenizer', 'tokenizer.ggml.model'),
    ],
    tensorCount,
    parameterCount: parameters,
    bytesByDtype: Object.fromEntries(bytesByDtype),
    tensors,
    metadata: Object.fromEntries(metadata),
    bytesRead: file.bytesRead,
    problems,
  };
}
