import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../../cli/subcommand';
import { isAbortError } from '../../common/errors';
import { ModelFormatError } from '../fileWindow';
import { ReaderStopped } from '../../common/worker/readerStopped';
import { ModelReader } from '../modelReader';
import { pythonCandidates, resolvePython } from '../../python/pythonInterpreter';
import { compareOnData } from './abPredict';
import { folderRegistries, parseModelRef, resolveModelRef, type LocatedStore } from './registryRef';
import { compareTwoOffThread } from './abStatsJob';
import { comparisonMarkdown } from './twoModels';
import { AB_METRICS, isABMetric, RARE_POSITIVE } from './abStats';

async function cliPython(flag: unknown, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<string> {
  const found = await resolvePython(pythonCandidates(typeof flag === 'string' ? flag : env.ML_ENGINEER_PYTHON, undefined), { signal });
  if (!found.found) throw new Error(`no Python 3 to read the dataset and run the models (${found.attempts.map((a) => `${a.candidate.command}: ${a.problem}`).join('; ')}); give --python`);
  return found.interpreter.executable;
}

export const compareModelsSubcommand: Subcommand = {
  name: 'compare-models',
  summary: 'compare two model files: inputs/outputs, sizes, operators; ONNX outputs on the same inputs and a benchmark side by side',
  usage: [
    'Usage: ml-engineer compare-models A B [--data FILE --target COL [--metric M]] [--no-benchmark] [--json]',
    '',
    'Reads both files (any format inspect reads): inputs and outputs, size, parameters, operators.',
    'A or B may name a version of the folder\'s MLflow registry: models:/NAME/3, models:/NAME@ALIAS, NAME@ALIAS.',
    'When both are ONNX with the same inputs, runs both with onnxruntime-web (CPU, one thread) on the',
    'same sample inputs (3 seeds): the max and mean absolute difference per output; then benchmarks them',
    'in turns (mean ± 95% CI, p50/p95/p99, throughput), unless --no-benchmark.',
    '',
    'With --data (CSV or Parquet) and --target (its label column): both models (ONNX, scikit-learn or',
    'TorchScript) predict its rows (pandas, scikit-learn and torch in your Python: --python,',
    'ML_ENGINEER_PYTHON or python3; ONNX in onnxruntime-web, off the main thread): accuracy and',
    'macro F1 with McNemar\'s exact test (classifiers) or MAE, RMSE and R² (regressors), ROC AUC and',
    'average precision where both give probabilities, paired bootstrap 95% intervals of B − A, and',
    'which is better on one metric, in words: --metric M (one of',
    `${AB_METRICS.join(', ')}); by default ROC AUC where both give probabilities (average precision for`,
    `two classes whose positive class is under ${RARE_POSITIVE * 100}% of the rows), else accuracy; MAE for regressors.`,
    'each model\'s one-row latency (p50/p95, timed in turns A B B A) with an interval of the p50 difference.',
    'Loading a pickle or a TorchScript archive runs code from it: compare only files you trust.',
    '',
    'Exit code 1 when a file cannot be read or run.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, 'no-benchmark': { type: 'boolean' }, data: { type: 'string' }, target: { type: 'string' }, python: { type: 'string' }, metric: { type: 'string' } },
  async run(args, io, signal) {
    const [a, b] = args.positionals;
    if (!a || !b || args.positionals.length > 2) {
      io.err('ml-engineer compare-models: give two model files (ml-engineer compare-models A B)\n');
      return EXIT.usage;
    }
    const data = typeof args.values.data === 'string' ? resolve(io.cwd, args.values.data) : undefined;
    const target = typeof args.values.target === 'string' ? args.values.target : undefined;
    if ((data === undefined) !== (target === undefined)) {
      io.err('ml-engineer compare-models: --data and --target go together (the dataset and its label column)\n');
      return EXIT.usage;
    }
    const metric = args.values.metric;
    if (metric !== undefined && (typeof metric !== 'string' || !isABMetric(metric) || data === undefined)) {
      io.err(`ml-engineer compare-models: ${data === undefined ? '--metric goes with --data and --target' : `--metric is one of ${AB_METRICS.join(', ')}`}\n`);
      return EXIT.usage;
    }
    const reader = new ModelReader({ idleMs: 0 });
    try {
      // A file, or a registry version of the folder's MLflow registry (models:/name/3, name@alias).
      let stores: LocatedStore[] | undefined;
      const side = async (text: string): Promise<{ path: string; name?: string }> => {
        const ref = parseModelRef(text);
        if (!ref) return { path: resolve(io.cwd, text) };
        const found = await resolveModelRef(ref, (stores ??= await folderRegistries(io.cwd, signal)));
        return { path: found.path, name: found.label };
      };
      const [sa, sb] = [await side(a), await side(b)];
      const [pa, pb] = [sa.path, sb.path];
      const [ia, ib] = [await reader.inspect(pa, signal), await reader.inspect(pb, signal)];
      const ab = data && target ? await compareOnData(() => cliPython(args.values.python, io.env, signal), { ...sa, info: ia }, { ...sb, info: ib }, data, target, { cwd: io.cwd, signal, reader, ...(metric ? { metric } : {}) }) : undefined;
      // onnxruntime-web runs in the models worker (dist/workers/models.js loads dist/lazy/ort.js), as in the editor.
      const result = await compareTwoOffThread(reader, { a: { ...sa, info: ia }, b: { ...sb, info: ib }, options: { skipBenchmark: args.values['no-benchmark'] === true || ab !== undefined, maxSeconds: 5 } }, { signal });
      io.out(args.values.json === true ? `${JSON.stringify(ab ? { ...result, onData: ab.result } : result, (_, v: unknown) => (v === Infinity ? 'Infinity' : v), 2)}\n` : `${ab ? `${ab.result.verdict}\n\n` : ''}${comparisonMarkdown(result)}${ab ? `\n${ab.markdown}` : ''}`);
      return EXIT.ok;
    } catch (error) {
      if (isAbortError(error)) return EXIT.cancelled;
      const why = error instanceof ModelFormatError ? error.message : error instanceof ReaderStopped ? error.why : (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      io.err(`ml-engineer compare-models: ${why}\n`);
      return EXIT.failure;
    } finally {
      reader.dispose();
    }
  },
};
