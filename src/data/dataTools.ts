// The agent's data tools: describe_dataset (a file's or a kernel variable's schema, size and
// per-column summary within a token budget) and query_dataset (read-only SQL over workspace files).
// Both are read risk and confined to the workspace: describe_dataset's path is resolved by
// WorkspaceFiles (symbolic links out refused); query_dataset's SQL is judged by the engine on
// DuckDB's own parse tree (engine/confinedSql.ts: literal paths only, each resolved to a real file
// inside the workspace, no table function that reads anything else) and runs in a database that can
// open files only under the workspace's folders, one SELECT statement, settings locked.
import { realpath } from 'node:fs/promises';
import * as z from 'zod/mini';
import { defineTool, ToolInputError, type Tool } from '../agent/tools/tool';
import { isUserError } from '../common/errors';
import type { ColumnSummary, DatasetSource } from './datasetSource';
import { EMPTY_VIEW } from './datasetSource';
import { describeText, rowsText } from './datasetText';
import { EngineQueryError, sharedDataEngine, type DataEngine } from './engine/engineClient';
import { cleanEngineMessage } from './engine/engineErrors';
import { FileDatasetSource } from './engine/fileDatasetSource';
import { formatOfPath } from './engine/fileRelation';
import { FolderDatasetSource, isFolder } from './engine/folderDatasetSource';

export const DEFAULT_DESCRIBE_TOKENS = 3000;
export const MAX_QUERY_ROWS = 1000;
/** Columns summarized at most per call; more are listed by name and type. */
const MAX_SUMMARIZED = 60;
const QUERY_TIME_MS = 60_000;

export interface DataToolOptions {
  readonly engine?: () => DataEngine;
  /** A live kernel's variable as a fresh source, disposed by the tool (the kernels feature); absent: files only. */
  readonly kernelSource?: (variable: string, signal: AbortSignal) => Promise<DatasetSource | undefined>;
}

export function dataTools(options: DataToolOptions = {}): Tool[] {
  const engine = options.engine ?? (() => sharedDataEngine());
  return [describeDatasetTool(engine, options.kernelSource), queryDatasetTool(engine)];
}

function realRoots(roots: readonly { readonly path: string }[]): Promise<string[]> {
  return Promise.all(roots.map((r) => realpath(r.path).catch(() => r.path)));
}

function asToolError(error: unknown): never {
  if (error instanceof EngineQueryError) throw new ToolInputError(cleanEngineMessage(error.message));
  if (isUserError(error)) throw new ToolInputError(error.message);
  throw error;
}

export function describeDatasetTool(engine: () => DataEngine, kernelSource?: DataToolOptions['kernelSource']) {
  return defineTool({
    name: 'describe_dataset',
    description:
      'Describes a tabular data file in the workspace (.csv, .tsv, .csv.gz, .parquet, .jsonl/.ndjson, .arrow/.feather), a folder of such shards ' +
      '(part-*.parquet, hive year=2024/ folders become columns; read as one table) or a DataFrame / 2-D array ' +
      'variable in the live notebook kernel: rows, columns with types, per-column summary (nulls, distinct, min/max, mean/std, median, top values) ' +
      'and the first rows, cut to max_tokens. Give path or variable. columns: summarize only these. Read the schema here before writing query_dataset SQL.',
    input: z.object({
      path: z.optional(z.string().check(z.minLength(1), z.maxLength(4000))),
      variable: z.optional(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))),
      columns: z.optional(z.array(z.string().check(z.maxLength(1000))).check(z.maxLength(200))),
      max_tokens: z.optional(z.number().check(z.int(), z.minimum(300), z.maximum(20_000))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      if ((input.path === undefined) === (input.variable === undefined)) throw new ToolInputError('Give exactly one of path (a data file in the workspace) or variable (a DataFrame in the kernel).');
      let source: DatasetSource;
      let shown: string;
      if (input.path !== undefined) {
        const path = await context.files.resolve(input.path);
        shown = context.files.display(path);
        if (await isFolder(path)) {
          // A folder of shards: each checked as query_dataset checks a path.
          source = new FolderDatasetSource(path, engine(), { roots: await realRoots(context.files.roots), oneLinkOnly: true });
        } else if (!formatOfPath(path)) throw new ToolInputError(`${input.path} is not a data file or folder describe_dataset reads (.csv, .tsv, .csv.gz, .parquet, .jsonl, .ndjson, .arrow, .feather).`);
        else source = new FileDatasetSource(path, engine());
      } else {
        const variable = input.variable ?? '';
        const found = kernelSource ? await kernelSource(variable, signal) : undefined;
        if (!found) throw new ToolInputError(kernelSource ? `No DataFrame or 2-D array named ${variable} in the active notebook's kernel.` : 'Kernel variables cannot be described here: no notebook kernel is connected.');
        source = found;
        shown = variable;
      }
      try {
        const info = await source.info(EMPTY_VIEW, signal);
        const wanted = input.columns ?? info.columns.map((c) => c.name);
        const summaries = new Map<string, ColumnSummary>();
        for (const name of wanted.slice(0, MAX_SUMMARIZED)) summaries.set(name, await source.summarize(name, EMPTY_VIEW, signal));
        const sample = await source.rows(EMPTY_VIEW, 0, 5, signal);
        const content = describeText({ ...info, label: shown }, summaries, sample, (input.max_tokens ?? DEFAULT_DESCRIBE_TOKENS) * 4);
        return { content, summary: `${shown}: ${info.totalRows} rows × ${info.columns.length} columns` };
      } catch (error) {
        return asToolError(error);
      } finally {
        await source.dispose();
      }
    },
  });
}

export function queryDatasetTool(engine: () => DataEngine) {
  return defineTool({
    name: 'query_dataset',
    description:
      "Runs one read-only DuckDB SELECT over data files in the workspace and returns the rows (at most max_rows, default 100). Name files by path " +
      "relative to the workspace, e.g. SELECT label, count(*) FROM 'data/train.csv' GROUP BY 1, or read_parquet('data/*.parquet'). " +
      "A folder of shards reads as one table: FROM 'data/train' (hive year=2024/ folders become columns, columns unioned by name). " +
      'Only files inside the workspace can be read; writes, COPY, ATTACH, SET and more than one statement are refused. Use describe_dataset first for column names.',
    input: z.object({
      sql: z.string().check(z.minLength(1), z.maxLength(20_000)),
      max_rows: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_QUERY_ROWS))),
    }),
    risk: 'read',
    async run(input, context, signal) {
      if (context.files.roots.length === 0) throw new ToolInputError('No folder is open, so there are no workspace files to query.');
      const roots = await realRoots(context.files.roots);
      const maxRows = input.max_rows ?? 100;
      try {
        const result = await engine().query(input.sql, { confinedTo: roots, oneLinkOnly: true, maxRows, timeMs: QUERY_TIME_MS }, signal);
        const header = `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${result.truncated ? ` (capped at ${maxRows}; the query returns more: aggregate or add LIMIT/WHERE)` : ''}`;
        const table = rowsText(result.columns.map((c) => `${c.name} (${c.type})`), result.rows);
        const content = `${header}\n${table}`;
        const sqlLine = input.sql.replace(/\s+/g, ' ').trim();
        return { content: content.length > 60_000 ? `${content.slice(0, 60_000)}…` : content, summary: `${header.split(' (')[0]}: ${sqlLine.length > 160 ? `${sqlLine.slice(0, 159)}…` : sqlLine}` };
      } catch (error) {
        return asToolError(error);
      }
    },
  });
}
