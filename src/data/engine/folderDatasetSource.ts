// A folder of shards (folderFiles.ts) as one DatasetSource: every shard of the folder's format in
// one multi-file scan, hive partition folders (year=2024/) as columns and shards with differing
// columns unioned by name. The first page is read straight from the scan (DuckDB stops at the
// LIMIT); counts, sorts, filters and summaries run on a table the engine builds once (a global row
// order: file_row_number restarts in every shard). The profile is the exact one up to EXACT_ROWS
// rows and the HyperLogLog one past it (columnSummary.ts), with no sample: spreadSample.ts samples
// one text file.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Cell, ColumnSummary, DatasetColumn, DatasetFormat, DatasetInfo, DatasetOrigin, DatasetPage, DatasetSource, DatasetView, LabelBalance } from '../datasetSource';
import { labelBalanceOf, summarizeColumns, summaryBatch, SummaryCache } from './columnSummary';
import { ConfinementError, realFiles, type Confinement } from './confinedSql';
import { UserError } from '../../common/errors';
import { sharedDataEngine, type DataEngine, type QueryResult } from './engineClient';
import { fileError } from './engineErrors';
import { columnsFromDescribe, CSV_TYPE_CANDIDATES, directScan, MAX_LINE_BYTES } from './fileRelation';
import { listFolderFiles, schemaNotes, type FolderFiles } from './folderFiles';
import type { TablePrep } from './protocol';
import { SharedTask } from '../sharedTask';
import { quoteIdent, SqlParams } from './sqlText';
import { FIRST_ROWS } from './textFileOpen';
import { orderSql, selectList, whereSql, type BoundRelation } from './viewSql';

/** Shards whose columns are read one by one to say which add or lack columns (one footer read or sniff each). */
const SCHEMA_CHECK_SHARDS = 64;

/** The column a scan's file name goes into while partition values are derived from it (dropped after). */
const SHARD_COLUMN = '__ml_engineer_shard';

/**
 * The multi-file scan of the shards, their paths bound. `hive`: DuckDB's hive_partitioning (only
 * where it reads the keys below the folder alone, FolderFiles.hiveSafe); set false otherwise, as
 * DuckDB would otherwise detect it. `filename`: a column holding each row's shard path.
 */
export function folderScan(format: DatasetFormat, paths: readonly string[], params: SqlParams, hive = true, filename?: string): string {
  const list = `[${paths.map((p) => params.bind(p)).join(', ')}]`;
  const common = `union_by_name = true, hive_partitioning = ${hive}${filename ? `, filename = ${params.bind(filename)}` : ''}`;
  switch (format) {
    case 'parquet':
      return `read_parquet(${list}, ${common})`;
    case 'jsonl':
      return `read_json(${list}, format = 'newline_delimited', ${common})`;
    case 'csv':
    case 'tsv':
      return `read_csv(${list}, ${common}, max_line_size = ${MAX_LINE_BYTES}, skip = 0, ${CSV_TYPE_CANDIDATES}${format === 'tsv' ? ", delim = '\\t'" : ''})`;
    case 'arrow':
      throw new Error('a folder of Arrow IPC files is not read as one dataset');
  }
}

