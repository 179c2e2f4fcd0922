import * as z from 'zod/mini';
import { parseBoundedJson } from './boundedJson';
import { type FileWindow, ModelFormatError } from './fileWindow';
import { countUp, MAX_LISTED_ITEMS, shortText, sortedCounts, type IoInfo, type ModelInfo } from './modelInfo';
import { readZipEntry, type ZipEntry } from './zipArchive';

// Keras `.keras` files (docs/formats.md §5.5): a zip of metadata.json, config.json (the
// architecture) and model.weights.h5. The config gives the layers, the inputs and, for layers whose
// weights follow from their config (Dense, Conv, Embedding…), the parameter count; the HDF5 weights
// are not read. The JSON's nesting and size are checked before it is parsed, and each layer's
// shape is validated (zod) before it is used: a layer that is not what Keras writes is counted as
// unknown, never a TypeError.

const MAX_JSON = 64 * 1024 * 1024;
/** Keras configs nest layers in models in models; 4 million values is far past any real one. */
const JSON_LIMITS = { maxDepth: 256, maxValues: 4_000_000 };
const MAX_NESTED_MODELS = 8;
const MAX_RANK = 64;

/** What a layer's config holds that the counts use; anything else in it is ignored. */
const LayerConfig = z.looseObject({
  name: z.optional(z.unknown()),
  layers: z.optional(z.unknown()),
  dtype: z.optional(z.unknown()),
  batch_shape: z.optional(z.unknown()),
  batch_input_shape: z.optional(z.unknown()),
});
const Layer = z.looseObject({
  class_name: z.optional(z.unknown()),
  name: z.optional(z.unknown()),
  config: z.optional(LayerConfig),
  build_config: z.optional(z.looseObject({ input_shape: z.optional(z.unknown()) })),
});
type Layer = z.infer<typeof Layer>;

export function isKerasArchive(entries: readonly ZipEntry[]): boolean {
  const names = new Set(entries.map((e) => e.name));
  return names.has('config.json') && (names.has('metadata.json') || names.has('model.weights.h5'));
}

export function readKeras(file: FileWindow, entries: readonly ZipEntry[]): ModelInfo {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const json = (name: string): unknown => {
    const entry = byName.get(name);
    return entry ? parseBoundedJson(readZipEntry(file, entry, MAX_JSON), name, JSON_LIMITS) : undefined;
  };
  const metadataJson = json('metadata.json');
  const metadata = metadataJson && typeof metadataJson === 'object' && !Array.isArray(metadataJson) ? (metadataJson as Record<string, unknown>) : {};
  const parsed = Layer.safeParse(json('config.json'));
  if (!parsed.success) throw new ModelFormatError('config.json is missing or not a Keras model config (an object with class_name and config)');
  const config = parsed.data;
  const problems: string[] = [];
  const layers = flatten(config, problems);
  const operators = new Map<string, number>();
  for (const l of layers) countUp(operators, text(l.class_name) ?? '?');
  const inputs: IoInfo[] = layers
    .filter((l) => l.class_name === 'InputLayer')
    .slice(0, MAX_LISTED_ITEMS)
    .map((l) => ({ name: text(l.config?.name) ?? text(l.name) ?? 'input', dtype: text(l.config?.dtype) ?? 'float32', shape: shapeOf(l.config?.batch_shape ?? l.config?.batch_input_shape) }));
  let parameters = 0;
  const unknown = new Set<string>();
  for (const l of layers) {
    const n = layerParameters(l);
    if (n === undefined) {
      if (unknown.size < 50) unknown.add(text(l.class_name) ?? '?');
    } else parameters += n;
  }
  const weights = byName.get('model.weights.h5');
  if (unknown.size > 0) problems.push(`parameters of ${[...unknown].join(', ')} layers are not counted (they live in model.weights.h5, which is not read)`);
  const kerasVersion = text(metadata.keras_version);
  const saved = text(metadata.date_saved);
  return {
    format: 'keras',
    path: file.path,
    fileBytes: file.size,
    facts: [
      { label: 'Format', value: 'Keras archive (.keras)' },
      ...(kerasVersion ? [{ label: 'Keras version', value: kerasVersion }] : []),
      ...(saved ? [{ label: 'Saved', value: saved }] : []),
      { label: 'Model', value: `${text(config.class_name) ?? '?'} "${text(config.config?.name) ?? ''}"` },
      { label: 'Layers', value: String(layers.length) },
      ...(weights ? [{ label: 'Weights', value: `model.weights.h5, ${weights.size} bytes` }] : []),
    ],
    tensorCount: 0,
    parameterCount: parameters,
    bytesByDtype: {},
    tensors: [],
    ...(inputs.length ? { inputs } : {}),
    operators: sortedCounts(operators),
    metadata: Object.fromEntries(Object.entries(metadata).slice(0, MAX_LISTED_ITEMS).map(([k, v]) => [shortText(k, 200), shortText(typeof v === 'string' ? v : JSON.stringify(v), 2000)])),
    bytesRead: file.bytesRead,
    problems,
  };
}

