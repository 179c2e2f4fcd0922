import { type FileWindow, ModelFormatError } from './fileWindow';
import type { IoInfo, ModelInfo } from './modelInfo';
import { readZipEntry, type ZipEntry } from './zipArchive';

// Keras `.keras` files (docs/formats.md §5.5): a zip of metadata.json, config.json (the
// architecture) and model.weights.h5. The config gives the layers, the inputs and, for layers whose
// weights follow from their config (Dense, Conv, Embedding…), the parameter count; the HDF5 weights
// are not read.

const MAX_JSON = 64 * 1024 * 1024;

interface LayerConfig {
  class_name?: string;
  name?: string;
  config?: Record<string, unknown> & { name?: string; layers?: LayerConfig[] };
  build_config?: { input_shape?: unknown };
}

export function isKerasArchive(entries: readonly ZipEntry[]): boolean {
  const names = new Set(entries.map((e) => e.name));
  return names.has('config.json') && (names.has('metadata.json') || names.has('model.weights.h5'));
}

export function readKeras(file: FileWindow, entries: readonly ZipEntry[]): ModelInfo {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const json = (name: string): unknown => {
    const entry = byName.get(name);
    if (!entry) return undefined;
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readZipEntry(file, entry, MAX_JSON)));
    } catch (error) {
      if (error instanceof ModelFormatError) throw error;
      throw new ModelFormatError(`${name} is not valid JSON (${(error as Error).message})`);
    }
  };
  const metadata = (json('metadata.json') ?? {}) as Record<string, unknown>;
  const config = json('config.json') as LayerConfig | undefined;
  if (!config || typeof config !== 'object') throw new ModelFormatError('config.json is missing or not an object');
  const layers = flatten(config);
  const operators: Record<string, number> = {};
  for (const l of layers) operators[l.class_name ?? '?'] = (operators[l.class_name ?? '?'] ?? 0) + 1;
  const inputs: IoInfo[] = layers
    .filter((l) => l.class_name === 'InputLayer')
    .map((l) => ({ name: l.config?.name ?? l.name ?? 'input', dtype: typeof l.config?.dtype === 'string' ? l.config.dtype : 'float32', shape: shapeOf(l.config?.batch_shape ?? l.config?.batch_input_shape) }));
  let parameters = 0;
  const unknown = new Set<string>();
  for (const l of layers) {
    const n = layerParameters(l);
    if (n === undefined) unknown.add(l.class_name ?? '?');
    else parameters += n;
  }
  const weights = byName.get('model.weights.h5');
  const problems = unknown.size > 0 ? [`parameters of ${[...unknown].join(', ')} layers are not counted (they live in model.weights.h5, which is not read)`] : [];
  return {
    format: 'keras',
    path: file.path,
    fileBytes: file.size,
    facts: [
      { label: 'Format', value: 'Keras archive (.keras)' },
      ...(typeof metadata.keras_version === 'string' ? [{ label: 'Keras version', value: metadata.keras_version }] : []),
      ...(typeof metadata.date_saved === 'string' ? [{ label: 'Saved', value: metadata.date_saved }] : []),
      { label: 'Model', value: `${config.class_name ?? '?'} "${config.config?.name ?? ''}"` },
      { label: 'Layers', value: String(layers.length) },
      ...(weights ? [{ label: 'Weights', value: `model.weights.h5, ${weights.size} bytes` }] : []),
    ],
    tensorCount: 0,
    parameterCount: parameters,
    bytesByDtype: {},
    tensors: [],
    ...(inputs.length ? { inputs } : {}),
    operators: Object.fromEntries(Object.entries(operators).sort((a, b) => b[1] - a[1])),
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])),
    bytesRead: file.bytesRead,
    problems,
  };
}

/** Layers of a Sequential / Functional model, nested models' layers included. */
function flatten(model: LayerConfig, depth = 0): LayerConfig[] {
  const out: LayerConfig[] = [];
  for (const layer of model.config?.layers ?? []) {
    if (depth < 8 && Array.isArray(layer.config?.layers)) out.push(...flatten(layer, depth + 1));
    else out.push(layer);
  }
  return out;
}

function shapeOf(raw: unknown): (number | string)[] {
  return Array.isArray(raw) ? raw.map((d) => (typeof d === 'number' ? d : 'batch')) : [];
}

/** Weights that follow from the config and the built input shape; undefined when they do not. */
function layerParameters(layer: LayerConfig): number | undefined {
  const c = layer.config ?? {};
  const input = layer.build_config?.input_shape;
  const last = Array.isArray(input) && typeof input[input.length - 1] === 'number' ? (input[input.length - 1] as number) : undefined;
  const bias = c.use_bias === false ? 0 : 1;
  switch (layer.class_name) {
    case 'InputLayer': case 'Dropout': case 'Flatten': case 'Activation': case 'ReLU': case 'Reshape': case 'MaxPooling2D': case 'MaxPooling1D':
    case 'AveragePooling2D': case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': case 'Add': case 'Concatenate': case 'Rescaling': case 'Softmax':
      return 0;
    case 'Dense':
      return last !== undefined && typeof c.units === 'number' ? c.units * last + bias * c.units : undefined;
    case 'Conv1D': case 'Conv2D': case 'Conv3D': {
      const kernel = Array.isArray(c.kernel_size) ? (c.kernel_size as number[]).reduce((a, b) => a * b, 1) : undefined;
      const groups = typeof c.groups === 'number' ? c.groups : 1;
      return last !== undefined && kernel !== undefined && typeof c.filters === 'number' ? (kernel * (last / groups) * c.filters) + bias * c.filters : undefined;
    }
    case 'Embedding':
      return typeof c.input_dim === 'number' && typeof c.output_dim === 'number' ? c.input_dim * c.output_dim : undefined;
    case 'BatchNormalization':
      return last !== undefined ? 4 * last : undefined;
    case 'LayerNormalization':
      return last !== undefined ? 2 * last : undefined;
    default:
      return undefined;
  }
}
