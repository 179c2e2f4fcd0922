import { dirname, join, relative, resolve } from 'node:path';
import { EXIT, type Subcommand } from '../cli/subcommand';
import { isAbortError, isUserError } from '../common/errors';
import { writeFileNoFollow } from '../common/symlinks';
import { DataEngine } from '../data/engine/engineClient';
import { ModelReader } from '../models/modelReader';
import { loadOrt, type OrtModule } from '../models/runtime/onnxRun';
import { RunCatalog } from '../tracking/runCatalog';
import { TrackingReaders } from '../tracking/workerSources';
import { isToolInputError } from '../agent/tools/tool';
import { gatherCardFacts } from './gatherFacts';
import { buildModelCard } from './modelCard';
import { cardReaders } from './modelCardTool';

const USAGE = [
  'Usage: ml-engineer model-card MODEL [--run RUN] [--out FILE] [--runs PATH] [--reference DATA --current DATA [--ignore COL]...] [--no-benchmark] [--json]',
  '',
  'Writes a Hugging Face-style model card of MODEL from facts the tools return: its inspection, the',
  'training run (RUN: an id, an id prefix or a name; else the one run whose params, tags or artifacts',
  'name MODEL), a latency benchmark (ONNX models) and a drift check of DATA files. Every number has',
  'a footnote quoting its source; what could not be found is listed in the card, never invented.',
  '',
  'Options:',
  '  --run RUN          the training run',
  '  --out FILE         where to write (default: MODEL_CARD.md beside MODEL)',
  '  --runs PATH        where the runs are (default: the current folder)',
  '  --reference DATA   training data for the drift check (.csv, .parquet, .jsonl …)',
  '  --current DATA     current data (a served model\'s logs/requests.jsonl works)',
  '  --ignore COL       a column the drift check leaves out (repeat); columns the model does not read are left out anyway',
  '  --no-benchmark     do not measure latency',
  '  --json             print {card, footnotes, missing} as JSON',
  '',
].join('\n');

export const modelCardSubcommand: Subcommand = {
  name: 'model-card',
  summary: 'write MODEL_CARD.md for a model file, every number sourced from a tool output',
  usage: USAGE,
  options: { run: { type: 'string' }, out: { type: 'string' }, runs: { type: 'string' }, reference: { type: 'string' }, current: { type: 'string' }, ignore: { type: 'string', multiple: true }, 'no-benchmark': { type: 'boolean' }, json: { type: 'boolean' } },
  async run(args, io, signal) {
    const given = args.positionals[0];
    const str = (name: string): string | undefined => (typeof args.values[name] === 'string' ? (args.values[name]) : undefined);
    if (!given || args.positionals.length > 1 || Boolean(str('reference')) !== Boolean(str('current'))) {
      io.err(`ml-engineer model-card: ${!given ? 'which model file?' : args.positionals.length > 1 ? 'one model at a time' : 'give both --reference and --current'}\n${USAGE}`);
      return EXIT.usage;
    }
    const model = resolve(io.cwd, given);
    const out = resolve(io.cwd, str('out') ?? join(dirname(model), 'MODEL_CARD.md'));
    const reader = new ModelReader({ idleMs: 0 });
    const tracking = new TrackingReaders();
    const catalog = new RunCatalog();
    const engine = new DataEngine();
    let ort: OrtModule | undefined;
    try {
      const readers = cardReaders(
        {
          inspect: (path, s) => reader.inspect(path, s),
          runs: async (s) => {
            const found = await tracking.discover(resolve(io.cwd, str('runs') ?? '.'));
            catalog.setSources(found.sources);
            await catalog.loadAll(s);
            return catalog.runs();
          },
          ort: () => (ort ??= __filename.endsWith('.ts') ? loadOrt() : loadOrt(join(__dirname, 'lazy', 'ort.js'))),
          engine: () => engine,
        },
        given,
        [io.cwd],
      );
      const display = (p: string): string => relative(io.cwd, p) || p;
      const reference = str('reference');
      const current = str('current');
      const facts = await gatherCardFacts(
        { model, display, ...(str('run') ? { run: str('run')! } : {}), ...(reference && current ? { reference: resolve(io.cwd, reference), current: resolve(io.cwd, current) } : {}), ...(args.values.ignore ? { ignore: args.values.ignore as string[] } : {}), ...(args.values['no-benchmark'] === true ? { benchmark: false } : {}) },
        readers,
        signal,
      );
      const card = buildModelCard(facts);
      writeFileNoFollow(out, card.markdown);
      if (args.values.json === true) io.out(`${JSON.stringify({ card: display(out), footnotes: card.footnotes, missing: card.missing }, null, 2)}\n`);
      else io.out(`Wrote ${display(out)}: ${card.footnotes} sourced facts.\n${card.missing.length ? `Not found:\n${card.missing.map((m) => `  - ${m}`).join('\n')}\n` : ''}`);
      return EXIT.ok;
    } catch (error) {
      if (isAbortError(error)) return EXIT.cancelled;
      if (isUserError(error) || isToolInputError(error) || (error as NodeJS.ErrnoException).code === 'ENOENT') {
        io.err(`ml-engineer model-card: ${(error as Error).message}\n`);
        return EXIT.failure;
      }
      throw error;
    } finally {
      reader.dispose();
      catalog.dispose();
      tracking.dispose();
      await engine.close();
    }
  },
};

