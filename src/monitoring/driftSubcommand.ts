import { resolve } from 'node:path';
import { EXIT, type Subcommand } from '../cli/subcommand';
import { isAbortError, isUserError } from '../common/errors';
import { DataEngine, EngineQueryError } from '../data/engine/engineClient';
import { cleanEngineMessage } from '../data/engine/engineErrors';
import { formatOfPath } from '../data/engine/fileRelation';
import { driftJson, driftMarkdown } from './driftReport';
import { detectFileDrift } from './driftScan';
import type { CategoricalTestChoice, NumericTestChoice } from './driftTests';

const USAGE = [
  'Usage: ml-engineer drift REFERENCE CURRENT [--numeric-test T] [--categorical-test T] [--ignore COL]... [--include-load-test] [--json]',
  '',
  'Compares CURRENT with REFERENCE column by column (data files: .csv, .tsv, .parquet, .jsonl, …; a served',
  "model's request log, logs/requests.jsonl, works as CURRENT, with its rotated files). Statistics as Evidently chooses them:",
  'reference up to 1,000 rows: Kolmogorov-Smirnov (numbers), chi-squared (categories), drift at p < 0.05;',
  'above: Wasserstein distance normed by the reference std (numbers), Jensen-Shannon distance (categories),',
  'drift at >= 0.1. A number with at most 5 distinct values is compared per value, as a category; two values',
  'with a small reference: a Z-test for two proportions. The dataset drifts when at least half the columns do.',
  '',
  'Options:',
  '  --numeric-test      auto | ks | wasserstein | psi',
  '  --categorical-test  auto | chisquare | jensenshannon | psi',
  '  --ignore COL        leave a column out (repeat)',
  '  --include-load-test keep a request log\'s load-test rows (left out by default)',
  '  --json              print JSON',
  '',
  'Exit code 0 without dataset drift, 3 with it, 1 when a file cannot be read, 2 for a usage error.',
  '',
].join('\n');

export const driftSubcommand: Subcommand = {
  name: 'drift',
  summary: 'which columns of a dataset drifted from a reference (KS, chi-squared, Wasserstein, Jensen-Shannon, PSI)',
  usage: USAGE,
  options: { json: { type: 'boolean' }, 'numeric-test': { type: 'string' }, 'categorical-test': { type: 'string' }, ignore: { type: 'string', multiple: true }, 'include-load-test': { type: 'boolean' } },
  async run(args, io, signal) {
    const [reference, current] = args.positionals;
    const numeric = (args.values['numeric-test'] as string | undefined) ?? 'auto';
    const categorical = (args.values['categorical-test'] as string | undefined) ?? 'auto';
    if (!reference || !current || args.positionals.length > 2 || !['auto', 'ks', 'wasserstein', 'psi'].includes(numeric) || !['auto', 'chisquare', 'jensenshannon', 'psi'].includes(categorical)) {
      io.err(`ml-engineer drift: ${!reference || !current ? 'give REFERENCE and CURRENT' : 'unknown option value'}\n${USAGE}`);
      return EXIT.usage;
    }
    const paths = [resolve(io.cwd, reference), resolve(io.cwd, current)] as const;
    for (const path of paths) {
      if (!formatOfPath(path)) {
        io.err(`ml-engineer drift: ${path} is not a data file this reads (.csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson, .arrow, .feather)\n`);
        return EXIT.failure;
      }
    }
    const engine = new DataEngine();
    try {
      const result = await detectFileDrift(engine, paths[0], paths[1], {
        numericTest: numeric as NumericTestChoice,
        categoricalTest: categorical as CategoricalTestChoice,
        ignore: (args.values.ignore as string[] | undefined) ?? [],
        includeLoadTest: args.values['include-load-test'] === true,
      }, signal);
      io.out(args.values.json === true ? `${driftJson(result)}\n` : driftMarkdown(result));
      return result.datasetDrift ? 3 : EXIT.ok;
    } catch (error) {
      if (isAbortError(error)) return EXIT.cancelled;
      if (error instanceof EngineQueryError) io.err(`ml-engineer drift: ${cleanEngineMessage(error.message)}\n`);
      else if (isUserError(error)) io.err(`ml-engineer drift: ${error.message}\n`);
      else throw error;
      return EXIT.failure;
    } finally {
      await engine.close();
    }
  },
};
