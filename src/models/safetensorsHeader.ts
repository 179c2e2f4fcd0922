import { parseBoundedJson } from './boundedJson';
import { ModelFormatError, type FileWindow } from './fileWindow';
import { countUp, elementCount, MAX_LISTED_ITEMS, MAX_LISTED_TENSORS, shortText, type ModelInfo, type TensorInfo } from './modelInfo';

// safetensors (docs/formats.md §5.1): u64 LE header size, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?}, then the data. Only the header
// is read, its nesting and size checked before it is parsed; names from the file are Map keys.

const MAX_HEADER = 100 * 1024 * 1024;
/** A header nests three deep; 4 million values is ~500,000 tensors. */
const HEADER_LIMITS = { maxDepth: 64, maxValues: 4_000_000 };
const DTYPE_BYTES = new Map(Object.entries({
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, C64: 8,
}));
const MAX_RANK = 64;
const MAX_PROBLEMS = 20;
/** Distinct dtype names counted (safetensors has 17): a file inventing more is damaged. */
const MAX_DTYPES = 64;

export function readSafetensors(file: FileWindow): ModelInfo {
  const head = file.read(0, 8, 'the header size');
  const size = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(MAX_HEADER)) throw new ModelFormatError(`the header claims ${size} bytes (more than safetensors' 100 MB limit): not a safetensors file, or damaged`);
  const headerBytes = Number(size);
  if (8 + headerBytes > file.size) throw new ModelFormatError(`the header claims ${headerBytes} bytes but the file has ${file.size - 8} after the size: truncated`);
  const header = parseBoundedJson(file.read(8, headerBytes, 'the JSON header'), 'the header', HEADER_LIMITS);
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new ModelFormatError('the header is not a JSON object');
  const dataBytes = file.size - 8 - headerBytes;
  const problems: string[] = [];
  let unlisted = 0;
  const problem = (text: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
    else unlisted++;
  };
  const tensors: TensorInfo[] = [];
  const bytesByDtype = new Map<string, number>();
  let parameters = 0;
  let count = 0;
  const metadata = new Map<string, string>();
  for (const [key, entry] of Object.entries(header as Record<string, unknown>)) {
    const name = shortText(key);
    if (key === '__metadata__') {
      if (entry && typeof entry === 'object') {
        for (const [k, v] of Object.entries(entry).slice(0, MAX_LISTED_ITEMS)) metadata.set(shortText(k, 200), shortText(typeof v === 'string' ? v : JSON.stringify(v), 2000));
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || e.shape.length > MAX_RANK || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      problem(`tensor "${name}": not {dtype, shape (up to ${MAX_RANK} sizes), data_offsets}`);
      continue;
    }
    const shape = e.shape as number[];
    const [begin, end] = e.data_offsets as [unknown, unknown];
    const dtype = DTYPE_BYTES.has(e.dtype) ? e.dtype : bytesByDtype.size < MAX_DTYPES ? shortText(e.dtype, 20) : 'other';
    count++;
    const n = elementCount(shape) ?? 0;
    parameters += n;
    const width = DTYPE_BYTES.get(e.dtype);
    if (typeof begin !== 'number' || typeof end !== 'number' || begin > end || end > dataBytes) problem(`tensor "${name}": data_offsets [${shortText(String(begin), 30)}, ${shortText(String(end), 30)}] lie outside the ${dataBytes} data bytes`);
    else if (width !== undefined && end - begin !== n * width) problem(`tensor "${name}": ${end - begin} bytes for ${n} ${dtype} values (expected ${n * width})`);
    countUp(bytesByDtype, dtype, typeof begin === 'number' && typeof end === 'number' && end >= begin ? end - begin : 0);
    if (tensors.length < MAX_LISTED_TENSORS) tensors.push({ name, dtype, shape });
  }
  if (unlisted > 0) problems.push(`… and ${unlisted} more problems like these`);
  const format = metadata.get('format');
  return {
    format: 'safetensors',
    path: file.path,
    fileBytes: file.size,
    facts: [{ label: 'Header', value: `${headerBytes} bytes` }, ...(format ? [{ label: 'Saved from', value: format }] : [])],
    tensorCount: count,
    parameterCount: parameters,
    bytesByDtype: Object.fromEntries(bytesByDtype),
    tensors,
    metadata: Object.fromEntries(metadata),
    bytesRead: file.bytesRead,
    problems,
  };
}
