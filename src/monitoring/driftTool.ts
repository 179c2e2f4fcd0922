import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import { isUserError } from '../common/errors';
import { EngineQueryError, sharedDataEngine, type DataEngine } from '../data/engine/engineClient';
import { cleanEngineMessage } from '../data/engine/engineErrors';
import { formatOfPath } from '../data/engine/fileRelation';
import type { KernelConnection } from '../kernels/jupyterLib';
import { driftMarkdown } from './driftReport';
import { detectFileDrift } from './driftScan';
import { kernelFrameFile, type KernelFrameFile } from './kernelFrame';

// The agent's detect_drift: a reference and a current dataset, each a data file in the workspace
// (the current one may be a served app's request log, logs/requests.jsonl) or a DataFrame of the
// active notebook's kernel (written by the kernel to a temporary file, removed after), compared
// column by column in the data engine; the answer is the Markdown report (a few KB). Read risk: it
// reads two files or frames (the kernel writes a temporary file of its own, nothing of the user's).

/** The active notebook's kernel; absent where there is none (the CLI without a kernel). */
export type ActiveKernel = () => Promise<KernelConnection>;

export function detectDriftTool(engine: () => DataEngine = () => sharedDataEngine(), kernel?: ActiveKernel) {
  return defineTool({
    name: 'detect_drift',
    description:
      'Compares a current dataset with a reference (training) dataset column by column and says which columns drifted: ' +
      'Kolmogorov-Smirnov / chi-squared p-values for references up to 1,000 rows, normed Wasserstein / Jensen-Shannon distances above (as Evidently; numbers with at most 5 values compared per value, a Z-test for two values), ' +
      'or PSI when asked. Files: .csv, .tsv, .parquet, .jsonl (a served model\'s request log logs/requests.jsonl works as current, read with its rotated files). ' +
      'Instead of a file, either side may be a pandas/polars DataFrame of the active notebook\'s kernel: reference_variable / current_variable (its name). ' +
      'ignore: columns to leave out (ids, the target). column_tests: a statistic for single columns (e.g. [{"column": "age", "test": "psi"}]; ks/wasserstein for numbers, chisquare/jensenshannon for categories and numbers with at most 5 values, ztest for columns of 2 values, psi for all).',
    input: z.object({
      reference: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
      current: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
      reference_variable: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      current_variable: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      numeric_test: z.optional(z.enum(['auto', 'ks', 'wasserstein', 'psi'])),
      categorical_test: z.optional(z.enum(['auto', 'chisquare', 'jensenshannon', 'psi'])),
      ignore: z.optional(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(200))),
      column_tests: z.optional(z.array(z.object({ column: z.string().check(z.maxLength(1000)), test: z.enum(['ks', 'wasserstein', 'chisquare', 'ztest', 'jensenshannon', 'psi']) })).check(z.maxLength(200))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const frames: KernelFrameFile[] = [];
      const side = async (name: 'reference' | 'current', file: string | undefined, variable: string | undefined): Promise<string | KernelFrameFile> => {
        if ((file === undefined) === (variable === undefined)) throw new ToolInputError(`Give either ${name} (a file) or ${name}_variable (a kernel DataFrame), one of them.`);
        if (variable !== undefined) {
          if (!kernel) throw new ToolInputError(`${name}_variable needs a notebook kernel, and there is none here: give a file.`);
          const frame = await kernelFrameFile(await kernel(), variable, signal);
          frames.push(frame);
          return frame;
        }
        const path = await context.files.resolve(file!);
        if (!formatOfPath(path)) throw new ToolInputError(`${file} is not a data file detect_drift reads (.csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson, .arrow, .feather).`);
        return path;
      };
      try {
        const reference = await side('reference', input.reference, input.reference_variable);
        const current = await side('current', input.current, input.current_variable);
        const result = await detectFileDrift(engine(), reference, current, {
          ...(input.numeric_test ? { numericTest: input.numeric_test } : {}),
          ...(input.categorical_test ? { categoricalTest: input.categorical_test } : {}),
          ...(input.ignore ? { ignore: input.ignore } : {}),
          ...(input.column_tests ? { columnTests: Object.fromEntries(input.column_tests.map((c) => [c.column, c.test])) } : {}),
        }, signal);
        return { content: driftMarkdown(result), summary: `${result.columns.filter((c) => c.drifted).length}/${result.columns.length} columns drifted` };
      } catch (error) {
        if (error instanceof EngineQueryError) throw new ToolInputError(cleanEngineMessage(error.message));
        if (isUserError(error)) throw new ToolInputError(error.message);
        throw error;
      } finally {
        await Promise.all(frames.map((f) => f.dispose()));
      }
    },
  });
}
