import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { inspectModel } from '../inspectModel';
import { formatBytes } from '../modelInfo';
import { asToolInputError } from '../modelTool';
import { compareModels, type OrtModule, type OutputDifference } from '../runtime/onnxRun';
import { convertToFloat16 } from './onnxFloat16';
import { quantizeWeightsInt8 } from './onnxWeightQuantize';

// Optimize an ONNX model without Python (weight-only int8, or fp16), write it beside the original,
// run both on the same sample input with onnxruntime, and report sizes and the output difference.

export type Precision = 'int8' | 'fp16';

export const PRECISION_LABELS: Readonly<Record<Precision, { label: string; description: string }>> = {
  int8: { label: 'Weight-only int8', description: 'int8 weights + DequantizeLinear, about 4x smaller weights; any opset >= 10' },
  fp16: { label: 'fp16', description: 'float16 weights and compute, inputs and outputs stay float32; about 2x smaller, faster on GPUs' },
};

/** `models/net.onnx` → `models/net.int8.onnx` / `models/net.fp16.onnx`. */
export function optimizedPath(model: string, precision: Precision): string {
  return join(dirname(model), `${basename(model).replace(/\.onnx$/i, '')}.${precision}.onnx`);
}

/** The model's size on disk with its external data files. */
export function modelBytes(path: string, externalData: readonly string[] = []): number {
  return statSync(path).size + externalData.reduce((sum, f) => sum + (existsSync(join(dirname(path), f)) ? statSync(join(dirname(path), f)).size : 0), 0);
}

interface Rewrite {
  readonly model: Uint8Array;
  readonly summary: string;
  readonly notes: readonly string[];
}

function rewrite(source: string, precision: Precision): Rewrite {
  if (precision === 'int8') {
    const r = quantizeWeightsInt8(source);
    return { model: r.model, summary: `${r.tensors.length} weight tensor(s) to int8 (per-tensor symmetric scale, DequantizeLinear before use): ${formatBytes(r.floatBytes)} of float32 -> ${formatBytes(r.int8Bytes)}.`, notes: r.notes };
  }
  const r = convertToFloat16(source);
  return { model: r.model, summary: `${r.tensors} float32 tensor(s) to float16 (${formatBytes(r.floatBytes)} -> ${formatBytes(r.halfBytes)}); Cast nodes keep the inputs and outputs float32.`, notes: r.notes };
}

export function optimizeReport(out: string, before: number, summary: string, notes: readonly string[], differences: readonly OutputDifference[] | string): string {
  const after = statSync(out).size;
  const compared =
    typeof differences === 'string'
      ? `Outputs not compared: ${differences}`
      : `Largest output difference on a sample input (onnxruntime): ${differences.map((d) => `${d.output} ${d.maxAbsDiff.toPrecision(3)} (values up to ${d.maxAbs.toPrecision(3)})`).join(', ')}. Check accuracy on real validation data before shipping it.`;
  return [`Wrote ${basename(out)}: ${formatBytes(before)} -> ${formatBytes(after)} (${((after / before) * 100).toFixed(0)}%).`, summary, compared, ...notes.map((n) => `Note: ${n}`)].join('\n');
}

/** Writes the optimized copy of `source` to `out` and compares the two on a sample input; the report says both. */
export async function optimizeAndCompare(source: string, out: string, precision: Precision, ort: () => OrtModule): Promise<{ report: string }> {
  const info = inspectModel(source);
  const before = modelBytes(source, info.externalData);
  const result = rewrite(source, precision);
  writeFileSync(out, result.model);
  let differences: OutputDifference[] | string;
  try {
    differences = await compareModels(ort(), { path: source, info }, out);
  } catch (error) {
    differences = (error as Error).message;
  }
  return { report: optimizeReport(out, before, result.summary, result.notes, differences) };
}

/** The agent's `optimize_model`: an int8 or fp16 copy of an ONNX model, written beside it after approval. */
export function optimizeModelTool(ort: () => OrtModule) {
  return defineTool({
    name: 'optimize_model',
    description:
      'Writes an optimized copy of an ONNX model beside it, without Python: precision "int8" (weight-only: float32 weights of 1024+ elements to ' +
      'int8 with a per-tensor scale and DequantizeLinear; opset >= 10) or "fp16" (weights and compute in float16, Cast nodes keep inputs and ' +
      'outputs float32; common network operators only). Refuses to overwrite. Reports sizes before/after and the largest output difference ' +
      'against the original on a sample input (onnxruntime). Check accuracy on real validation data afterwards.',
    input: z.object({ path: z.string().check(z.minLength(1)), precision: z.optional(z.enum(['int8', 'fp16'])) }),
    risk: 'write',
    confirmation: (input) => `Write an ${input.precision ?? 'int8'} copy of ${input.path}`,
    async run(input, context) {
      const precision = input.precision ?? 'int8';
      const source = await context.files.resolve(input.path);
      const out = optimizedPath(source, precision);
      if (existsSync(out)) throw new ToolInputError(`${context.files.display(out)} already exists: nothing was overwritten`);
      try {
        const { report } = await optimizeAndCompare(source, out, precision, ort);
        return { content: report, summary: `${precision}: ${basename(out)}` };
      } catch (error) {
        return asToolInputError(error, input.path);
      }
    },
  });
}
