// Opening a data file's first rows in place (CSV, TSV, gzip'd CSV, JSON lines; Parquet's head too):
// its columns and first page in one query, and for a text file the read options it turns out to
// need (Latin-1 where it is not UTF-8, a forced comma where ragged rows fooled the sniffer), with
// errors that name the bad line. FileDatasetSource (fileDatasetSource.ts) builds on what this finds.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Cell, DatasetColumn, DatasetFormat } from '../datasetSource';
import { EngineQueryError, type DataEngine } from './engineClient';
import { cleanEngineMessage, fileError } from './engineErrors';
import { isAbortError, UserError } from '../../common/errors';
import { checkLineLengths, headerFieldCount, SNIFF_LINES, strictScanSql } from './csvDiagnosis';
import { columnsFromDescribe, directScan, MAX_LINE_BYTES, type CsvOptions } from './fileRelation';
import { SqlParams } from './sqlText';

/** Text files this big open with a quick sniff of their first rows (QUICK_SAMPLE_ROWS). */
export const QUICK_OPEN_BYTES = 64 * 1024 * 1024;
const QUICK_SAMPLE_ROWS = 2048;
/** Rows read with the schema when a file is opened: the grid's first page costs no second query. */
export const FIRST_ROWS = 200;

export interface FileHead {
  readonly columns: DatasetColumn[];
  readonly firstRows: readonly (readonly Cell[])[];
}

export interface OpenedText extends FileHead {
  readonly csv: CsvOptions;
  readonly notes: readonly string[];
  /** A big file's columns from a quick sniff of its first rows (QUICK_OPEN_BYTES): the table's own types replace them once built. */
  readonly quick: boolean;
}

/** Said of a file of 0 bytes (any format) or only blank lines: DuckDB would show one made-up column0. */
export function emptyFileError(path: string): UserError {
  return new UserError(`${basename(path)}: empty file: no columns.`);
}

/** Up to this size an uncompressed text file is read to see whether it holds only blank lines. */
const BLANK_CHECK_BYTES = 64 * 1024;

async function isBlank(path: string, fileBytes: number): Promise<boolean> {
  if (fileBytes === 0) return true;
  if (fileBytes > BLANK_CHECK_BYTES || path.toLowerCase().endsWith('.gz')) return false;
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(fileBytes), 0, fileBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').trim() === '';
  } finally {
    await file.close();
  }
}

/** A text file's columns and first rows, with the read options it needs; failures are UserErrors naming the file. */
export async function openTextFile(engine: DataEngine, format: DatasetFormat, path: string, fileBytes: number, signal: AbortSignal): Promise<OpenedText> {
  const notes: string[] = [];
  if (await isBlank(path, fileBytes)) throw emptyFileError(path);
  await checkLineLengths(path, basename(path), MAX_LINE_BYTES, SNIFF_LINES, signal);
  let csv: CsvOptions = {};
  let described: FileHead;
  // A big file's first page from a quick sniff of its first rows; anything odd there takes the full path below.
  if (fileBytes >= QUICK_OPEN_BYTES && format !== 'jsonl') {
    const quick = await readFileHead(engine, format, path, { quickSample: QUICK_SAMPLE_ROWS }, signal).catch((error: unknown) => {
      if (isAbortError(error)) throw error;
      return undefined;
    });
    if (quick && !(format === 'csv' && quick.columns.length === 1 && quick.columns[0]?.name.includes(','))) {
      return { columns: quick.columns, firstRows: quick.firstRows, csv, notes, quick: true };
    }
  }
  try {
    described = await readFileHead(engine, format, path, csv, signal);
  } catch (error) {
    if (!(error instanceof EngineQueryError) || !/not utf-8 encoded/i.test(error.message)) throw await textError(engine, format, path, error, csv, signal);
    // Not UTF-8: Latin-1 maps every byte to a character, so the file opens and the header says so.
    csv = { ...csv, encoding: 'latin-1' };
    notes.push(`Read as Latin-1: the file is not UTF-8 (${cleanEngineMessage(error.message).split(' the line reads')[0]}).`);
    described = await readFileHead(engine, format, path, csv, signal).catch(async (e: unknown) => {
      throw await textError(engine, format, path, e, csv, signal);
    });
  }
  // A .csv the sniffer read as one column although its header has commas: rows of different
  // lengths confused it. Read it as comma-separated so the ragged row is named, not hidden.
  if (format === 'csv' && described.columns.length === 1 && described.columns[0]?.name.includes(',')) {
    csv = { ...csv, delimiter: ',' };
    described = await readFileHead(engine, format, path, csv, signal).catch(async (e: unknown) => {
      throw await textError(engine, format, path, e, csv, signal);
    });
  }
  const mixed = format === 'jsonl' && mayHoldJson(described) ? await jsonTextColumns(engine, path, signal) : [];
  if (mixed.length) {
    csv = { ...csv, jsonText: mixed };
    described = await readFileHead(engine, format, path, csv, signal).catch(async (e: unknown) => {
      throw await textError(engine, format, path, e, csv, signal);
    });
  }
  return { columns: described.columns, firstRows: described.firstRows, csv, notes, quick: false };
}

