import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { inspectModelFile } from '../modelReader';
import { formatBytes } from '../../common/units';
import { writeFileNoFollow } from '../../common/symlinks';
import { externalDataFiles } from '../externalData';
import { asToolInputError } from '../modelTool';
import { compareModels, type OrtModule, type OutputDifference } from '../runtime/onnxRun';
import { convertToFloat16 } from './onnxFloat16';
import { quantizeWeightsInt8 } from './onnxWeightQuantize';
import { optimizeWithPython, pythonOptimizers, type Precision, type PythonOptimizers } from './pythonOptimize';

// Optimize an ONNX model (int8 or fp16) with the user's Python tools where it has them, else
// without Python (weight-only int8, or fp16), write it beside the original, run both on the same
// sample input with onnxruntime, and report sizes and the output difference.

export type { Precision };

export const PRECISION_LABELS: Readonly<Record<Precision, { label: string; description: string }>> = {
  int8: { label: 'Weight-only int8', description: 'built in: int8 weights + DequantizeLinear, about 4x smaller weights; any opset >= 10' },
  fp16: { label: 'fp16', description: 'built in: float16 weights and compute (float32 kept where fp16 kernels are missing), inputs and outputs stay float32; about 2x smaller' },
};

/** The picker's entry for `precision`: what will do it, given what the user's Python has. */
export function optimizeChoice(precision: Precision, tools: PythonOptimizers | undefined): { label: string; description: string } {
  if (precision === 'int8' && tools?.onnxruntime) return { label: 'Dynamic int8', description: `onnxruntime ${tools.onnxruntime} quantize_dynamic: int8 weights, activations quantized at run time` };
  if (precision === 'fp16' && tools?.onnxconverterCommon) return { label: 'fp16', description: `onnxconverter-common ${tools.onnxconverterCommon}: float16, float32 kept where operators need it` };
  return PRECISION_LABELS[precision];
}

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
  const kept = r.float32Ops.length > 0 ? ` ${r.float32Ops.join(', ')} kept in float32 with Casts around them.` : '';
  return { model: r.model, summary: `${r.tensors} float32 tensor(s) to float16 (${formatBytes(r.floatBytes)} -> ${formatBytes(r.halfBytes)}); Cast nodes keep the inputs and outputs float32.${kept}`, notes: r.notes };
}

export function optimizeReport(out: string, before: number, summary: string, notes: readonly string[], differences: readonly OutputDifference[] | string): string {
  const after = statSync(out).size;
  const compared =
    typeof differences === 'string'
      ? `Outputs not compared: ${differences}`
      : `Largest output difference on a sample input (onnxruntime): ${differences.map((d) => `${d.output} ${d.maxAbsDiff.toPrecision(3)} (values up to ${d.maxAbs.toPrecision(3)})`).join(', ')}. Check accuracy on real validation data before shipping it.`;
  return [`Wrote ${basename(out)}: ${formatBytes(before)} -> ${formatBytes(after)} (${((after / before) * 100).toFixed(0)}%).`, summary, compared, ...notes.map((n) => `Note: ${n}`)].join('\n');
}