/** A string from the config, cut short; anything else is not one. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? shortText(value, 200) : undefined;
}

/** A finite, non-negative number from the config. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Layers of a Sequential / Functional model, nested models' layers included; entries that are not layers are noted. */
function flatten(model: Layer, problems: string[], depth = 0): Layer[] {
  const out: Layer[] = [];
  const list = model.config?.layers;
  if (list === undefined) return out;
  if (!Array.isArray(list)) {
    problems.push(`the layers of ${text(model.config?.name) ?? 'the model'} are not a list: not counted`);
    return out;
  }
  let odd = 0;
  for (const item of list) {
    const layer = Layer.safeParse(item);
    if (!layer.success) odd++;
    else if (depth < MAX_NESTED_MODELS && layer.data.config?.layers !== undefined) for (const inner of flatten(layer.data, problems, depth + 1)) out.push(inner);
    else out.push(layer.data);
  }
  if (odd > 0) problems.push(`${odd} entries of the layer list of ${text(model.config?.name) ?? 'the model'} are not layers: not counted`);
  return out;
}

function shapeOf(raw: unknown): (number | string)[] {
  return Array.isArray(raw) ? raw.slice(0, MAX_RANK).map((d) => (typeof d === 'number' ? d : 'batch')) : [];
}

/** Weights that follow from the config and the built input shape; undefined when they do not. */
function layerParameters(layer: Layer): number | undefined {
  const c: Record<string, unknown> = layer.config ?? {};
  const input = layer.build_config?.input_shape;
  const last = Array.isArray(input) ? count(input[input.length - 1]) : undefined;
  const bias = c.use_bias === false ? 0 : 1;
  const units = count(c.units);
  const filters = count(c.filters);
  switch (layer.class_name) {
    case 'InputLayer': case 'Dropout': case 'Flatten': case 'Activation': case 'ReLU': case 'Reshape': case 'MaxPooling2D': case 'MaxPooling1D':
    case 'AveragePooling2D': case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': case 'Add': case 'Concatenate': case 'Rescaling': case 'Softmax':
      return 0;
    case 'Dense':
      return last !== undefined && units !== undefined ? units * last + bias * units : undefined;
    case 'Conv1D': case 'Conv2D': case 'Conv3D': {
      const sizes = Array.isArray(c.kernel_size) && c.kernel_size.length <= MAX_RANK ? c.kernel_size.map(count) : [];
      const known = sizes.filter((d): d is number => d !== undefined);
      const kernel = sizes.length > 0 && known.length === sizes.length ? known.reduce((a, b) => a * b, 1) : undefined;
      const groups = c.groups === undefined ? 1 : count(c.groups);
      return last !== undefined && kernel !== undefined && filters !== undefined && groups ? kernel * (last / groups) * filters + bias * filters : undefined;
    }
    case 'Embedding': {
      const inputDim = count(c.input_dim);
      const outputDim = count(c.output_dim);
      return inputDim !== undefined && outputDim !== undefined ? inputDim * outputDim : undefined;
    }
    case 'BatchNormalization':
      return last !== undefined ? 4 * last : undefined;
    case 'LayerNormalization':
      return last !== undefined ? 2 * last : undefined;
    default:
      return undefined;
  }
}
