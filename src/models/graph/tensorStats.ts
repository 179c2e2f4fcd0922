import { WIRE_LENGTH } from '../../common/protobuf/protobufReader';
import { externalDataFile } from '../externalData';
import { FileWindow, ModelFormatError } from '../fileWindow';
import { elementCount } from '../modelInfo';
import { Bytes, FileFields, initializer, type Initializer } from '../onnxModel';
import type { TensorStatistics } from './graphData';
import { ReadAhead } from './readAhead';
import { forEachRawValue, int32DataValue, NUMERIC_WIDTHS } from './tensorValues';

// Statistics of one initializer's values, on request from the graph view or its tool: found by
// name in the graph (its data's position noted by the walk, never its neighbours' data read),
// then read from the model file or, for external data, from the file its location names, checked
// by externalData.ts's rule. At most `maxBytes` are read per request, in chunks: a tensor bigger
// than that is sampled in evenly spaced chunks, and the figures say so.

/** Bytes read per request by default (the worker's heap is 512 MB; a chunk is read, summed, dropped). */
export const STATS_MAX_BYTES = 64 * 1024 * 1024;
const CHUNK = 4 * 1024 * 1024;

class Summary {
  count = 0;
  zeros = 0;
  nan = 0;
  infinite = 0;
  min = Infinity;
  max = -Infinity;
  private mean = 0;
  private m2 = 0;

  add(value: number): void {
    this.count++;
    if (Number.isNaN(value)) {
      this.nan++;
      return;
    }
    if (value === 0) this.zeros++;
    if (!Number.isFinite(value)) {
      this.infinite++;
      if (value < this.min) this.min = value;
      if (value > this.max) this.max = value;
      return;
    }
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    // Welford: stable for millions of values of very different sizes.
    const finite = this.count - this.nan - this.infinite;
    const delta = value - this.mean;
    this.mean += delta / finite;
    this.m2 += delta * (value - this.mean);
  }

  figures(): { min: number; max: number; mean: number; std: number } {
    const finite = this.count - this.nan - this.infinite;
    return { min: this.min, max: this.max, mean: finite ? this.mean : NaN, std: finite ? Math.sqrt(this.m2 / finite) : NaN };
  }
}

/** The initializer named `name` in the model at `path`: its header, its data's position. */
export function findInitializer(file: FileWindow, name: string): Initializer {
  const reads = new ReadAhead(file);
  const model = new FileFields(reads, 0, file.size);
  while (model.pos < file.size) {
    const f = model.next();
    if (f.wire !== WIRE_LENGTH) {
      model.skipScalar(f.wire);
      continue;
    }
    if (f.field === 7) {
      const graph = new FileFields(reads, f.start, f.end);
      while (graph.pos < graph.end) {
        const g = graph.next();
        if (g.wire !== WIRE_LENGTH) {
          graph.skipScalar(g.wire);
          continue;
        }
        if (g.field === 5) {
          const tensor = initializer(new FileFields(reads, g.start, g.end));
          if (tensor.name === name) return tensor;
        }
        graph.pos = g.end;
      }
    }
    model.pos = f.end;
  }
  throw new ModelFormatError(`the model has no initializer named "${name.slice(0, 200)}"`);
}

/** Evenly spaced [offset, length] chunks of `total` bytes, `width`-aligned, at most `maxBytes` in all. */
export function sampleChunks(total: number, width: number, maxBytes: number): [number, number][] {
  const chunk = Math.max(width, Math.floor(Math.min(CHUNK, maxBytes) / width) * width);
  if (total <= maxBytes) {
    const all: [number, number][] = [];
    for (let at = 0; at < total; at += chunk) all.push([at, Math.min(chunk, total - at)]);
    return all;
  }
  const count = Math.max(1, Math.floor(maxBytes / chunk));
  const stride = Math.floor((total - chunk) / Math.max(1, count - 1) / width) * width;
  return Array.from({ length: count }, (_, i) => [Math.min(i * stride, total - chunk), chunk]);
}

export function tensorStatistics(path: string, name: string, maxBytes = STATS_MAX_BYTES): TensorStatistics {
  const file = new FileWindow(path);
  try {
    const tensor = findInitializer(file, name);
    const count = elementCount(tensor.shape) ?? 0;
    const width = NUMERIC_WIDTHS.get(tensor.dtype);
    if (width === undefined) throw new ModelFormatError(`${tensor.dtype} values are not summarised (numbers only: float, int and bool types)`);
    const summary = new Summary();
    let bytesRead = 0;
    let sample: string | undefined;
    if (tensor.external || tensor.data?.field === 9) {
      // raw_data, here or in the external file: little-endian values read by offset, in chunks.
      let source = file;
      let base = tensor.data?.start ?? 0;
      let total = tensor.data ? tensor.data.end - tensor.data.start : count * width;
      let external: FileWindow | undefined;
      if (tensor.external) {
        if (tensor.location === undefined) throw new ModelFormatError(`the values of "${name}" are marked external but name no file`);
        external = new FileWindow(externalDataFile(path, tensor.location));
        source = external;
        base = tensor.externalRange?.offset ?? 0;
        total = tensor.externalRange?.length ?? count * width;
      }
      try {
        if (total !== count * width) throw new ModelFormatError(`"${name}" holds ${total} bytes of values where its shape needs ${count * width}`);
        const chunks = sampleChunks(total, width, maxBytes);
        for (const [offset, length] of chunks) {
          forEachRawValue(tensor.dtype, source.read(base + offset, length, `the values of "${name}"`), (v) => summary.add(v));
          bytesRead += length;
        }
        if (bytesRead < total) sample = `${chunks.length} evenly spaced chunk${chunks.length === 1 ? '' : 's'} of ${chunks[0]![1]} bytes`;
      } finally {
        external?.close();
      }
    } else if (tensor.data) {
      // A typed field (float_data, int64_data…): packed, read up to the cap from its start.
      const { field, start, end } = tensor.data;
      const length = Math.min(end - start, maxBytes);
      const r = new Bytes(file.read(start, length, `the values of "${name}"`));
      bytesRead = length;
      while (r.pos < r.end) {
        try {
          if (field === 4) summary.add(r.float());
          else if (field === 10) summary.add(r.double());
          else summary.add(field === 5 ? int32DataValue(tensor.dtype, r.int64()) : r.int64());
        } catch (error) {
          // The cap cut the last value in two: what was read is summarised.
          if (length < end - start) break;
          throw error;
        }
      }
      if (length < end - start) sample = `the first ${summary.count} values`;
    } else if (count > 0) throw new ModelFormatError(`"${name}" holds no values in the file`);
    return { name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, count, read: summary.count, bytesRead, ...summary.figures(), zeros: summary.zeros, nan: summary.nan, infinite: summary.infinite, ...(sample ? { sample } : {}) };
  } finally {
    file.close();
  }
}
