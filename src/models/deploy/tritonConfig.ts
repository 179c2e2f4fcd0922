import type { IoInfo, ModelInfo } from '../modelInfo';

// A Triton model configuration (config.pbtxt, protobuf text format of inference.ModelConfig) built
// from an ONNX model's real inputs and outputs, so the server accepts the model as it is.

const TRITON_TYPES: Readonly<Record<string, string>> = {
  bool: 'TYPE_BOOL',
  uint8: 'TYPE_UINT8',
  uint16: 'TYPE_UINT16',
  uint32: 'TYPE_UINT32',
  uint64: 'TYPE_UINT64',
  int8: 'TYPE_INT8',
  int16: 'TYPE_INT16',
  int32: 'TYPE_INT32',
  int64: 'TYPE_INT64',
  float16: 'TYPE_FP16',
  float32: 'TYPE_FP32',
  float64: 'TYPE_FP64',
  string: 'TYPE_STRING',
  bfloat16: 'TYPE_BF16',
};

export interface TritonOptions {
  /** The model's folder name in the repository (and its `name`). */
  readonly name: string;
  /** Largest batch the dynamic batcher forms when the model has a batch axis. */
  readonly maxBatchSize?: number;
}

export interface TritonConfig {
  readonly text: string;
  /** 0 when the model has no shared symbolic first axis (then dims are given in full). */
  readonly maxBatchSize: number;
  readonly problems: string[];
}

/** Triton's name rules: a folder name, no slashes or spaces. */
export function tritonModelName(raw: string): string {
  const name = raw.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._-]+/, '');
  return name || 'model';
}

/**
 * A batch axis is one Triton can batch on: every input and output starts with a symbolic or
 * unknown dimension. Then max_batch_size > 0 and dims leave that axis out.
 */
export function hasBatchAxis(info: Pick<ModelInfo, 'inputs' | 'outputs'>): boolean {
  const all = [...(info.inputs ?? []), ...(info.outputs ?? [])];
  return all.length > 0 && all.every((io) => io.shape.length > 0 && (typeof io.shape[0] === 'string' || io.shape[0] === -1));
}

export function tritonConfig(info: Pick<ModelInfo, 'format' | 'inputs' | 'outputs'>, options: TritonOptions): TritonConfig {
  if (info.format !== 'onnx') throw new Error(`Triton configs are built from ONNX models; this is ${info.format}. Export it to ONNX first.`);
  const problems: string[] = [];
  if (!info.inputs?.length || !info.outputs?.length) throw new Error('the model declares no graph inputs or outputs');
  const batched = hasBatchAxis(info);
  const maxBatchSize = batched ? Math.max(1, options.maxBatchSize ?? 8) : 0;
  const tensor = (io: IoInfo): string => {
    const type = TRITON_TYPES[io.dtype];
    if (!type) problems.push(`${io.name}: ${io.dtype} has no Triton type`);
    const dims = (batched ? io.shape.slice(1) : io.shape).map((d) => (typeof d === 'number' && d >= 0 ? String(d) : '-1'));
    // A scalar (rank 0) without batching is given as [ 1 ] with a reshape to [ ], as Triton asks.
    const shape = dims.length > 0 ? `    dims: [ ${dims.join(', ')} ]` : '    dims: [ 1 ]\n    reshape: { shape: [ ] }';
    return `  {\n    name: ${quote(io.name)}\n    data_type: ${type ?? 'TYPE_INVALID'}\n${shape}\n  }`;
  };
  const lines = [
    `name: ${quote(options.name)}`,
    'platform: "onnxruntime_onnx"',
    `max_batch_size: ${maxBatchSize}`,
    `input [\n${info.inputs.map(tensor).join(',\n')}\n]`,
    `output [\n${info.outputs.map(tensor).join(',\n')}\n]`,
  ];
  if (batched) lines.push('dynamic_batching { }');
  return { text: lines.join('\n') + '\n', maxBatchSize, problems };
}

/** A protobuf text-format string literal. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