/** A regular expression matching `text` literally (RE2). */
function literalRe(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/**
 * The folder's SELECT: DuckDB's hive partitioning where it is safe and no file has a column named
 * like a key; otherwise the keys' values cut from the shard's path below the folder (text), the
 * files' own same-named columns kept. Reads the files' columns once (a LIMIT 0 scan) when the
 * folder has partitions.
 */
async function folderSelect(files: FolderFiles, params: SqlParams, columnsOf: (scan: string, params: SqlParams) => Promise<readonly string[]>): Promise<{ sql: string; notes: string[] }> {
  const paths = files.shards.map((s) => s.path);
  if (files.partitions.length === 0) return { sql: `SELECT * FROM ${folderScan(files.format, paths, params, false)}`, notes: [] };
  const probe = new SqlParams();
  const own = (await columnsOf(folderScan(files.format, paths, probe, false), probe)).map((n) => n.toLowerCase());
  const kept = files.partitions.filter((k) => own.includes(k.toLowerCase()));
  const keys = files.partitions.filter((k) => !kept.includes(k));
  const notes = keys.length ? [`Partition column${keys.length === 1 ? '' : 's'} from folder names: ${keys.join(', ')}.`] : [];
  if (kept.length) notes.push(`Column${kept.length === 1 ? '' : 's'} ${kept.join(', ')} kept from the files; the folder names' ${kept.map((k) => `${k}=…`).join(', ')} not added as columns.`);
  if (files.hiveSafe && kept.length === 0) return { sql: `SELECT * FROM ${folderScan(files.format, paths, params, true)}`, notes };
  const scan = folderScan(files.format, paths, params, false, keys.length ? SHARD_COLUMN : undefined);
  if (!keys.length) return { sql: `SELECT * FROM ${scan}`, notes };
  const column = quoteIdent(SHARD_COLUMN);
  const derived = keys.map((k) => `nullif(regexp_extract(${column}, ${params.bind(`^${literalRe(files.root)}/(?:[^/]*/)*?${literalRe(k)}=([^/]*)/`)}, 1), '') AS ${quoteIdent(k)}`);
  return { sql: `SELECT * EXCLUDE (${column}), ${derived.join(', ')} FROM ${scan}`, notes };
}

/** Whether `path` is a folder (one reached through a link included: the caller confined the path itself). */
export async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

interface Opened {
  readonly files: FolderFiles;
  readonly version: string;
  readonly columns: readonly DatasetColumn[];
  readonly firstRows: readonly (readonly Cell[])[];
  readonly notes: readonly string[];
  readonly prep: TablePrep;
  totalRows?: SharedTask<number>;
}

export class FolderDatasetSource implements DatasetSource {
  private opened: SharedTask<Opened> | undefined;
  private format: DatasetFormat = 'parquet';
  private retained: string | undefined;
  private readonly summaries = new SummaryCache();

  /** `confinement`: the agent's tools (each shard checked as query_dataset checks a path). */
  constructor(
    readonly path: string,
    private readonly engine: DataEngine = sharedDataEngine(),
    private readonly confinement?: Confinement,
  ) {}

  get origin(): DatasetOrigin {
    return { kind: 'file', path: this.path, format: this.format };
  }

  get label(): string {
    return `${basename(this.path)}/`;
  }

  async info(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo> {
    const opened = await this.open(signal);
    const totalRows = await this.totalRows(opened, signal);
    let viewRows = totalRows;
    if (view.filters.length > 0) {
      const bound = this.bind(opened);
      const result = await this.run(`SELECT count(*) FROM ${bound.rel.from}${whereSql(bound.rel, view, bound.params)}`, bound, signal, 1);
      viewRows = Number(result.rows[0]?.[0] ?? 0);
    }
    return { label: this.label, columns: opened.columns, totalRows, viewRows, fileBytes: opened.files.totalBytes, version: opened.version, ...(opened.notes.length ? { notes: opened.notes } : {}) };
  }

  async quickInfo(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo | undefined> {
    const opened = await this.open(signal);
    if ((opened.totalRows && !opened.totalRows.abandoned) || view.filters.length > 0 || opened.firstRows.length < FIRST_ROWS) return undefined;
    const known = opened.firstRows.length;
    return { label: this.label, columns: opened.columns, totalRows: known, viewRows: known, fileBytes: opened.files.totalBytes, version: opened.version, rowsExact: false, ...(opened.notes.length ? { notes: opened.notes } : {}) };
  }

  async rows(view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage> {
    const opened = await this.open(signal);
    const first = opened.firstRows;
    if (view.filters.length === 0 && view.sort.length === 0 && (offset + limit <= first.length || first.length < FIRST_ROWS)) return { offset, rows: first.slice(offset, offset + Math.max(0, limit)) };
    const bound = this.bind(opened);
    const where = whereSql(bound.rel, view, bound.params);
    const order = orderSql(bound.rel, view) || ` ORDER BY ${bound.rel.order}`;
    const lim = bound.params.bind(Math.max(0, Math.trunc(limit)));
    const off = bound.params.bind(Math.max(0, Math.trunc(offset)));
    const result = await this.run(`SELECT ${selectList(bound.rel)} FROM ${bound.rel.from}${where}${order} LIMIT ${lim} OFFSET ${off}`, bound, signal, Math.max(1, limit));
    return { offset, rows: result.rows };
  }

  async summarize(column: string, view: DatasetView, signal: AbortSignal): Promise<ColumnSummary> {
    const opened = await this.open(signal);
    const totalRows = await this.totalRows(opened, signal);
    const batch = summaryBatch(opened.columns.map((c) => c.name), column, (name) => this.summaries.has(opened.version, name, view));
    return this.summaries.getBatch(opened.version, batch, view, (shared) => summarizeColumns((sql, bound, maxRows) => this.run(sql, bound, shared, maxRows), () => this.bind(opened), batch, view, totalRows), signal);
  }

  async labelBalance(column: string, view: DatasetView, limit: number, signal: AbortSignal): Promise<LabelBalance> {
    const opened = await this.open(signal);
    return labelBalanceOf((sql, bound, maxRows) => this.run(sql, bound, signal, maxRows), () => this.bind(opened), column, view, limit);
  }

  dispose(): Promise<void> {
    if (this.retained) this.engine.releaseTable(this.retained);
    this.retained = undefined;
    this.opened = undefined;
    this.summaries.clear();
    return Promise.resolve();
  }

  private open(signal: AbortSignal): Promise<Opened> {
    if (!this.opened || this.opened.abandoned) {
      // Shared by every request: one request's cancel does not fail the others; a failed open is tried again.
      const task = new SharedTask((shared) => this.openFolder(shared));
      this.opened = task;
      task.promise.catch(() => {
        if (this.opened === task) this.opened = undefined;
      });
    }
    return this.opened.join(signal);
  }

  private async openFolder(signal: AbortSignal): Promise<Opened> {
    const confinement = this.confinement;
    const check = confinement
      ? (path: string): Promise<void> =>
          realFiles(path, confinement).then(
            () => undefined,
            (error: unknown) => {
              throw error instanceof ConfinementError ? new UserError(error.message) : error;
            },
          )
      : undefined;
    const files = await listFolderFiles(this.path, check);
    this.format = files.format;
    const version = createHash('sha256').update(JSON.stringify(files.shards.map((s) => [s.rel, s.bytes, s.mtimeMs]))).digest('hex').slice(0, 24);
    const params = new SqlParams();
    const select = await folderSelect(files, params, async (scan, probe) => (await this.run(`SELECT * FROM ${scan} LIMIT 0`, { params: probe, prepare: [] }, signal, 1)).columns.map((c) => c.name));
    const table = `f_${createHash('sha256').update(`${this.path}\u0000${version}`).digest('hex').slice(0, 24)}`;
    const prep: TablePrep = { table, from: { kind: 'select', sql: select.sql, params: params.values } };
    if (this.retained !== table) {
      this.engine.retainTable(table);
      if (this.retained) this.engine.releaseTable(this.retained);
      this.retained = table;
    }
    const head = await this.run(`${select.sql} LIMIT ${FIRST_ROWS}`, { params, prepare: [] }, signal, FIRST_ROWS);
    const columns = columnsFromDescribe(head.columns.map((c) => [c.name, c.type]), files.format);
    const notes = [...files.notes, ...select.notes];
    notes.push(...(await this.schemaDifferences(files, signal)));
    return { files, version, columns, firstRows: head.rows, notes, prep };
  }

  /** Which shards add or lack columns (read shard by shard: only for a few shards, when it is cheap). */
  private async schemaDifferences(files: FolderFiles, signal: AbortSignal): Promise<string[]> {
    if (files.shards.length < 2 || files.shards.length > SCHEMA_CHECK_SHARDS) return [];
    const byShard = new Map<string, readonly string[]>();
    for (const shard of files.shards) {
      const params = new SqlParams();
      const result = await this.run(`SELECT * FROM ${directScan(files.format, shard.path, params, {}, false)} LIMIT 0`, { params, prepare: [] }, signal, 1);
      byShard.set(shard.rel, result.columns.map((c) => c.name));
    }
    return schemaNotes(byShard);
  }

  private totalRows(opened: Opened, signal: AbortSignal): Promise<number> {
    if (!opened.totalRows || opened.totalRows.abandoned) {
      // The first count builds the table (every shard read once).
      const task = new SharedTask(async (shared) => {
        const bound = this.bind(opened);
        const result = await this.run(`SELECT count(*) FROM ${bound.rel.from}`, bound, shared, 1);
        return Number(result.rows[0]?.[0] ?? 0);
      });
      opened.totalRows = task;
      task.promise.catch(() => {
        if (opened.totalRows === task) opened.totalRows = undefined;
      });
    }
    return opened.totalRows.join(signal);
  }

  private bind(opened: Opened, params = new SqlParams()): BoundRelation {
    return { rel: { from: `"${opened.prep.table}"`, order: 'rowid', columns: opened.columns, label: this.label }, params, prepare: [opened.prep] };
  }

  private async run(sql: string, bound: Pick<BoundRelation, 'params' | 'prepare'>, signal: AbortSignal, maxRows?: number): Promise<QueryResult> {
    try {
      return await this.engine.query(sql, { params: bound.params.values, prepare: bound.prepare, ...(maxRows ? { maxRows } : {}) }, signal);
    } catch (error) {
      throw fileError(error, this.path);
    }
  }
}
