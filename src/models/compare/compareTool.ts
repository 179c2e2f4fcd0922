import * as z from 'zod/mini';
import { defineTool } from '../../agent/tools/tool';
import { asToolInputError, inspectForTool } from '../modelTool';
import type { OrtModule } from '../runtime/onnxRun';
import { compareTwoModels, comparisonMarkdown } from './twoModels';

/** The agent's `compare_models`: two model files' inputs, outputs, sizes, operators; ONNX pairs run on the same sample inputs and benchmarked. */
export function compareModelsTool(ort: () => OrtModule) {
  return defineTool({
    name: 'compare_models',
    description:
      'Compares two model files in the workspace: inputs/outputs, size, parameters, operator counts; when both are ONNX with the same inputs, runs both ' +
      'with onnxruntime-web (CPU) on the same sample inputs and reports the max and mean absolute difference per output, then benchmarks them side by side ' +
      '(skip with benchmark=false). Use it for a model against its quantized or re-exported copy.',
    input: z.object({
      a: z.string().check(z.minLength(1)),
      b: z.string().check(z.minLength(1)),
      benchmark: z.optional(z.boolean()),
      max_seconds: z.optional(z.number().check(z.positive(), z.maximum(120))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const [pa, pb] = await Promise.all([context.files.resolve(input.a), context.files.resolve(input.b)]);
      try {
        const [ia, ib] = [await inspectForTool(pa, input.a, signal), await inspectForTool(pb, input.b, signal)];
        const result = await compareTwoModels(ort, { path: pa, info: ia }, { path: pb, info: ib }, { signal, skipBenchmark: input.benchmark === false, maxSeconds: input.max_seconds ?? 10 });
        const worst = result.outputs?.reduce((m, o) => Math.max(m, o.maxAbsDiff), 0);
        return { content: comparisonMarkdown(result), summary: result.notRun ? 'compared, not run' : `max abs diff ${worst === Infinity ? 'shapes differ' : worst?.toExponential(2)}` };
      } catch (error) {
        return asToolInputError(error, `${input.a} or ${input.b}`);
      }
    },
  });
}
