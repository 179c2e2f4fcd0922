import { ModelFormatError, type FileWindow } from './fileWindow';
import { elementCount, MAX_LISTED_TENSORS, type ModelInfo, type TensorInfo } from './modelInfo';

// safetensors (docs/formats.md §5.1): u64 LE header size, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, __metadata__?}, then the data. Only the header is read.

const MAX_HEADER = 100 * 1024 * 1024;
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, C64: 8,
};

export function readSafetensors(file: FileWindow): ModelInfo {
  const head = file.read(0, 8, 'the header size');
  const size = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (size > BigInt(MAX_HEADER)) throw new ModelFormatError(`the header claims ${size} bytes (more than safetensors' 100 MB limit): not a safetensors file, or damaged`);
  const headerBytes = Number(size);
  if (8 + headerBytes > file.size) throw new ModelFormatError(`the header claims ${headerBytes} bytes but the file has ${file.size - 8} after the size: truncated`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.read(8, headerBytes, 'the JSON header')));
  } catch (error) {
    throw new ModelFormatError(`the header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new ModelFormatError('the header is not a JSON object');
  const dataBytes = file.size - 8 - headerBytes;
  const problems: string[] = [];
  const tensors: TensorInfo[] = [];
  const bytesByDtype: Record<string, number> = {};
  let parameters = 0;
  let count = 0;
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') metadata = Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e?.dtype !== 'string' || !Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) || !Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) {
      problems.push(`tensor "${name}": not {dtype, shape, data_offsets}`);
      continue;
    }
    const shape = e.shape as number[];
    const [begin, end] = e.data_offsets as [unknown, unknown];
    count++;
    const n = elementCount(shape) ?? 0;
    parameters += n;
    const width = DTYPE_BYTES[e.dtype];
    if (typeof begin !== 'number' || typeof end !== 'number' || begin > end || end > dataBytes) problems.push(`tensor "${name}": data_offsets [${String(begin)}, ${String(end)}] lie outside the ${dataBytes} data bytes`);
    else if (width !== undefined && end - begin !== n * width) problems.push(`tensor "${name}": ${end - begin} bytes for ${n} ${e.dtype} values (expected ${n * width})`);
    bytesByDtype[e.dtype] = (bytesByDtype[e.dtype] ?? 0) + (typeof begin === 'number' && typeof end === 'number' ? Math.max(0, end - begin) : 0);
    if (tensors.length < MAX_LISTED_TENSORS) tensors.push({ name, dtype: e.dtype, shape });
  }
  return {
    format: 'safetensors',
    path: file.path,
    fileBytes: file.size,
    facts: [{ label: 'Header', value: `${headerBytes} bytes` }, ...(metadata.format ? [{ label: 'Saved from', value: metadata.format }] : [])],
    tensorCount: count,
    parameterCount: parameters,
    bytesByDtype,
    tensors,
    metadata,
    bytesRead: file.bytesRead,
    problems,
  };
}
