// What inspecting a model file tells, whatever its format: the CLI, the model editor and the
// agent's tool read this one shape.

export type ModelFormat = 'onnx' | 'safetensors' | 'gguf' | 'pytorch' | 'keras' | 'sklearn' | 'unknown';

/** How the viewer and the CLI name each format. */
export const FORMAT_NAMES: Readonly<Record<ModelFormat, string>> = { onnx: 'ONNX', safetensors: 'safetensors', gguf: 'GGUF', pytorch: 'PyTorch', keras: 'Keras', sklearn: 'scikit-learn', unknown: 'unknown' };

/** A TorchScript archive (torch.jit.save), a pickled nn.Module (loading it runs its class's code), or weights (state dicts, checkpoints). */
export type TorchKind = 'torchscript' | 'pickled-module' | 'weights';

export interface TensorInfo {
  readonly name: string;
  readonly dtype: string;
  /** Sizes; symbolic dimensions (ONNX `batch`) as strings. */
  readonly shape: readonly (number | string)[];
}

export interface IoInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
}

/** A hyperparameter (named as in ModelInfo.metadata) beside its default. */
export interface ParameterDefault {
  readonly name: string;
  /** The default as Python writes it, or null: not known for this estimator or parameter. */
  readonly default: string | null;
  /** Whether the value differs from the default; null when that cannot be told. */
  readonly differs: boolean | null;
}

export interface ModelInfo {
  readonly format: ModelFormat;
  readonly path: string;
  readonly fileBytes: number;
  /** Short facts for a summary table: producer, IR version, architecture… */
  readonly facts: readonly { label: string; value: string }[];
  readonly tensorCount: number;
  readonly parameterCount: number;
  /** Bytes of tensor data per dtype (from shapes, or the file's offsets). */
  readonly bytesByDtype: Readonly<Record<string, number>>;
  /** The first tensors (up to 500): a model can have tens of thousands. */
  readonly tensors: readonly TensorInfo[];
  readonly inputs?: readonly IoInfo[];
  readonly outputs?: readonly IoInfo[];
  readonly opsets?: readonly { domain: string; version: number }[];
  /** Operator type → node count in the main graph (ONNX), most used first. */
  readonly operators?: Readonly<Record<string, number>>;
  readonly metadata: Readonly<Record<string, string>>;
  /** What a PyTorch file holds, from its structure (never from words in it): see TorchKind. */
  readonly torchKind?: TorchKind;
  /** Files the model's tensors live in besides this one (ONNX external data). */
  readonly externalData?: readonly string[];
  /** Each external data file's size, in the order of externalData; null where it is missing or refused (externalData.ts). */
  readonly externalDataBytes?: readonly (number | null)[];
  /** Bytes the inspection read: a header, not the weights. */
  readonly bytesRead: number;
  readonly problems: readonly string[];
  /** scikit-learn: each hyperparameter in `metadata` against its class's default, from a table of one scikit-learn release. */
  readonly parameterDefaults?: { readonly version: string; readonly parameters: readonly ParameterDefault[] };
  /** What loading the file in Python would do (run the code of the classes it pickles): a caution, not a fault of the file. */
  readonly warnings?: readonly string[];
  /** scikit-learn pickles: the top-level modules its globals name, which loading it imports. */
  readonly pickledModules?: readonly string[];
}

/** The model's size on disk: the file and the external data files found beside it. */
export function totalBytes(info: Pick<ModelInfo, 'fileBytes' | 'externalDataBytes'>): number {
  return info.fileBytes + (info.externalDataBytes ?? []).reduce<number>((sum, b) => sum + (b ?? 0), 0);
}

export const MAX_LISTED_TENSORS = 500;
/** Inputs, outputs, opsets, metadata entries: past this many a file is hostile or broken, and the rest are counted, not kept. */
export const MAX_LISTED_ITEMS = 1000;
/** Longest name or value kept from a file (names of tensors, keys, metadata values). */
export const MAX_TEXT = 1000;

const utf8 = new TextDecoder();

/** Text from a file, decoded only up to `max` bytes (a 64 MB "name" costs what a short one does). */
export function fileText(bytes: Uint8Array, max = MAX_TEXT): string {
  return bytes.length <= max ? utf8.decode(bytes) : `${utf8.decode(bytes.subarray(0, max))}…`;
}

/** A string from a file, cut to `max` characters. */
export function shortText(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Adds `n` to a count kept by name: a Map, so names a file chooses ("constructor", "__proto__") count like any other. */
export function countUp(counts: Map<string, number>, name: string, n = 1): void {
  counts.set(name, (counts.get(name) ?? 0) + n);
}

/** Counts, most first (ties by name), as the record ModelInfo carries: own keys only, built from a Map. */
export function sortedCounts(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}

export function elementCount(shape: readonly (number | string)[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