export interface OptimizeOptions {
  /** The user's Python: its onnxruntime.quantization / onnxconverter-common are used when it has them. */
  readonly python?: string;
  /** What `python` has, when the caller asked already. */
  readonly tools?: PythonOptimizers;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

/**
 * Writes the optimized copy of `source` to `out` (with the Python tools where `python` has them,
 * else built in, saying why) and compares the two on a sample input; the report says both.
 * Cancelled (the signal), it removes what it wrote and throws.
 */
export async function optimizeAndCompare(source: string, out: string, precision: Precision, ort: () => OrtModule, options: OptimizeOptions = {}): Promise<{ report: string }> {
  const { python, signal } = options;
  const info = await inspectModelFile(source, signal);
  // Refused before anything reads them (Python's tools, the built-in rewrite, onnxruntime).
  externalDataFiles(source, info.externalData);
  const before = modelBytes(source, info.externalData);
  const tools = python ? (options.tools ?? (await pythonOptimizers(python))) : undefined;
  const missing = tools ? tools.missing[precision] : 'no Python was found';
  let result: { summary: string; notes: readonly string[] } | undefined;
  let builtInBecause = missing;
  try {
    if (python && !missing) {
      try {
        const r = await optimizeWithPython(python, source, out, precision, { cwd: options.cwd ?? dirname(source), ...(signal ? { signal } : {}) });
        result = {
          summary: precision === 'int8' ? `Dynamic int8 by ${r.tool} (${r.seconds} s): int8 weights, activations quantized at run time (MatMulInteger / ConvInteger).` : `fp16 by ${r.tool} (${r.seconds} s): float16 weights and compute, operators that need float32 kept in it, inputs and outputs float32.`,
          notes: [],
        };
      } catch (error) {
        if (signal?.aborted) throw error;
        builtInBecause = `${python}'s tool failed (${(error as Error).message})`;
      }
    }
    if (!result) {
      const r = rewrite(source, precision);
      signal?.throwIfAborted();
      writeFileNoFollow(out, r.model);
      const tool = precision === 'int8' ? 'onnxruntime.quantization (dynamic int8)' : 'onnxconverter-common';
      result = { summary: r.summary, notes: [...r.notes, `written by the built-in rewrite: ${builtInBecause ?? ''} (with ${tool} there, Optimize uses it)`] };
    }
    signal?.throwIfAborted();
  } catch (error) {
    // Cancelled or failed: no half-written copy is left beside the model.
    rmSync(out, { force: true });
    if (signal?.aborted) throw new Error('cancelled', { cause: error });
    throw error;
  }
  let differences: OutputDifference[] | string;
  try {
    differences = await compareModels(ort(), { path: source, info }, out);
  } catch (error) {
    differences = (error as Error).message;
  }
  return { report: optimizeReport(out, before, result.summary, result.notes, differences) };
}

/** The agent's `optimize_model`: an int8 or fp16 copy of an ONNX model, written beside it after approval. */
export function optimizeModelTool(ort: () => OrtModule, python: () => Promise<string | undefined> = () => Promise.resolve(undefined), cwd?: () => string) {
  return defineTool({
    name: 'optimize_model',
    description:
      'Writes an optimized copy of an ONNX model beside it. precision "int8": onnxruntime.quantization.quantize_dynamic when the user\'s ' +
      'Python has onnxruntime, else built in (weight-only: float32 weights of 1024+ elements to int8 with a per-tensor scale and ' +
      'DequantizeLinear; opset >= 10). "fp16": onnxconverter-common when installed, else built in (weights and compute in float16, Cast nodes ' +
      'keep inputs and outputs float32 and operators without fp16 kernels, e.g. Resize, TopK, CumSum, in float32; no subgraphs or custom domains). Refuses to overwrite. Reports which tool did it, sizes before/after ' +
      'and the largest output difference against the original on a sample input (onnxruntime). Check accuracy on real validation data afterwards.',
    input: z.object({ path: z.string().check(z.minLength(1)), precision: z.optional(z.enum(['int8', 'fp16'])) }),
    risk: 'write',
    confirmation: (input) => `Write an ${input.precision ?? 'int8'} copy of ${input.path}`,
    // The user's Python loads the file: "Allow for this chat" covers this file as it is now.
    approvalScope: async (input, context) => context.files.identity(await context.files.resolve(input.path)),
    async run(input, context, signal) {
      const precision = input.precision ?? 'int8';
      const source = await context.files.resolve(input.path);
      const out = optimizedPath(source, precision);
      context.files.checkWritable(out);
      if (existsSync(out)) throw new ToolInputError(`${context.files.display(out)} already exists: nothing was overwritten`);
      try {
        const interpreter = await python().catch(() => undefined);
        const { report } = await optimizeAndCompare(source, out, precision, ort, { ...(interpreter ? { python: interpreter } : {}), ...(cwd ? { cwd: cwd() } : {}), signal });
        return { content: report, summary: `${precision}: ${basename(out)}` };
      } catch (error) {
        return asToolInputError(error, input.path);
      }
    },
  });
}
