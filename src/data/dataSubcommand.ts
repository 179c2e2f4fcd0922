import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isToolInputError } from '../agent/tools/tool';
import { EXIT, type Subcommand } from '../cli/subcommand';
import { isAbortError, isUserError } from '../common/errors';
import type { ColumnSummary } from './datasetSource';
import { EMPTY_VIEW } from './datasetSource';
import { describeText, rowsText } from './datasetText';
import { MAX_QUERY_ROWS } from './dataTools';
import { DataEngine, EngineQueryError } from './engine/engineClient';
import { cleanEngineMessage } from './engine/engineErrors';
import { FileDatasetSource } from './engine/fileDatasetSource';
import { formatOfPath } from './engine/fileRelation';
import { FolderDatasetSource, isFolder } from './engine/folderDatasetSource';

const USAGE = [
  'Usage: ml-engineer data describe FILE|FOLDER [--json]',
  '       ml-engineer data head FILE|FOLDER [-n N] [--json]',
  '       ml-engineer data query "SQL" [-n N] [--json]',
  '',
  'Reads data files with the embedded DuckDB engine: .csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson,',
  '.arrow, .feather. A FOLDER of shards (part-*.parquet, shard-*.csv; hive year=2024/ folders become',
  'columns) reads as one table: the files of its most common format, columns unioned by name.',
  '  describe  rows, columns and types, and a summary of every column (nulls, distinct, min/max,',
  '            mean/std, median, top values; ~ marks estimates on files over 1M rows)',
  '  head      the first N rows (default 10), read from the top of the file: it is not counted',
  '  query     one read-only SELECT over files under the current folder, e.g.',
  "            ml-engineer data query \"SELECT label, count(*) FROM 'train.csv' GROUP BY 1\"",
  `            (at most N rows, default 100, up to ${MAX_QUERY_ROWS}; files outside this folder are refused)`,
  '',
  'Options:',
  '  -n N     rows to print',
  '  --json   print JSON',
  '',
  'Exit code 1 when the file cannot be read (the message says where) or the SQL is refused.',
  '',
].join('\n');

export const dataSubcommand: Subcommand = {
  name: 'data',
  summary: 'describe, head and query data files (CSV, Parquet, JSON lines, Arrow) with DuckDB',
  usage: USAGE,
  options: { json: { type: 'boolean' }, n: { type: 'string', short: 'n' } },
  async run(args, io, signal) {
    const [action, target] = args.positionals;
    if (!action || !['describe', 'head', 'query'].includes(action) || !target) {
      io.err(`ml-engineer data: ${!action ? 'which action?' : !target ? `${action} what?` : `unknown action ${action}`}\n${USAGE}`);
      return EXIT.usage;
    }
    const n = args.values.n === undefined ? undefined : Number(args.values.n);
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
      io.err('ml-engineer data: -n takes a positive whole number\n');
      return EXIT.usage;
    }
    const json = args.values.json === true;
    const engine = new DataEngine();
    try {
      if (action === 'query') {
        const root = await realpath(io.cwd).catch(() => io.cwd);
        const maxRows = Math.min(n ?? 100, MAX_QUERY_ROWS);
        const result = await engine.query(target, { confinedTo: [root], maxRows }, signal);
        if (json) io.out(`${JSON.stringify({ columns: result.columns, rows: result.rows, truncated: result.truncated }, null, 2)}\n`);
        else io.out(`${rowsText(result.columns.map((c) => c.name), result.rows)}\n${result.truncated ? `(first ${maxRows} rows; -n for more)\n` : ''}`);
        return EXIT.ok;
      }
      const path = resolve(io.cwd, target);
      const folder = await isFolder(path);
      if (!folder && !formatOfPath(path)) {
        io.err(`ml-engineer data: ${target} is not a data file or folder this reads (.csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson, .arrow, .feather)\n`);
        return EXIT.failure;
      }
      // A folder of shards reads as one table (folderFiles.ts: the walk follows no link).
      const source = folder ? new FolderDatasetSource(path, engine) : new FileDatasetSource(path, engine);
      if (action === 'head') {
        // The rows read when the file is opened, never a count: head on a 10 GB CSV reads its
        // first rows only, and a bad line deep in the file does not stop them. No quick info: the
        // file has fewer rows than the first page, so counting it costs nothing.
        const page = await source.rows(EMPTY_VIEW, 0, n ?? 10, signal);
        const { columns } = (await source.quickInfo(EMPTY_VIEW, signal)) ?? (await source.info(EMPTY_VIEW, signal));
        if (json) io.out(`${JSON.stringify({ columns, rows: page.rows }, null, 2)}\n`);
        else io.out(`${rowsText(columns.map((c) => c.name), page.rows)}\n`);
        return EXIT.ok;
      }
      const info = await source.info(EMPTY_VIEW, signal);
      const summaries = new Map<string, ColumnSummary>();
      for (const c of info.columns) summaries.set(c.name, await source.summarize(c.name, EMPTY_VIEW, signal));
      if (json) io.out(`${JSON.stringify({ ...info, summaries: [...summaries.values()] }, null, 2)}\n`);
      else io.out(`${describeText(info, summaries, undefined, Number.MAX_SAFE_INTEGER)}\n`);
      return EXIT.ok;
    } catch (error) {
      if (isAbortError(error)) return EXIT.cancelled;
      if (error instanceof EngineQueryError) io.err(`ml-engineer data: ${cleanEngineMessage(error.message)}\n`);
      else if (isUserError(error) || isToolInputError(error)) io.err(`ml-engineer data: ${error.message}\n`);
      else throw error;
      return EXIT.failure;
    } finally {
      await engine.close();
    }
  },
};