/** A JSON value as DuckDB's JSON type writes it: a quoted string, a list, an object, a number, a boolean. */
const JSON_TEXT = /^(["[{]|-?\d+(\.\d+)?([eE][-+]?\d+)?$|true$|false$)/;

/**
 * Whether a JSON lines file's first page may hold a JSON column (reported as VARCHAR): a column
 * every value of which reads as JSON text (or none is there). Other files skip the DESCRIBE, which
 * cost as much as the first read (30 ms against 24 on a 55 MB file, 2 threads, load 5).
 */
function mayHoldJson(head: FileHead): boolean {
  return head.columns.some((c, i) => c.type === 'VARCHAR' && head.firstRows.every((r) => r[i] === null || (typeof r[i] === 'string' && JSON_TEXT.test(r[i]))));
}

/**
 * A JSON lines file's columns of mixed types (DuckDB's JSON type, which a page reports as VARCHAR:
 * asked of DESCRIBE), read as text (fileRelation.ts jsonAsText). Never rejects: a file DuckDB
 * cannot read is left to the read of its first rows, whose error names the line, and an abort to
 * that read too.
 */
async function jsonTextColumns(engine: DataEngine, path: string, signal: AbortSignal): Promise<string[]> {
  const params = new SqlParams();
  try {
    const { rows } = await engine.query(`DESCRIBE SELECT * FROM ${directScan('jsonl', path, params)}`, { params: params.values, maxRows: 100_000 }, signal);
    return rows.filter((r) => r[1] === 'JSON').map((r) => String(r[0]));
  } catch {
    return [];
  }
}

/** A failed CSV open as a UserError; a sniffer that gave up is asked again strictly, so the bad line is named. */
async function textError(engine: DataEngine, format: DatasetFormat, path: string, error: unknown, csv: CsvOptions, signal: AbortSignal): Promise<unknown> {
  if (!(error instanceof EngineQueryError) || !/Error when sniffing file/i.test(error.message) || format === 'jsonl') return fileError(error, path);
  const delimiter = csv.delimiter ?? (format === 'tsv' ? '\t' : ',');
  const fields = await headerFieldCount(path, delimiter).catch(() => undefined);
  if (fields === undefined) return fileError(error, path);
  const strict = strictScanSql(path, delimiter, fields, MAX_LINE_BYTES);
  try {
    await engine.query(strict.sql, { params: strict.params, maxRows: 1 }, signal);
  } catch (strictError) {
    return fileError(strictError, path);
  }
  return fileError(error, path);
}

/**
 * The file's first rows read in place, with their columns: one query gives the schema and the
 * first page (DuckDB sniffs a CSV once, reads one Parquet row group). DuckDB errors come back
 * raw (EngineQueryError) for the caller to judge.
 */
export async function readFileHead(engine: DataEngine, format: DatasetFormat, path: string, csv: CsvOptions, signal: AbortSignal): Promise<FileHead> {
  const params = new SqlParams();
  // In file order without numbering the rows (DuckDB keeps insertion order under a LIMIT).
  const scan = directScan(format, path, params, csv, false);
  const result = await engine.query(`SELECT * FROM ${scan} LIMIT ${FIRST_ROWS}`, { params: params.values, maxRows: FIRST_ROWS }, signal);
  const columns = columnsFromDescribe(result.columns.map((c) => [c.name, c.type]), format);
  const kept = result.columns.map((c, i) => (format === 'parquet' && c.name === 'file_row_number' ? -1 : i)).filter((i) => i >= 0);
  // A float's NaN is missing, as in every other page (viewSql.ts valueOf): the engine sends it as the text "NaN".
  const floats = new Set(kept.filter((i) => columns.find((c) => c.name === result.columns[i]?.name)?.kind === 'float'));
  const cell = (r: readonly Cell[], i: number): Cell => (floats.has(i) && r[i] === 'NaN' ? null : (r[i] ?? null));
  const firstRows = kept.length === result.columns.length && floats.size === 0 ? result.rows : result.rows.map((r) => kept.map((i) => cell(r, i)));
  return { columns, firstRows };
}
