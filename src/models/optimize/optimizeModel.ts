import { existsSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { inspectModelFile } from '../modelReader';
import { formatBytes } from '../../common/units';
import { writeFileNoFollow } from '../../common/symlinks';
import { externalDataFiles } from '../externalData';
import { asToolInputError } from '../modelTool';
import { benchmarkOnnxModels, compareModels, describeSampleInputs, type OrtModule } from '../runtime/onnxRun';
import { convertToFloat16 } from './onnxFloat16';
import { missingTool, pythonToolName, type OptimizeMethod } from './optimizeChoices';
import { optimizeReportMarkdown, optimizeReportPath, optimizeSummaryLine, type OptimizeFacts } from './optimizeReport';
import { quantizeWeightsInt8 } from './onnxWeightQuantize';
import { optimizeWithPython, pythonOptimizers, type Precision, type PythonOptimizers } from './pythonOptimize';

// Optimize an ONNX model (int8 or fp16) with the user's Python tools where it has them, else
// without Python (weight-only int8, or fp16), write it beside the original, run both on the same
// sample inputs with onnxruntime, benchmark both, and write the report beside the copy
// (optimizeReport.ts): which tool and why, sizes, output differences, speed.

export type { Precision };
export { optimizeReportPath };

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

export interface OptimizeOptions {
  /** The user's Python: its onnxruntime.quantization / onnxconverter-common are used when it has them. */
  readonly python?: string;
  /** What `python` has, when the caller asked already. */
  readonly tools?: PythonOptimizers;
  /** 'python': the Python tool (which must be there); 'built-in': the rewrite; default: the Python tool where it is there. */
  readonly method?: OptimizeMethod;
  /** Why the built-in rewrite, when the caller knows (the user chose it). */
  readonly builtInReason?: string;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  /** Sample inputs the outputs are compared on. Default 4. */
  readonly compareSamples?: number;
  /** Benchmark budget for both models together, seconds (0: no benchmark). Default 8. */
  readonly benchmarkSeconds?: number;
  /** Where the report goes (false: none). Default beside `out` (optimizeReportPath). */
  readonly reportPath?: string | false;
  /** What it is doing now, for a progress notification. */
  readonly onStage?: (message: string) => void;
}

export interface OptimizeOutcome {
  /** The report, Markdown. */
  readonly report: string;
  readonly reportPath?: string;
  readonly facts: OptimizeFacts;
  /** One line for a notification. */
  readonly summary: string;
}

interface Written {
  readonly method: OptimizeMethod;
  readonly tool: string;
  readonly why: string;
  readonly install?: string;
  readonly summary: string;
  readonly notes: readonly string[];
}

/** Writes `out` with the Python tool or the built-in rewrite, and says which and why. */
async function writeCopy(source: string, out: string, precision: Precision, options: OptimizeOptions): Promise<Written> {
  const { python, signal } = options;
  const tools = python ? (options.tools ?? (await pythonOptimizers(python))) : undefined;
  const missing = missingTool(precision, tools, python);
  if (options.method === 'python' && missing) throw new Error(`${missing.problem}: install it with "${missing.install ?? `pip install ${missing.package}`}", or pick the built-in rewrite`);
  let why = options.builtInReason ?? (missing ? `${missing.problem}; with ${missing.package} there, Optimize uses ${pythonToolName(precision)}` : `picked instead of ${pythonToolName(precision)}`);
  if (python && !missing && options.method !== 'built-in') {
    try {
      const r = await optimizeWithPython(python, source, out, precision, { cwd: options.cwd ?? dirname(source), ...(signal ? { signal } : {}) });
      return {
        method: 'python',
        tool: `${r.tool} in ${python}`,
        why: `${python} has ${precision === 'int8' ? `onnxruntime ${tools?.onnxruntime ?? '?'}` : `onnxconverter-common ${tools?.onnxconverterCommon ?? '?'}`}, the standard tool for ${precision === 'int8' ? 'dynamic int8' : 'fp16'} (${r.seconds} s)`,
        summary: precision === 'int8' ? 'Dynamic int8: int8 weights, activations quantized at run time (MatMulInteger / ConvInteger).' : 'fp16: float16 weights and compute, operators that need float32 kept in it, inputs and outputs float32.',
        notes: [],
      };
    } catch (error) {
      if (signal?.aborted) throw error;
      why = `${python}'s ${pythonToolName(precision)} failed (${(error as Error).message}), so the built-in rewrite was used`;
    }
  }
  const r = rewrite(source, precision);
  signal?.throwIfAborted();
  writeFileNoFollow(out, r.model);
  return {
    method: 'built-in',
    tool: `ML Engineer's built-in ${precision === 'int8' ? 'weight-only int8' : 'fp16'} rewrite (no Python)`,
    why,
    ...(missing?.install ? { install: missing.install } : {}),
    summary: r.summary,
    notes: r.notes,
  };
}

/**
 * Writes the optimized copy of `source` to `out` (with the Python tools where `python` has them,
 * else built in, saying why), compares the two on sample inputs, benchmarks both, and writes
 * the report beside the copy. Cancelled (the signal), it removes what it wrote and throws.
 */
export async function optimizeAndCompare(source: string, out: string, precision: Precision, ort: () => OrtModule, options: OptimizeOptions = {}): Promise<OptimizeOutcome> {
  const { signal } = options;
  const info = await inspectModelFile(source, signal);
  // Refused before anything reads them (Python's tools, the built-in rewrite, onnxruntime).
  externalDataFiles(source, info.externalData);
  const before = modelBytes(source, info.externalData);
  const reportPath = options.reportPath === false ? undefined : (options.reportPath ?? optimizeReportPath(out));
  const stage = options.onStage ?? (() => undefined);
  try {
    stage(`Writing the ${precision} copy`);
    const written = await writeCopy(source, out, precision, options);
    signal?.throwIfAborted();
    const samples = options.compareSamples ?? 4;
    let comparison: OptimizeFacts['comparison'];
    try {
      stage(`Comparing outputs on ${samples} sample inputs`);
      comparison = { inputs: describeSampleInputs(info.inputs ?? []), samples, outputs: await compareModels(ort(), { path: source, info }, out, { samples, ...(signal ? { signal } : {}) }) };
    } catch (error) {
      if (signal?.aborted) throw error;
      comparison = { error: (error as Error).message };
    }
    const seconds = options.benchmarkSeconds ?? 8;
    let benchmark: OptimizeFacts['benchmark'] = { error: 'not asked for' };
    if (seconds > 0) {
      try {
        const bench = { batch: 1, maxSeconds: seconds, ...(signal ? { signal } : {}) };
        stage(`Benchmarking the original and the ${precision} copy in turns (up to ${seconds} s)`);
        const [original, optimized] = await benchmarkOnnxModels(ort(), [{ path: source, info }, { path: out, info: { inputs: info.inputs } }], bench);
        benchmark = { original: original!, optimized: optimized! };
      } catch (error) {
        if (signal?.aborted) throw error;
        benchmark = { error: (error as Error).message };
      }
    }
    const facts: OptimizeFacts = { source, out, precision, ...written, before, after: statSync(out).size, comparison, benchmark, date: new Date() };
    const report = optimizeReportMarkdown(facts);
    if (reportPath) writeFileNoFollow(reportPath, report);
    return { report, ...(reportPath ? { reportPath } : {}), facts, summary: optimizeSummaryLine(facts) };
  } catch (error) {
    // Cancelled or failed: no half-written copy is left beside the model.
    rmSync(out, { force: true });
    if (signal?.aborted) throw new Error('cancelled', { cause: error });
    throw error;
  }
}

/** The agent's `optimize_model`: an int8 or fp16 copy of an ONNX model and its report, written beside it after approval. */
export function optimizeModelTool(ort: () => OrtModule, python: () => Promise<string | undefined> = () => Promise.resolve(undefined), cwd?: () => string) {
  return defineTool({
    name: 'optimize_model',
    description:
      'Writes an optimized copy of an ONNX model beside it, and a Markdown report beside that (<name>.<precision>.report.md). precision "int8": ' +
      'onnxruntime.quantization.quantize_dynamic when the user\'s Python has onnxruntime, else built in (weight-only: float32 weights of 1024+ ' +
      'elements to int8 with a per-tensor scale and DequantizeLinear; opset >= 10; smaller, but no faster: the arithmetic stays float32). "fp16": ' +
      'onnxconverter-common when installed, else built in (weights and compute in float16, Cast nodes keep inputs and outputs float32 and operators ' +
      'without fp16 kernels, e.g. Resize, TopK, CumSum, in float32; no subgraphs or custom domains). method "built-in" forces the rewrite. Refuses ' +
      'to overwrite. Returns the report: which tool wrote it and why (with the install command when the Python tool is missing), sizes before/after, ' +
      'the largest and mean output difference against the original on 4 sample inputs, and both models benchmarked in turns (onnxruntime-web, ' +
      'WebAssembly, 1 thread; mean, p50/p95/p99, throughput) with a plain verdict on speed. benchmark_seconds bounds the benchmark (default 8; 0 skips ' +
      'it). Check accuracy on real validation data afterwards.',
    input: z.object({
      path: z.string().check(z.minLength(1)),
      precision: z.optional(z.enum(['int8', 'fp16'])),
      method: z.optional(z.enum(['auto', 'built-in'])),
      benchmark_seconds: z.optional(z.number().check(z.minimum(0), z.maximum(60))),
    }),
    risk: 'write',
    confirmation: (input) => `Write an ${input.precision ?? 'int8'} copy of ${input.path} and its report`,
    // The user's Python loads the file: "Allow for this chat" covers this file as it is now.
    approvalScope: async (input, context) => context.files.identity(await context.files.resolve(input.path)),
    async run(input, context, signal) {
      const precision = input.precision ?? 'int8';
      const source = await context.files.resolve(input.path);
      const out = optimizedPath(source, precision);
      const reportPath = optimizeReportPath(out);
      for (const path of [out, reportPath]) {
        context.files.checkWritable(path);
        if (existsSync(path)) throw new ToolInputError(`${context.files.display(path)} already exists: nothing was overwritten`);
      }
      try {
        const interpreter = await python().catch(() => undefined);
        const { report } = await optimizeAndCompare(source, out, precision, ort, {
          ...(interpreter ? { python: interpreter } : {}),
          ...(input.method === 'built-in' ? { method: 'built-in' as const, builtInReason: 'asked for by the agent (method "built-in")' } : {}),
          ...(cwd ? { cwd: cwd() } : {}),
          ...(input.benchmark_seconds !== undefined ? { benchmarkSeconds: input.benchmark_seconds } : {}),
          reportPath,
          signal,
        });
        return { content: `${report}\n(Report written to ${context.files.display(reportPath)}.)`, summary: `${precision}: ${basename(out)}, ${basename(reportPath)}` };
      } catch (error) {
        return asToolInputError(error, input.path);
      }
    },
  });
}
