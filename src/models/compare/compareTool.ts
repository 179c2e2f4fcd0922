import * as z from 'zod/mini';
import { defineTool, type ToolContext } from '../../agent/tools/tool';
import { ToolInputError } from '../../agent/tools/toolInputError';
import { asToolInputError, inspectForTool } from '../modelTool';
import type { OrtModule } from '../runtime/onnxRun';
import { compareOnData } from './abPredict';
import { folderRegistries, parseModelRef, resolveModelRef, type LocatedStore } from './registryRef';
import { compareTwoOffThread } from './abStatsJob';
import { comparisonMarkdown } from './twoModels';
import { modelReader } from '../modelReader';
import { AB_METRICS, RARE_POSITIVE } from './abStats';

const REF_WORDS = 'a and b: workspace paths, or registered model versions of the folder\'s MLflow registry (mlruns/ or mlflow.db) as models:/name/3, models:/name@alias or name@alias';

interface Side {
  readonly path: string;
  readonly name?: string;
  /** The registry reference it was resolved from, as given ("churn@champion"). */
  readonly ref?: string;
}

/** Each of a, b as a file: a workspace path, or a registry reference resolved to its version's model file (registryRef.ts). */
async function modelsOf(refs: readonly string[], context: ToolContext, signal?: AbortSignal): Promise<Side[]> {
  let stores: LocatedStore[] | undefined;
  const out: Side[] = [];
  for (const text of refs) {
    const ref = parseModelRef(text);
    if (!ref) {
      out.push({ path: await context.files.resolve(text) });
      continue;
    }
    const root = context.files.roots[0]?.path;
    if (!root) throw new ToolInputError(`No folder is open to find the registry holding ${text}.`);
    stores ??= await folderRegistries(root, signal);
    let found: { path: string; label: string };
    try {
      // A version's folder outside the workspace is refused before it is walked, as any other path there would be.
      found = await resolveModelRef(ref, stores, [], (folder) => context.files.resolve(folder));
    } catch (error) {
      if (error instanceof ToolInputError) throw new ToolInputError(`${text}: ${error.message}`);
      throw new ToolInputError(`${text}: ${(error as Error).message}.`);
    }
    out.push({ path: await context.files.resolve(found.path), name: found.label, ref: text });
  }
  return out;
}

