// A data file (CSV, TSV, gzip'd CSV, Parquet, JSON lines, Arrow IPC) as a DatasetSource, queried by
// the engine's child process (engineClient.ts). Opening reads only the schema; the first page of a
// text file is read straight from it (DuckDB stops at the LIMIT; textFileOpen.ts); counts, sorts,
// filters and summaries run on a table the engine builds once per file version (fileRelation.ts),
// except that a big text file is counted and profiled in place until a query needs its table
// (Opened.inPlace).
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { arrowFileHead } from './arrowFileHead';
import { EMPTY_VIEW, type Cell, type ColumnSummary, type DatasetColumn, type DatasetFormat, type DatasetInfo, type DatasetOrigin, type DatasetPage, type DatasetSource, type DatasetView, type LabelBalance } from '../datasetSource';
import { EXACT_ROWS, firstPass, labelBalanceOf, SUMMARY_BATCH, summarizeColumns, summaryBatch, SummaryCache, type FirstPass } from './columnSummary';
import { sampleProfile, type ProfileSample } from './sampledProfile';
import { EngineQueryError, sharedDataEngine, type DataEngine, type QueryOptions, type QueryResult } from './engineClient';
import { fileError } from './engineErrors';
import { isAbortError, UserError } from '../../common/errors';
import { columnsFromDescribe, directScan, formatOfPath, sampleScan, tablePrep, unsupportedFormat, type CsvOptions } from './fileRelation';
import { emptyFileError, FIRST_ROWS, openTextFile, QUICK_OPEN_BYTES, readFileHead, type OpenedText } from './textFileOpen';
import { spreadSample } from './spreadSample';
import { sniffedFrom, sniffSql, type SniffedCsv } from './csvSniff';
import { readColumnAsText, retryingLateValues, type LateValue } from './lateValues';
import { parquetError } from './parquetDamage';
import type { TablePrep } from './protocol';
import { SharedTask } from '../sharedTask';
import { SqlParams } from './sqlText';
import { orderSql, selectList, whereSql, type BoundRelation } from './viewSql';

/** Past this offset an unsorted page of a text file comes from the table, not a fresh scan from the top. */
const DIRECT_PAGE_OFFSET_LIMIT = 50_000;
/** From this offset on, pages of a sorted view come from the view kept sorted in a table (the first pages: a top-N sort, quicker). */
const SORTED_TABLE_OFFSET = 10_000;

interface Opened {
  readonly version: string;
  readonly fileBytes: number;
  /** From the first look at the file; for a big text file, checked against its table once built (quickTypes). */
  columns: readonly DatasetColumn[];
  /** The columns came from a sample of the first rows only: the table's own types replace them once it is built. */
  quickTypes?: boolean;
  csv: CsvOptions;
  notes: string[];
  /** The first FIRST_ROWS rows, read when the file was opened (all of them when fewer). */
  firstRows?: readonly (readonly Cell[])[];
  /** The engine table (text and Arrow formats); Parquet is read in place. */
  prep?: TablePrep;
  totalRows?: SharedTask<number>;
  /**
   * A big text file (the quick open): counted and profiled straight from the file until something
   * else needs its table (a sort, a filter, a deep page), rather than after building it: the build
   * costs more than the reads it saves (measured on a 1 GB CSV: 7-10 s of CPU to build against
   * 2.3 s to count in place, and the profile's two reads cost less than build + two table scans).
   */
  inPlace?: InPlace;
  /** Rows the file holds, guessed from its size and first rows when opened (estimatedRows; kept when the first rows are read again). */
  rowsGuess?: number;
  /** Past EXACT_ROWS rows: the one-scan profile's bin edges and top-value candidates (a big uncompressed text file only). */
  sample?: SampleTask;
}

interface InPlace {
  /** The profile's first scan, taken with the row count (unfiltered; kept only past EXACT_ROWS rows). */
  firstPass?: FirstPass;
}

/** A big text file's sample spread over the file (spreadSample.ts), taken once per version; undefined when it cannot be read. */
type SampleTask = SharedTask<ProfileSample | undefined>;

/**
 * What a full read of one version of a big text file settled (summaryStore.ts keeps it across
 * grids and windows): given back to a new source by adopt(), it spares the reopen the count's scan.
 */
