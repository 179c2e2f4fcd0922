import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { formatBytes } from '../modelInfo';
import { ModelFormatError } from '../fileWindow';
import { inspectModel } from '../inspectModel';
import { compareModels, type OrtModule, type OutputDifference } from '../runtime/onnxRun';
import { quantizeWeightsInt8, type WeightQuantizeResult } from './onnxWeightQuantize';

/** `models/net.onnx` → `models/net.int8.onnx`. */
export function quantizedPath(model: string): string {
  return join(dirname(model), basename(model).replace(/\.onnx$/i, '') + '.int8.onnx');
}

/** The model's size on disk with its external data files. */
export function modelBytes(path: string, externalData: readonly string[] = []): number {
  return statSync(path).size + externalData.reduce((sum, f) => sum + (existsSync(join(dirname(path), f)) ? statSync(join(dirname(path), f)).size : 0), 0);
}

export function quantizeReport(out: string, before: number, result: WeightQuantizeResult, differences: readonly OutputDifference[] | string): string {
  const after = statSync(out).size;
  const compared =
    typeof differences === 'string'
      ? `Outputs not compared: ${differences}`
      : `Largest output difference on a sample input (onnxruntime): ${differences.map((d) => `${d.output} ${d.maxAbsDiff.toPrecision(3)} (values up to ${d.maxAbs.toPrecision(3)})`).join(', ')}. Check accuracy on real validation data before shipping it.`;
  const lines = [
    `Wrote ${basename(out)}: ${formatBytes(before)} -> ${formatBytes(after)} (${((after / before) * 100).toFixed(0)}%).`,
    `${result.tensors.length} weight tensor(s) to int8 (per-tensor symmetric scale, DequantizeLinear before use): ${formatBytes(result.floatBytes)} of float32 -> ${formatBytes(result.int8Bytes)}.`,
    compared,
    ...result.notes.map((n) => `Note: ${n}`),
  ];
  return lines.join('\n');
}

/** Quantizes `source` into `out` and compares the two on a sample input; the report says both. */
export async function quantizeAndCompare(source: string, out: string, ort: () => OrtModule): Promise<{ report: string; result: WeightQuantizeResult }> {
  const info = inspectModel(source);
  const before = modelBytes(source, info.externalData);
  const result = quantizeWeightsInt8(source);
  writeFileSync(out, result.model);
  let differences: OutputDifference[] | string;
  try {
    differences = await compareModels(ort(), { path: source, info }, out);
  } catch (error) {
    differences = (error as Error).message;
  }
  return { report: quantizeReport(out, before, result, differences), result };
}

/** The agent's `quantize_model`: weight-only int8 of an ONNX model, written beside it after approval. */
export function quantizeModelTool(ort: () => OrtModule) {
  return defineTool({
    name: 'quantize_model',
    description:
      'Weight-only int8 quantization of an ONNX model (opset >= 10) without Python: each float32 weight of 1024+ elements becomes int8 with a ' +
      'per-tensor scale and a DequantizeLinear node; external data is written inline. Writes <name>.int8.onnx beside the model (refuses to ' +
      'overwrite), reports sizes and the largest output difference against the original on a sample input (onnxruntime). Check accuracy on real validation data afterwards.',
    input: z.object({ path: z.string().check(z.minLength(1)) }),
    risk: 'write',
    confirmation: (input) => `Write an int8 copy of ${input.path}`,
    async run(input, context) {
      const source = await context.files.resolve(input.path);
      const out = quantizedPath(source);
      if (existsSync(out)) throw new ToolInputError(`${context.files.display(out)} already exists: nothing was overwritten`);
      try {
        const { report, result } = await quantizeAndCompare(source, out, ort);
        return { content: report, summary: `int8: ${result.tensors.length} tensors, ${basename(out)}` };
      } catch (error) {
        if (error instanceof ModelFormatError) throw new ToolInputError(`${input.path}: ${error.message}`);
        throw error;
      }
    },
  });
}
