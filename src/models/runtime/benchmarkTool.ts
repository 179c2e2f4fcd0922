import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../../agent/tools/tool';
import { asToolInputError, inspectForTool } from '../modelTool';
import { benchmarkText, formatMs, formatRate } from './benchmarkReport';
import { benchmarkOnnx, type OrtModule } from './onnxRun';

/** The agent's `benchmark_model`: latency statistics and throughput of an ONNX model on sample inputs. */
export function benchmarkModelTool(ort: () => OrtModule) {
  return defineTool({
    name: 'benchmark_model',
    description:
      'Measures an ONNX model with onnxruntime-web (WebAssembly, CPU, one thread) on sample inputs shaped like its inputs (symbolic batch axis = batch, ' +
      'other symbolic axes = 16): warms up until timings settle, then runs until the mean is known to ±5% (95% confidence) or the time budget ' +
      '(default 10 s) is spent. Reports mean ± CI, p50/p95/p99, min, and throughput = batch × runs / measured time. Use it to compare a model ' +
      'with its quantized copy; give `runs` only to measure an exact number of runs.',
    input: z.object({
      path: z.string().check(z.minLength(1)),
      batch: z.optional(z.number().check(z.int(), z.positive())),
      runs: z.optional(z.number().check(z.int(), z.positive(), z.maximum(100_000))),
      max_seconds: z.optional(z.number().check(z.positive(), z.maximum(120))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const path = await context.files.resolve(input.path);
      try {
        const info = await inspectForTool(path, input.path, signal);
        if (info.format !== 'onnx') throw new ToolInputError(`${input.path} is ${info.format}: benchmarks run ONNX models (export it first)`);
        const result = await benchmarkOnnx(ort(), path, info, {
          ...(input.batch ? { batch: input.batch } : {}),
          ...(input.runs ? { runs: input.runs } : {}),
          ...(input.max_seconds ? { maxSeconds: input.max_seconds } : {}),
          signal,
        });
        return { content: benchmarkText(context.files.display(path), result), summary: `mean ${formatMs(result.meanMs)} ms, ${formatRate(result.throughput)} samples/s` };
      } catch (error) {
        return asToolInputError(error, input.path);
      }
    },
  });
}
