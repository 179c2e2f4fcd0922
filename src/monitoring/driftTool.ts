import * as z from 'zod/mini';
import { defineTool, ToolInputError } from '../agent/tools/tool';
import { isUserError } from '../common/errors';
import { EngineQueryError, sharedDataEngine, type DataEngine } from '../data/engine/engineClient';
import { cleanEngineMessage } from '../data/engine/engineErrors';
import { formatOfPath } from '../data/engine/fileRelation';
import { driftMarkdown } from './driftReport';
import { detectFileDrift } from './driftScan';

// The agent's detect_drift: a reference and a current data file in the workspace (the current one
// may be a served app's request log, logs/requests.jsonl), compared column by column in the data
// engine; the answer is the Markdown report (a few KB). Read risk: it reads two files.

export function detectDriftTool(engine: () => DataEngine = () => sharedDataEngine()) {
  return defineTool({
    name: 'detect_drift',
    description:
      'Compares a current dataset with a reference (training) dataset column by column and says which columns drifted: ' +
      'Kolmogorov-Smirnov / chi-squared p-values for references up to 1,000 rows, normed Wasserstein / Jensen-Shannon distances above (as Evidently), ' +
      'or PSI when asked. Files: .csv, .tsv, .parquet, .jsonl (a served model\'s request log logs/requests.jsonl works as current). ' +
      'ignore: columns to leave out (ids, the target).',
    input: z.object({
      reference: z.string().check(z.minLength(1), z.maxLength(4000)),
      current: z.string().check(z.minLength(1), z.maxLength(4000)),
      numeric_test: z.optional(z.enum(['auto', 'ks', 'wasserstein', 'psi'])),
      categorical_test: z.optional(z.enum(['auto', 'chisquare', 'jensenshannon', 'psi'])),
      ignore: z.optional(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(200))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      const [reference, current] = await Promise.all([context.files.resolve(input.reference), context.files.resolve(input.current)]);
      for (const [given, path] of [[input.reference, reference], [input.current, current]] as const) {
        if (!formatOfPath(path)) throw new ToolInputError(`${given} is not a data file detect_drift reads (.csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson, .arrow, .feather).`);
      }
      try {
        const result = await detectFileDrift(engine(), reference, current, {
          ...(input.numeric_test ? { numericTest: input.numeric_test } : {}),
          ...(input.categorical_test ? { categoricalTest: input.categorical_test } : {}),
          ...(input.ignore ? { ignore: input.ignore } : {}),
        }, signal);
        return { content: driftMarkdown(result), summary: `${result.columns.filter((c) => c.drifted).length}/${result.columns.length} columns drifted` };
      } catch (error) {
        if (error instanceof EngineQueryError) throw new ToolInputError(cleanEngineMessage(error.message));
        if (isUserError(error)) throw new ToolInputError(error.message);
        throw error;
      }
    },
  });
}
