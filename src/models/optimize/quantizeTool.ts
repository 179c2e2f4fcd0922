import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { formatBytes } from '../modelInfo';
import { ModelFormatError } from '../fileWindow';
import { inspectModel } from '../inspectModel';
import { quantizeWeightsInt8, type WeightQuantizeResult } from './onnxWeightQuantize';

/** `models/net.onnx` → `models/net.int8.onnx`. */
export function quantizedPath(model: string): string {
  return join(dirname(model), basename(model).replace(/\.onnx$/i, '') + '.int8.onnx');
}

/** The model's size on disk with its external data files. */
export function modelBytes(path: string, externalData: readonly string[] = []): number {
  return statSync(path).size + externalData.reduce((sum, f) => sum + (existsSync(join(dirname(path), f)) ? statSync(join(dirname(path), f)).size : 0), 0);
}

export function quantizeReport(out: string, before: number, result: WeightQuantizeResult): string {
  const after = statSync(out).size;
  const lines = [
    `Wrote ${basename(out)}: ${formatBytes(before)} -> ${formatBytes(after)} (${((after / before) * 100).toFixed(0)}%).`,
    `${result.tensors.length} weight tensor(s) to int8 (per-tensor symmetric scale, DequantizeLinear before use): ${formatBytes(result.floatBytes)} of float32 -> ${formatBytes(result.int8Bytes)}.`,
    'Outputs were not compared here (no onnxruntime in this path): run the model on a validation batch before shipping it.',
    ...result.notes.map((n) => `Note: ${n}`),
  ];
  return lines.join('\n');
}

/** The agent's `quantize_model`: weight-only int8 of an ONNX model, written beside it after approval. */
export function quantizeModelTool() {
  return defineTool({
    name: 'quantize_model',
    description:
      'Weight-only int8 quantization of an ONNX model (opset >= 10) without Python: each float32 weight of 1024+ elements becomes int8 with a ' +
      'per-tensor scale and a DequantizeLinear node; external data is written inline. Writes <name>.int8.onnx beside the model (refuses to ' +
      'overwrite) and reports sizes. Compare outputs on real data afterwards (run_in_kernel with onnxruntime when the kernel has it).',
    input: z.object({ path: z.string().check(z.minLength(1)) }),
    risk: 'write',
    confirmation: (input) => `Write an int8 copy of ${input.path}`,
    async run(input, context) {
      const source = await context.files.resolve(input.path);
      const out = quantizedPath(source);
      if (existsSync(out)) throw new ToolInputError(`${context.files.display(out)} already exists: nothing was overwritten`);
      let result;
      try {
        result = quantizeWeightsInt8(source);
      } catch (error) {
        if (error instanceof ModelFormatError) throw new ToolInputError(`${input.path}: ${error.message}`);
        throw error;
      }
      const before = modelBytes(source, inspectModel(source).externalData);
      writeFileSync(out, result.model);
      return { content: quantizeReport(out, before, result), summary: `int8: ${result.tensors.length} tensors, ${basename(out)}` };
    },
  });
}