/** The agent's `compare_models`: two model files' inputs, outputs, sizes, operators; ONNX pairs run on the same sample inputs and benchmarked (in the models worker, with its own onnxruntime: `_ort` is kept for the callers). */
export function compareModelsTool(_ort: () => OrtModule) {
  return defineTool({
    name: 'compare_models',
    description:
      'Compares two model files in the workspace: inputs/outputs, size, parameters, operator counts; when both are ONNX with the same inputs, runs both ' +
      'with onnxruntime-web (CPU) on the same sample inputs and reports the max and mean absolute difference per output, then benchmarks them side by side ' +
      '(skip with benchmark=false). Use it for a model against its quantized or re-exported copy, or two registry versions. ' + REF_WORDS + '.',
    input: z.object({
      a: z.string().check(z.minLength(1)),
      b: z.string().check(z.minLength(1)),
      benchmark: z.optional(z.boolean()),
      max_seconds: z.optional(z.number().check(z.positive(), z.maximum(120))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      try {
        const [ma, mb] = (await modelsOf([input.a, input.b], context, signal)) as [Side, Side];
        const [ia, ib] = [await inspectForTool(ma.path, input.a, signal), await inspectForTool(mb.path, input.b, signal)];
        // In the models worker: the chat's tools run on the extension host.
        const result = await compareTwoOffThread(modelReader(), { a: { ...ma, info: ia }, b: { ...mb, info: ib }, options: { skipBenchmark: input.benchmark === false, maxSeconds: input.max_seconds ?? 10 } }, { signal });
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
 * execute tool that asks first, while `compare_models` stays a read tool. Its ONNX arms run in the
 * models worker with the worker's own onnxruntime (`_ort` is kept for its callers' sake).
 */
export function compareModelsOnDataTool(_ort: () => OrtModule, python: () => Promise<string>, cwd: () => string) {
  const approved = new Map<string, { models: readonly Side[]; shown: string }>();
  return defineTool({
    name: 'compare_models_on_data',
    description:
      'A/B test of two models (ONNX, scikit-learn pickles or TorchScript archives; two registry versions too) on the same labelled dataset (CSV or Parquet) and its target column: accuracy and macro F1 with ' +
      "McNemar's exact test (classifiers) or MAE, RMSE and R² (regressors), ROC AUC and average precision where both give probabilities (more than two " +
      'classes: one-vs-rest macro ROC AUC), paired bootstrap 95% intervals of B − A, each model\'s one-row prediction latency (p50/p95, timed in turns) ' +
      'with a 95% interval of the p50 difference, and a one-sentence verdict on one metric: `metric` if given, else ROC AUC for classifiers with ' +
      `probabilities (average precision for two classes where the positive class is under ${RARE_POSITIVE * 100}% of the rows), accuracy where a model ` +
      'gives labels only, MAE for regressors. Pass the metric that matters for the problem. ' +
      'Runs the models with the user\'s Python and onnxruntime-web; asks the user first. A PyTorch state dict or pickled module is refused (save it as TorchScript or export it to ONNX). ' +
      REF_WORDS +
      '.',
    input: z.object({
      a: z.string().check(z.minLength(1)),
      b: z.string().check(z.minLength(1)),
      data: z.string().check(z.minLength(1)),
      target: z.string().check(z.minLength(1)),
      metric: z.optional(z.enum(AB_METRICS)),
    }),
    risk: 'execute',
    // The registry references are resolved once, in approvalScope (just before the card is drawn),
    // so the card names the files that will be loaded (a pickle or TorchScript runs code), and run
    // loads those: an alias moved after the user said yes is refused, never followed.
    confirmation: (input) => `Compare ${approved.get(JSON.stringify(input))?.shown ?? `${input.a} and ${input.b}`} on ${input.data} (target ${input.target}) with your Python (loading a pickle or a TorchScript archive runs code from the file)`,
    async approvalScope(input, context) {
      const models = await modelsOf([input.a, input.b], context);
      approved.clear();
      approved.set(JSON.stringify(input), { models, shown: models.map((m) => (m.ref ? `${m.ref} → ${context.files.display(m.path)}` : context.files.display(m.path))).join(' and ') });
      return (await Promise.all([...models.map((m) => m.path), await context.files.resolve(input.data)].map((p) => context.files.identity(p)))).join('\n');
    },
    async run(input, context, signal) {
      try {
        const [ma, mb] = (await modelsOf([input.a, input.b], context, signal)) as [Side, Side];
        const said = approved.get(JSON.stringify(input));
        approved.delete(JSON.stringify(input));
        const moved = said?.models.findIndex((m, i) => m.path !== [ma, mb][i]!.path) ?? -1;
        if (moved >= 0) {
          const [then, now] = [said!.models[moved]!, [ma, mb][moved]!];
          throw new ToolInputError(`Nothing run: ${then.ref ?? [input.a, input.b][moved]} now resolves to ${context.files.display(now.path)}, not ${context.files.display(then.path)} that the user approved (the registry changed since). Call again so the user is asked about the new file.`);
        }
        const data = await context.files.resolve(input.data);
        const [ia, ib] = [await inspectForTool(ma.path, input.a, signal), await inspectForTool(mb.path, input.b, signal)];
        const ab = await compareOnData(python, { ...ma, info: ia }, { ...mb, info: ib }, data, input.target, { cwd: cwd(), signal, ...(input.metric ? { metric: input.metric } : {}) });
        return { content: ab.markdown, summary: ab.result.latency ? `${ab.result.verdict} ${ab.result.latency.sentence}` : ab.result.verdict };
      } catch (error) {
        return asToolInputError(error, `${input.a}, ${input.b} or ${input.data}`);
      }
    },
  });
}
