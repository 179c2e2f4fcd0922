import * as z from 'zod/mini';
import { defineTool } from '../../agent/tools/tool';
import { asToolInputError, inspectForTool } from '../modelTool';
import type { OrtModule } from '../runtime/onnxRun';
import { compareOnData } from './abPredict';
import { AB_METRICS, RARE_POSITIVE } from './abStats';
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

/**
 * The agent's `compare_models_on_data`: A/B on a labelled dataset. A tool of its own because it
 * runs the user's Python (pandas reads the data; loading a pickle runs code from it), so it is an
 * execute tool that asks first, while `compare_models` stays a read tool.
 */
export function compareModelsOnDataTool(ort: () => OrtModule, python: () => Promise<string>, cwd: () => string) {
  return defineTool({
    name: 'compare_models_on_data',
    description:
      'A/B test of two models (ONNX or scikit-learn pickles) on the same labelled dataset (CSV or Parquet) and its target column: accuracy and macro F1 with ' +
      "McNemar's exact test (classifiers) or MAE, RMSE and R² (regressors), ROC AUC and average precision where both give probabilities (more than two " +
      'classes: one-vs-rest macro ROC AUC), paired bootstrap 95% intervals of B − A, each model\'s one-row prediction latency (p50/p95, timed in turns) ' +
      'with a 95% interval of the p50 difference, and a one-sentence verdict on one metric: `metric` if given, else ROC AUC for classifiers with ' +
      `probabilities (average precision for two classes where the positive class is under ${RARE_POSITIVE * 100}% of the rows), accuracy where a model ` +
      'gives labels only, MAE for regressors. Pass the metric that matters for the problem. Runs the models with the user\'s Python and onnxruntime-web; asks the user first.',
    input: z.object({
      a: z.string().check(z.minLength(1)),
      b: z.string().check(z.minLength(1)),
      data: z.string().check(z.minLength(1)),
      target: z.string().check(z.minLength(1)),
      metric: z.optional(z.enum(AB_METRICS)),
    }),
    risk: 'execute',
    confirmation: (input) => `Compare ${input.a} and ${input.b} on ${input.data} (target ${input.target}) with your Python (loading a pickle runs code from the file)`,
    approvalScope: async (input, context) => (await Promise.all([input.a, input.b, input.data].map(async (p) => context.files.identity(await context.files.resolve(p))))).join('\n'),
    async run(input, context, signal) {
      const [pa, pb, data] = await Promise.all([context.files.resolve(input.a), context.files.resolve(input.b), context.files.resolve(input.data)]);
      try {
        const [ia, ib] = [await inspectForTool(pa, input.a, signal), await inspectForTool(pb, input.b, signal)];
        const ab = await compareOnData(ort, python, { path: pa, info: ia }, { path: pb, info: ib }, data, input.target, { cwd: cwd(), signal, ...(input.metric ? { metric: input.metric } : {}) });
        return { content: ab.markdown, summary: ab.result.latency ? `${ab.result.verdict} ${ab.result.latency.sentence}` : ab.result.verdict };
      } catch (error) {
        return asToolInputError(error, `${input.a}, ${input.b} or ${input.data}`);
      }
    },
  });
}