export interface KnownInfo {
  /** `size-mtime`: applied only to that version of the file. */
  readonly version: string;
  readonly totalRows: number;
  /** The columns as the full sniff or the table settled them (late values read as text included). */
  readonly columns: readonly DatasetColumn[];
  /** Columns read as text after a late value (CsvOptions.textColumns): the reads must say them too. */
  readonly textColumns: readonly string[];
  /** The full sniff's dialect and columns, when the count in place took one. */
  readonly sniffed?: SniffedCsv;
  readonly notes: readonly string[];
}

/** A big text file's count is taken with the profile's first scan when its first rows say it has more than this. */
const COUNT_WITH_PROFILE_ROWS = 2 * EXACT_ROWS;

export class FileDatasetSource implements DatasetSource {
  readonly format: DatasetFormat;
  private opened: SharedTask<Opened> | undefined;
  /** The text options the last open settled on (Latin-1, a forced delimiter), for origin. */
  private readOptions: CsvOptions = {};
  private openedVersion: string | undefined;
  private lastTable: string | undefined;
  /** The engine table this source holds (retained in the engine until dispose or a newer version). */
  private retained: string | undefined;
  /** The sorted view's table this source holds (sortedPage). */
  private sortedTable: string | undefined;
  private readonly summaries = new SummaryCache();
  /** Engine tables a query of this source has needed and found built (until dispose). */
  private readonly builtTables = new Set<string>();
  /** The table build started after an in-place profile (buildBeside). */
  private beside: { readonly table: string; readonly stop: AbortController } | undefined;
  /** What an earlier source settled about this file (adopt), for the version it names. */
  private known: Promise<KnownInfo | undefined> | undefined;

  constructor(
    readonly path: string,
    private readonly engine: DataEngine = sharedDataEngine(),
  ) {
    const format = formatOfPath(path);
    if (!format) throw unsupportedFormat(path);
    this.format = format;
  }

  /** Where the rows come from, with how the file had to be read once it has been opened (Copy as Code). */
  get origin(): DatasetOrigin {
    const { encoding, delimiter, textColumns, jsonText } = this.readOptions;
    return { kind: 'file', path: this.path, format: this.format, ...(encoding === 'latin-1' ? { encoding } : {}), ...(delimiter ? { delimiter } : {}), ...(textColumns?.length ? { textColumns } : {}), ...(jsonText?.length ? { jsonText } : {}) };
  }

  /**
   * Takes what an earlier source settled about this file (row count, columns, text columns), to
   * open its version with them and count nothing. Call before the first read: the open waits for
   * `known`. Another version of the file (size or mtime) ignores it.
   */
  adopt(known: KnownInfo | undefined | Promise<KnownInfo | undefined>): void {
    this.known = Promise.resolve(known).catch(() => undefined);
  }

  /** What this source has settled about a big text file, once counted with its full types; undefined before or for any other file. */
  async settled(): Promise<KnownInfo | undefined> {
    const opened = await this.opened?.promise.catch(() => undefined);
    if (!opened?.inPlace || !opened.totalRows || opened.totalRows.abandoned) return undefined;
    // Counted, the columns are the full sniff's or the table's (countInPlace, checkQuickTypes); a late value since only made one text.
    const totalRows = await opened.totalRows.promise.catch(() => undefined);
    if (totalRows === undefined || opened !== (await this.opened?.promise.catch(() => undefined))) return undefined;
    const { textColumns = [], sniffed } = opened.csv;
    return { version: opened.version, totalRows, columns: opened.columns, textColumns, ...(sniffed ? { sniffed } : {}), notes: [...opened.notes] };
  }

  get label(): string {
    return basename(this.path);
  }

