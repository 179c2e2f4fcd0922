import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { asToolInputError, inspectForTool } from '../modelTool';
import { benchmarkOnnx, type BenchmarkResult, type OrtModule } from './onnxRun';

export function benchmarkText(model: string, r: BenchmarkResult): string {
  const shapes = Object.entries(r.inputShapes).map(([k, v]) => `${k} [${v.join(', ')}]`).join(', ');
  return [
    `${model} on onnxruntime (WebAssembly, CPU, 1 thread), batch ${r.batch}, inputs ${shapes}:`,
    `latency p50 ${r.p50Ms.toFixed(2)} ms, p95 ${r.p95Ms.toFixed(2)} ms, mean ${r.meanMs.toFixed(2)} ms over ${r.runs} runs; throughput ${r.throughput.toFixed(1)} samples/s; load ${r.loadMs.toFixed(0)} ms.`,
    'A CPU figure for comparing models and their optimized copies; a GPU server (onnxruntime-gpu, Triton) is faster.',
  ].join('\n');
}

/** The agent's `benchmark_model`: latency percentiles and throughput of an ONNX model on sample inputs. */
export function benchmarkModelTool(ort: () => OrtModule) {
  return defineTool({
    name: 'benchmark_model',
    description:
      'Measures an ONNX model with onnxruntime (WebAssembly build, CPU, one thread) on sample inputs shaped like its inputs (symbolic batch axis = batch, ' +
      'other symbolic axes = 16): latency p50/p95, mean, throughput. Use it to compare a model with its quantized copy.',
    input: z.object({
      path: z.string().check(z.minLength(1)),
      batch: z.optional(z.number().check(z.int(), z.positive())),
      runs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(1000))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      try {
        const info = await inspectForTool(path, input.path, signal);
        if (info.format !== 'onnx') throw new ToolInputError(`${input.path} is ${info.format}: benchmarks run ONNX models (export it first)`);
        const result = await benchmarkOnnx(ort(), path, info, { ...(input.batch ? { batch: input.batch } : {}), ...(input.runs ? { runs: input.runs } : {}), signal });
        return { content: benchmarkText(context.files.display(path), result), summary: `p50 ${result.p50Ms.toFixed(2)} ms, ${result.throughput.toFixed(0)}/s` };
      } catch (error) {
        return asToolInputError(error, input.path);
      }
    },
  });
}
