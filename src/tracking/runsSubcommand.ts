import { resolve } from 'node:path';
import { EXIT, type CliIo, type ParsedArgs, type Subcommand } from '../cli/subcommand';
import { RunCatalog } from './runCatalog';
import { filterRuns, formatMetric, metricOf, sortRuns } from './runQuery';
import { parseRunQuery, rangeMetrics, RunQueryError, type RunQuery } from './runFilter';
import { SOURCE_NAMES } from './runModel';
import { shownMetrics } from './runText';
import { TrackingReaders } from './workerSources';

export const runsSubcommand: Subcommand = {
  name: 'runs',
  summary: 'list experiment runs (MLflow, TensorBoard, Lightning CSV, W&B) and their last metrics',
  usage: [
    'Usage: ml-engineer runs [PATH] [--json] [--sort METRIC] [--filter TEXT] [--all]',
    '',
    'Lists the runs under PATH (default: the current folder): an mlruns/ folder, an mlflow.db,',
    'a TensorBoard log folder, Lightning lightning_logs/, a W&B wandb/ folder, or a folder holding any of them.',
    '',
    'Options:',
    '  --json            print runs as JSON (params, tags, metric summaries, problems)',
    '  --sort METRIC     best first by METRIC (ascending for losses and errors)',
    '  --filter TEXT     only runs that match every term: words (in names, params, tags),',
    '                    comparisons (val_loss<0.4, min(val_loss)<=0.3, lr>=1e-3, model=mlp),',
    '                    status:failed,running',
    '  --all             include deleted runs',
    '',
    'Exit code 1 when PATH holds no runs.',
    '',
  ].join('\n'),
  options: { json: { type: 'boolean' }, sort: { type: 'string' }, filter: { type: 'string' }, all: { type: 'boolean' } },
  async run(args, io, signal) {
    const path = resolve(io.cwd, args.positionals[0] ?? '.');
    let query: RunQuery | undefined;
    try {
      query = typeof args.values.filter === 'string' && args.values.filter.trim() ? parseRunQuery(args.values.filter) : undefined;
    } catch (error) {
      if (!(error instanceof RunQueryError)) throw error;
      io.err(`ml-engineer runs: --filter: ${error.message}\n`);
      return EXIT.usage;
    }
    // The readers run in worker threads under their budget, as in the editor: a hostile file
    // marks its run (or source) unreadable instead of hanging the command.
    const readers = new TrackingReaders();
    const catalog = new RunCatalog();
    try {
      let sources;
      try {
        sources = await readers.sourcesForPath(path, { timeoutMs: 10_000 });
      } catch (error) {
        io.err(`ml-engineer runs: ${path}: ${(error as Error).message}\n`);
        return EXIT.failure;
      }
      catalog.setSources(sources);
      await catalog.loadAll(signal);
      if (query && rangeMetrics(query).length > 0) await catalog.completeSummaries(catalog.runs(), rangeMetrics(query), signal, Infinity);
      return report(catalog, args, io, path, query);
    } finally {
      catalog.dispose();
      readers.dispose();
    }
  },
};

/** The runs as a table (or JSON); problems go to stderr. */
function report(catalog: RunCatalog, args: ParsedArgs, io: CliIo, path: string, query: RunQuery | undefined): number {
  const sort = typeof args.values.sort === 'string' ? args.values.sort : undefined;
  const runs = sortRuns(filterRuns(catalog.runs(), { ...(query ? { query } : {}), includeDeleted: args.values.all === true, metric: catalog.metricSummary.bind(catalog) }), sort);
  const problems = catalog.sources().flatMap((e) => e.snapshot.problems);
  for (const p of problems) io.err(`ml-engineer runs: ${p}\n`);
  if (args.values.json) {
    io.out(`${JSON.stringify(runs, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
  } else if (runs.length > 0) {
    const metrics = shownMetrics(runs, 3, sort);
    const header = ['SOURCE', 'EXPERIMENT', 'RUN', 'STATUS', ...metrics];
    const rows = runs.map((r) => [SOURCE_NAMES[r.source], r.experiment, r.name + (r.problems.length ? ' (!)' : ''), r.status, ...metrics.map((k) => formatMetric(metricOf(r, k)?.last))]);
    const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
    const line = (cells: string[]): string => cells.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join('  ').trimEnd();
    io.out([line(header), ...rows.map(line)].join('\n') + '\n');
    const withProblems = runs.filter((r) => r.problems.length > 0);
    for (const r of withProblems) io.err(`${r.name}: ${r.problems.join('; ')}\n`);
  }
  if (runs.length === 0) {
    io.err(`ml-engineer runs: no runs under ${path}\n`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