  async info(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo> {
    const opened = await this.open(signal);
    const totalRows = await this.totalRows(opened, signal);
    let viewRows = totalRows;
    if (view.filters.length > 0) {
      viewRows = await this.retrying(opened, () => {
        const bound = this.bind(opened, true);
        const where = whereSql(bound.rel, view, bound.params);
        return this.count(`SELECT count(*) FROM ${bound.rel.from}${where}`, bound, signal);
      });
    }
    return { label: this.label, columns: opened.columns, totalRows, viewRows, fileBytes: opened.fileBytes, version: opened.version, ...(opened.notes.length ? { notes: opened.notes } : {}) };
  }

  async quickInfo(view: DatasetView, signal: AbortSignal): Promise<DatasetInfo | undefined> {
    const opened = await this.open(signal);
    // Counted already, or filtered (the count is the answer), or a file of fewer rows than the first page.
    if ((opened.totalRows && !opened.totalRows.abandoned) || view.filters.length > 0 || !opened.firstRows || opened.firstRows.length < FIRST_ROWS) return undefined;
    const known = opened.firstRows.length;
    return { label: this.label, columns: opened.columns, totalRows: known, viewRows: known, fileBytes: opened.fileBytes, version: opened.version, rowsExact: false, ...(opened.notes.length ? { notes: opened.notes } : {}) };
  }

  async rows(view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage> {
    const opened = await this.open(signal);
    const plain = view.filters.length === 0 && view.sort.length === 0;
    const first = opened.firstRows;
    if (plain && first && (offset + limit <= first.length || first.length < FIRST_ROWS)) return { offset, rows: first.slice(offset, offset + Math.max(0, limit)) };
    if (view.sort.length > 0 && offset >= SORTED_TABLE_OFFSET) return this.retrying(opened, () => this.sortedPage(opened, view, offset, limit, signal));
    // The first pages of a text file come straight from the file: no waiting for the table.
    const direct = plain && offset < DIRECT_PAGE_OFFSET_LIMIT && opened.prep?.from.kind !== 'arrow';
    return this.retrying(opened, async () => {
      const bound = this.bind(opened, !direct);
      const where = whereSql(bound.rel, view, bound.params);
      const order = orderSql(bound.rel, view);
      const lim = bound.params.bind(Math.max(0, Math.trunc(limit)));
      const off = bound.params.bind(Math.max(0, Math.trunc(offset)));
      const result = await this.run(`SELECT ${selectList(bound.rel)} FROM ${bound.rel.from}${where}${order} LIMIT ${lim} OFFSET ${off}`, bound, signal, { maxRows: Math.max(1, limit) });
      return { offset, rows: result.rows };
    });
  }

  /**
   * A page deep in a sorted view, from the view's ORDER kept in an engine table (the source's row
   * numbers in sorted order: 8 bytes a row, built once per view and file version, held until the
   * view changes or the source closes): a page takes a slice of it by position, then those rows
   * by row number, and never sorts again.
   */
  private async sortedPage(opened: Opened, view: DatasetView, offset: number, limit: number, signal: AbortSignal): Promise<DatasetPage> {
    const bound = this.bind(opened, true);
    const where = whereSql(bound.rel, view, bound.params);
    const order = orderSql(bound.rel, view);
    const table = `s_${createHash('sha256').update(JSON.stringify([this.path, opened.version, opened.prep?.table, view.filters, view.sort])).digest('hex').slice(0, 24)}`;
    const prep: TablePrep = { table, from: { kind: 'select', sql: `SELECT ${bound.rel.order} AS __r FROM ${bound.rel.from}${where}${order}`, params: bound.params.values } };
    this.holdSorted(table);
    const slice = new SqlParams();
    const from = slice.bind(Math.max(0, Math.trunc(offset)));
    const to = slice.bind(Math.max(0, Math.trunc(offset)) + Math.max(0, Math.trunc(limit)));
    const positions = await this.run(`SELECT __r FROM "${table}" WHERE rowid >= ${from} AND rowid < ${to} ORDER BY rowid`, { params: slice, prepare: [...bound.prepare, prep] }, signal, { maxRows: Math.max(1, limit) });
    const wanted = positions.rows.map((r) => Number(r[0]));
    if (wanted.length === 0) return { offset, rows: [] };
    const rows = this.bind(opened, true);
    const list = wanted.map((n) => rows.params.bind(n)).join(', ');
    const result = await this.run(`SELECT ${rows.rel.order} AS __r, ${selectList(rows.rel)} FROM ${rows.rel.from} WHERE ${rows.rel.order} IN (${list})`, rows, signal, { maxRows: wanted.length });
    const byPosition = new Map(result.rows.map((r) => [Number(r[0]), r.slice(1)]));
    return { offset, rows: wanted.map((n) => byPosition.get(n) ?? []) };
  }

  /** Holds one sorted view's table (the newest), letting go of the one before. */
  private holdSorted(table: string | undefined): void {
    if (table === this.sortedTable) return;
    if (table) this.engine.retainTable(table);
    if (this.sortedTable) this.engine.releaseTable(this.sortedTable);
    this.sortedTable = table;
  }

  async summarize(column: string, view: DatasetView, signal: AbortSignal): Promise<ColumnSummary> {
    const opened = await this.open(signal);
    const totalRows = await this.totalRows(opened, signal);
    const batch = summaryBatch(opened.columns.map((c) => c.name), column, (name) => this.summaries.has(opened.version, name, view));
    // A big text file whose table is not built is read in place (approximate figures only: exact ones come from the table, as before).
    const inPlace = totalRows > EXACT_ROWS ? opened.inPlace : undefined;
    const bind = (): BoundRelation => this.bind(opened, !inPlace || this.tableReady(opened));
    const summary = this.summaries.getBatch(opened.version, batch, view, (shared) => this.retrying(opened, async () => {
      const first = view.filters.length === 0 ? inPlace?.firstPass : undefined;
      // The sample is of the whole file: a filtered view's rows may lie in a narrow part of it, so its edges, cuts and candidates would not fit.
      const sample = totalRows > EXACT_ROWS && view.filters.length === 0 ? await this.sample(opened, shared) : undefined;
      return summarizeColumns((sql, bound, maxRows) => this.run(sql, bound, shared, { maxRows }), bind, batch, view, totalRows, first, sample);
    }), signal);
    // Profiled in place: the table a sort or a filter will need is built next, not beside the profile's reads.
    if (inPlace) void summary.then(() => this.buildBeside(opened), () => undefined);
    return summary;
  }

  /** Starts building the file's table, not waited for (closing the source stops it). */
  private buildBeside(opened: Opened): void {
    if (this.tableReady(opened) || !opened.prep || this.beside?.table === opened.prep.table) return;
    this.beside?.stop.abort();
    const beside = { table: opened.prep.table, stop: new AbortController() };
    this.beside = beside;
    // A failure here (a bad row deep in the file) is said by the next query that needs the table.
    this.retrying(opened, () => {
      const bound = this.bind(opened, true);
      return this.run(`SELECT count(*) FROM ${bound.rel.from}`, bound, beside.stop.signal, { maxRows: 1 });
    }).then(
      () => undefined,
      () => {
        if (this.beside === beside) this.beside = undefined;
      },
    );
  }

  async labelBalance(column: string, view: DatasetView, limit: number, signal: AbortSignal): Promise<LabelBalance> {
    const opened = await this.open(signal);
    return this.retrying(opened, () => labelBalanceOf((sql, bound, maxRows) => this.run(sql, bound, signal, { maxRows }), () => this.bind(opened, true), column, view, limit));
  }

  /** The relation as of the file's current version, for comparisons across files (compareFiles.ts). */
  async relation(signal: AbortSignal, params: SqlParams): Promise<BoundRelation> {
    const opened = await this.open(signal);
    return this.bind(opened, true, params);
  }

  /**
   * Runs `work`, a query reading this file through relation() (with another file's: compareFiles.ts);
   * a late value of this file (lateValues.ts) makes its column text and runs it again.
   */
  async retryingReads<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    return this.retrying(await this.open(signal), work, (late) => late.file === undefined || late.file === this.path);
  }

  /** Builds the engine's table of this file now (a big text file's is otherwise built when a query first needs it). */
  async buildTable(signal: AbortSignal): Promise<void> {
    const opened = await this.open(signal);
    await this.retrying(opened, async () => {
      const bound = this.bind(opened, true);
      if (opened.prep) await this.count(`SELECT count(*) FROM ${bound.rel.from}`, bound, signal);
    });
  }

  dispose(): Promise<void> {
    // The engine is shared: the table goes when its last source lets it go (or a newer version replaces it).
    this.hold(undefined);
    this.holdSorted(undefined);
    this.builtTables.clear();
    this.beside?.stop.abort();
    this.beside = undefined;
    this.opened = undefined;
    this.summaries.clear();
    return Promise.resolve();
  }

  /**
   * Runs `work` (which binds the file itself, so a retry reads the new table); a value past the
   * sniffed rows that does not fit its column makes the column text (lateValues.ts) and runs it
   * again. Any read of the columns can meet one first: a big file's count in place converts none.
   * The count, first pass and summaries already taken stand: each read every value of its columns.
   */
  private retrying<T>(opened: Opened, work: () => Promise<T>, mine: (late: LateValue) => boolean = () => true): Promise<T> {
    return retryingLateValues(work, (late) => {
      if (!mine(late)) return false;
      // Another query met it first: run again on the table it made.
      if (opened.csv.textColumns?.includes(late.column)) return true;
      const prep = readColumnAsText(opened, late, this.format, this.path);
      if (!prep) return false;
      this.lastTable = prep.table;
      this.hold(prep.table);
      this.readOptions = opened.csv;
      return true;
    });
  }

  /** Holds `table` in the engine (or nothing), letting go of the one held before. */
  private hold(table: string | undefined): void {
    if (table === this.retained) return;
    if (table) this.engine.retainTable(table);
    if (this.retained) this.engine.releaseTable(this.retained);
    this.retained = table;
  }

  /** Runs a query on this file's engine; failures come back as UserErrors that name the file. */
  async run(sql: string, bound: Pick<BoundRelation, 'params' | 'prepare'>, signal: AbortSignal, options: Pick<QueryOptions, 'maxRows'> = {}): Promise<QueryResult> {
    try {
      const result = await this.engine.query(sql, { params: bound.params.values, prepare: bound.prepare, ...options }, signal);
      for (const prep of bound.prepare) this.builtTables.add(prep.table);
      return result;
    } catch (error) {
      throw this.format === 'parquet' ? await parquetError(this.engine, error, this.path, signal) : fileError(error, this.path);
    }
  }

  private async count(sql: string, bound: BoundRelation, signal: AbortSignal): Promise<number> {
    const result = await this.run(sql, bound, signal, { maxRows: 1 });
    return Number(result.rows[0]?.[0] ?? 0);
  }

  private bind(opened: Opened, useTable: boolean, params = new SqlParams()): BoundRelation {
    if (opened.prep && (useTable || opened.prep.from.kind === 'arrow')) {
      return { rel: { from: `"${opened.prep.table}"`, order: 'rowid', columns: opened.columns, label: this.label }, params, prepare: [opened.prep] };
    }
    const from = directScan(this.format, this.path, params, opened.csv);
    return { rel: { from, order: 'file_row_number', columns: opened.columns, label: this.label }, params, prepare: [] };
  }

  private totalRows(opened: Opened, signal: AbortSignal): Promise<number> {
    if (!opened.totalRows || opened.totalRows.abandoned) {
      // Parquet: the footer's row counts; a table: its own count (shared: one caller's cancel is not another's).
      // The first full read: a value past the sniffed rows that does not fit its column makes it text (lateValues.ts).
      const task = new SharedTask((shared) => this.retrying(opened, async () => {
        if (opened.inPlace && !this.tableReady(opened)) return this.countInPlace(opened, opened.inPlace, shared);
        const bound = this.bind(opened, true);
        const rows = await this.count(`SELECT count(*) FROM ${bound.rel.from}`, bound, shared);
        if (opened.quickTypes) await this.checkQuickTypes(opened, shared);
        return rows;
      }));
      opened.totalRows = task;
      task.promise.catch(() => {
        if (opened.totalRows === task) opened.totalRows = undefined;
      });
    }
    return opened.totalRows.join(signal);
  }

  /**
   * A big text file's row count read in place. The columns of the full sniff (the table's to be)
   * replace the quick look's first. When the first rows say the file is well past EXACT_ROWS, the
   * count comes with the first scan of every column's profile (the approximate one: kept only if
   * the count agrees), so the file is read once for both.
   */
  private async countInPlace(opened: Opened, inPlace: InPlace, signal: AbortSignal): Promise<number> {
    const sniffed = await this.sniff(opened, signal);
    // Its reads in place (the profile's among them) take the sniff's dialect and columns and sniff no more (csvSniff.ts).
    if (sniffed) opened.csv = { ...opened.csv, sniffed };
    const params = new SqlParams();
    const described = sniffed?.columns ?? (await this.run(`SELECT * FROM ${directScan(this.format, this.path, params, opened.csv)} LIMIT 0`, { params, prepare: [] }, signal)).columns;
    this.replaceQuickTypes(opened, columnsFromDescribe(described.map((c) => [c.name, c.type]), this.format));
    const bound = this.bind(opened, false);
    if ((opened.rowsGuess ?? 0) > COUNT_WITH_PROFILE_ROWS) {
      const names = opened.columns.slice(0, SUMMARY_BATCH).map((c) => c.name);
      const sample = await this.sample(opened, signal);
      const pass = await firstPass((sql, b, maxRows) => this.run(sql, b, signal, { maxRows }), bound, names, EMPTY_VIEW, false, sample);
      if (pass.count > EXACT_ROWS) inPlace.firstPass = pass;
      return pass.count;
    }
    return this.count(`SELECT count(*) FROM ${bound.rel.from}`, bound, signal);
  }

  /** The full sniff of a CSV or TSV (what every read of it would decide), or undefined where sniff_csv cannot say: the reads then sniff for themselves. */
  private async sniff(opened: Opened, signal: AbortSignal): Promise<SniffedCsv | undefined> {
    if (this.format !== 'csv' && this.format !== 'tsv') return undefined;
    const params = new SqlParams();
    try {
      const result = await this.engine.query(sniffSql(directScan(this.format, this.path, params, { ...opened.csv, sniffed: undefined })), { params: params.values, maxRows: 1 }, signal);
      return sniffedFrom(result.rows[0]);
    } catch (error) {
      if (isAbortError(error)) throw error;
      // The read that follows meets the same failure and says it as reads do.
      return undefined;
    }
  }

  /**
   * The file's rows sampled across the whole file, for the one-scan profile (columnSummary.ts
   * ProfileSample): a big, uncompressed CSV or TSV only; undefined otherwise or when the sample
   * cannot be read (the profile then takes its two scans). Shared per version; the sample's file
   * is removed as soon as the engine has read it.
   */
  private sample(opened: Opened, signal: AbortSignal): Promise<ProfileSample | undefined> {
    if (!opened.prep || opened.fileBytes < QUICK_OPEN_BYTES || (this.format !== 'csv' && this.format !== 'tsv') || this.path.toLowerCase().endsWith('.gz')) return Promise.resolve(undefined);
    if (!opened.sample || opened.sample.abandoned) {
      const task: SampleTask = new SharedTask(async (shared) => {
        const file = await spreadSample(this.path, shared).catch((error: unknown) => {
          if (isAbortError(error)) throw error;
          return undefined;
        });
        if (!file) return undefined;
        try {
          const params = new SqlParams();
          const scan = sampleScan(this.format, file.path, params, opened.csv, opened.columns);
          if (!scan) return undefined;
          const bound: BoundRelation = { rel: { from: scan, order: 'rowid', columns: opened.columns, label: this.label }, params, prepare: [] };
          return await sampleProfile((sql, b, maxRows) => this.engine.query(sql, { params: b.params.values, prepare: b.prepare, maxRows }, shared), bound, opened.columns.map((c) => c.name), file.share);
        } catch (error) {
          if (isAbortError(error)) throw error;
          // A sample the engine cannot read costs the profile its one scan, nothing else.
          return undefined;
        } finally {
          await file.remove();
        }
      });
      opened.sample = task;
      task.promise.catch(() => {
        if (opened.sample === task) opened.sample = undefined;
      });
    }
    return opened.sample.join(signal);
  }

  /** Whether the file's table is there (a query that needed it has succeeded); true when it has none. */
  private tableReady(opened: Opened): boolean {
    return !opened.prep || this.builtTables.has(opened.prep.table);
  }

  /** The table's own columns (the full sniff) replace a quick look's; a first page of other columns is read again. */
  private async checkQuickTypes(opened: Opened, signal: AbortSignal): Promise<void> {
    if (!opened.prep) return;
    const described = await this.run(`DESCRIBE "${opened.prep.table}"`, { params: new SqlParams(), prepare: [opened.prep] }, signal);
    this.replaceQuickTypes(opened, columnsFromDescribe(described.rows, this.format));
  }

  private replaceQuickTypes(opened: Opened, columns: DatasetColumn[]): void {
    opened.quickTypes = false;
    if (JSON.stringify(columns) === JSON.stringify(opened.columns)) return;
    if (!sameNames(columns, opened.columns)) opened.firstRows = undefined;
    opened.columns = columns;
  }

  private async open(signal: AbortSignal): Promise<Opened> {
    // DuckDB takes *, ? and [ in a path as a pattern: another file, or one reached through a link
    // out of the workspace, would be read in this one's place.
    if (/[*?[]/.test(this.path)) {
      throw new UserError(`${basename(this.path)} cannot be read: the data engine takes *, ? and [ in a path as a pattern. Rename the file or its folder without them.`);
    }
    let s;
    try {
      s = await stat(this.path);
    } catch (error) {
      throw fileError(error instanceof Error ? new EngineQueryError(error.message) : error, this.path);
    }
    const version = `${s.size}-${Math.trunc(s.mtimeMs)}`;
    if (!this.opened || this.opened.abandoned || this.openedVersion !== version) {
      this.openedVersion = version;
      // Shared by every request of this version: one request's cancel does not fail the others.
      const task = new SharedTask((shared) => this.openVersion(version, s.size, shared));
      this.opened = task;
      // A failed open (bad file, cancelled by all) is tried again on the next call.
      task.promise.catch(() => {
        if (this.opened === task) this.opened = undefined;
      });
    }
    const opened = await this.opened.join(signal);
    this.readOptions = opened.csv;
    return opened;
  }

  private async openVersion(version: string, fileBytes: number, signal: AbortSignal): Promise<Opened> {
    const notes: string[] = [];
    const replaces = this.lastTable;
    if (fileBytes === 0) throw emptyFileError(this.path);
    if (this.format === 'parquet') {
      const { columns, firstRows } = await readFileHead(this.engine, this.format, this.path, {}, signal).catch(async (e: unknown) => {
        throw await parquetError(this.engine, e, this.path, signal);
      });
      return { version, fileBytes, columns, csv: {}, notes, firstRows };
    }
    if (this.format === 'arrow') {
      const prep = tablePrep(this.format, this.path, version, {}, replaces);
      this.lastTable = prep.table;
      this.hold(prep.table);
      const { columns, firstRows } = await arrowFileHead(this, this.engine, prep.table, FIRST_ROWS, signal);
      return { version, fileBytes, columns, firstRows, csv: {}, notes, prep };
    }
    const text = await openTextFile(this.engine, this.format, this.path, fileBytes, signal);
    const known = text.quick && !this.path.toLowerCase().endsWith('.gz') ? await this.known : undefined;
    if (known?.version === version) return this.openKnown(version, fileBytes, text, known, replaces);
    const prep = tablePrep(this.format, this.path, version, text.csv, replaces);
    this.lastTable = prep.table;
    this.hold(prep.table);
    const opened = { version, fileBytes, columns: text.columns, firstRows: text.firstRows, csv: text.csv, notes: [...text.notes], prep };
    if (!text.quick) return opened;
    // A gzip'd file would be decompressed again by every read in place: it is read once, into its table.
    return { ...opened, quickTypes: true, rowsGuess: estimatedRows(fileBytes, text.firstRows), ...(this.path.toLowerCase().endsWith('.gz') ? {} : { inPlace: {} }) };
  }

  /** A big text file's version opened with what an earlier source settled (adopt): counted, typed, read with its text columns. */
  private openKnown(version: string, fileBytes: number, text: OpenedText, known: KnownInfo, replaces: string | undefined): Opened {
    const csv: CsvOptions = { ...text.csv, ...(known.sniffed ? { sniffed: known.sniffed } : {}), ...(known.textColumns.length ? { textColumns: [...known.textColumns] } : {}) };
    const prep = tablePrep(this.format, this.path, version, csv, replaces);
    this.lastTable = prep.table;
    this.hold(prep.table);
    // The first page was read with the quick look's types: a column read as text, or other columns, read it again.
    const firstRows = sameNames(known.columns, text.columns) && known.textColumns.length === 0 ? text.firstRows : undefined;
    const totalRows = new SharedTask(() => Promise.resolve(known.totalRows));
    return { version, fileBytes, columns: known.columns, csv, notes: [...known.notes], prep, totalRows, rowsGuess: known.totalRows, inPlace: {}, ...(firstRows ? { firstRows } : {}) };
  }

}

/** Whether two column lists name the same columns in the same order (types aside). */
const sameNames = (a: readonly DatasetColumn[], b: readonly DatasetColumn[]): boolean => a.length === b.length && a.every((c, i) => c.name === b[i]?.name);

/**
 * Rows a text file holds, judged from its size and the length of its first rows as text (a
 * guess: only whether the profile's first scan comes with the count depends on it).
 */
function estimatedRows(fileBytes: number, rows: readonly (readonly Cell[])[]): number {
  if (rows.length === 0) return 0;
  const chars = rows.reduce((sum, row) => sum + row.reduce<number>((n, cell) => n + (cell === null ? 0 : String(cell).length) + 1, 0), 0);
  return fileBytes / Math.max(1, chars / rows.length);
}
