import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseCsvSync } from 'csv-parse/sync';
import { ColumnSeries } from './columnSeries';
import { listDir, readSmallText } from './fileReads';
import { byStep, describeProblem, type MetricPoint, type RunRecord, type RunSource, type SourceSnapshot } from './runModel';
import { flattenParams, parsePythonFloat, parseTrackingYaml } from './trackingValues';

// PyTorch Lightning's CSVLogger (docs/formats.md §4): `<save_dir>/<name>/version_N/metrics.csv`
// with sparse rows (each log call writes only its keys, plus `step`) and `hparams.yaml`. The file is
// streamed into columns of doubles, so memory grows with the numbers kept, not with the text (read
// whole into strings and row arrays, a 30 MB file took 841 MB), and a live file is read on from
// where the last read stopped. Lightning rewrites the file when new keys appear: a changed header
// starts over.

/** A line (and so a cell) longer than this is an error, not a reason to hold the whole file. */
const MAX_LINE_BYTES = 1024 * 1024;
const MAX_HPARAMS_BYTES = 2 * 1024 * 1024;
/**
 * CSVLogger writes with Python's csv.DictWriter (RFC 4180 quoting, "\r\n" line ends). The line ends
 * are given, not guessed from the first one seen, so a read that goes on mid-file splits lines as
 * a read from the start does.
 */
const CSV_OPTIONS = { relax_column_count: true, skip_empty_lines: true, relax_quotes: true, max_record_size: MAX_LINE_BYTES, record_delimiter: ['\r\n', '\n'] };

/** metrics.csv as columns: one series per column but `step`; empty cells are absent values. */
export class CsvColumns {
  readonly series = new Map<string, ColumnSeries>();
  private header: readonly string[] | undefined;
  private stepColumn = -1;
  /** Data rows seen: the step of a row when there is no `step` column. */
  private rows = 0;
  private bad = 0;

  add(row: readonly string[]): void {
    const header = this.header;
    if (!header) {
      this.header = row;
      this.stepColumn = row.indexOf('step');
      return;
    }
    const index = this.rows++;
    const stepCell = this.stepColumn >= 0 ? row[this.stepColumn] : undefined;
    const step = stepCell ? Number(stepCell) : index;
    if (!Number.isFinite(step) || row.length > header.length) {
      this.bad++;
      return;
    }
    for (let c = 0; c < row.length; c++) {
      const cell = row[c]!;
      if (c === this.stepColumn || cell === '') continue;
      const value = parsePythonFloat(cell);
      if (value === undefined) {
        this.bad++;
        continue;
      }
      const key = header[c]!;
      let series = this.series.get(key);
      if (!series) this.series.set(key, (series = new ColumnSeries()));
      series.push(step, NaN, value);
    }
  }

  get hasHeader(): boolean {
    return this.header !== undefined;
  }

  problems(): string[] {
    return this.bad > 0 ? [`metrics.csv: ${this.bad} unreadable cell(s) or row(s)`] : [];
  }
}

export interface CsvSeries {
  readonly series: Map<string, MetricPoint[]>;
  readonly problems: string[];
}

/** Parses metrics.csv text, leaving a half-written last line (for tests and small inputs; files go through `readMetricsCsv`). */
export function parseMetricsCsv(text: string): CsvSeries {
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  const columns = new CsvColumns();
  try {
    const rows: string[][] = parseCsvSync(complete, CSV_OPTIONS);
    for (const row of rows) columns.add(row);
  } catch (error) {
    return { series: new Map(), problems: [`metrics.csv: ${describeProblem(error)}`] };
  }
  return { series: new Map([...columns.series].map(([key, s]) => [key, s.points()])), problems: columns.problems() };
}

/** What a read of metrics.csv leaves: the columns, and where the next read of the growing file goes on. */
export interface CsvState {
  readonly columns: CsvColumns;
  /** Bytes read: the end of the last complete line. */
  readonly offset: number;
  /** The header line's bytes: when they change, Lightning rewrote the file. */
  readonly headerLine: Buffer;
  readonly size: number;
  readonly mtimeMs: number;
  readonly problems: string[];
}

/**
 * Reads metrics.csv into columns as a stream; given `previous` (an earlier read of the same file),
 * only the lines appended since, unless the file shrank, its header changed or the last read failed.
 */
export async function readMetricsCsv(path: string, previous?: CsvState): Promise<CsvState> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (previous && previous.size === info.size && previous.mtimeMs === info.mtimeMs) return previous;
    const head = Buffer.alloc(Math.min(info.size, 64 * 1024));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const firstNewline = head.subarray(0, bytesRead).indexOf(10);
    const headerLine = head.subarray(0, firstNewline < 0 ? bytesRead : firstNewline + 1);
    const goOn = previous !== undefined && previous.columns.hasHeader && info.size >= previous.offset && previous.headerLine.equals(headerLine) && previous.problems.length === 0;
    const columns = goOn ? previous.columns : new CsvColumns();
    const from = goOn ? previous.offset : 0;
    const end = await endOfLastLine(handle, from, info.size);
    const problems: string[] = [];
    if (end === undefined) problems.push(`metrics.csv: a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MB: not read`);
    else if (end > from) {
      // A live file's last line may be half-written: it is read next time.
      const parser = handle.createReadStream({ start: from, end: end - 1, autoClose: false }).pipe(parseCsv(CSV_OPTIONS));
      try {
        for await (const row of parser) columns.add(row as string[]);
      } catch (error) {
        problems.push(`metrics.csv: ${describeProblem(error)}`);
      }
    }
    return { columns, offset: end ?? from, headerLine, size: info.size, mtimeMs: info.mtimeMs, problems };
  } finally {
    await handle.close();
  }
}

/** The offset after the last newline in [from, size), looking back at most MAX_LINE_BYTES (undefined: a longer line). */
async function endOfLastLine(handle: FileHandle, from: number, size: number): Promise<number | undefined> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let stop = size; stop > from; stop -= chunk.length) {
    const start = Math.max(from, stop - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, stop - start, start);
    const newline = chunk.subarray(0, bytesRead).lastIndexOf(10);
    if (newline >= 0) return start + newline + 1;
    if (size - start > MAX_LINE_BYTES) return undefined;
  }
  return from;
}

export class LightningCsvLogs implements RunSource {
  readonly kind = 'lightning' as const;
  readonly id: string;
  private readonly cache = new Map<string, CsvState>();
  /** Reads of one file run one after another: two at once would add the same appended rows twice. */
  private readonly reading = new Map<string, Promise<unknown>>();

  constructor(readonly root: string, readonly label = basename(root)) {
    this.id = `lightning:${root}`;
  }

  async load(): Promise<SourceSnapshot> {
    let entries;
    try {
      entries = await listDir(this.root);
    } catch (error) {
      return { experiments: [], problems: [`${this.root}: ${describeProblem(error)}`] };
    }
    const versions = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    const runs: RunRecord[] = [];
    for (const version of versions.sort((a, b) => versionNumber(a) - versionNumber(b) || a.localeCompare(b))) {
      const run = await this.readVersion(join(this.root, version), version);
      if (run) runs.push(run);
    }
    return { experiments: runs.length > 0 ? [{ id: this.root, name: this.label, runs }] : [], problems: [] };
  }

  private async readVersion(dir: string, version: string): Promise<RunRecord | undefined> {
    const problems: string[] = [];
    const csvPath = join(dir, 'metrics.csv');
    const hparamsPath = join(dir, 'hparams.yaml');
    const [csvInfo, hasHparams] = await Promise.all([stat(csvPath).catch(() => undefined), stat(hparamsPath).then(() => true, () => false)]);
    if (!csvInfo && !hasHparams) return undefined; // not a CSVLogger version folder
    let params: Record<string, string> = {};
    if (hasHparams) {
      try {
        // PyYAML writes tuples and objects with !!python/... tags: unknown tags are read as plain values.
        params = flattenParams(parseTrackingYaml(await readSmallText(hparamsPath, MAX_HPARAMS_BYTES)));
      } catch (error) {
        problems.push(`hparams.yaml: ${describeProblem(error)}`);
      }
    }
    const parsed = csvInfo ? await this.readCsv(csvPath) : undefined;
    if (!csvInfo) problems.push('metrics.csv: missing');
    if (parsed) problems.push(...parsed.problems);
    const metrics = parsed ? [...parsed.series].map(([key, series]) => series.summary(key)).filter((m) => m !== undefined) : [];
    return {
      key: `${this.id}#${version}`,
      source: this.kind,
      sourceId: this.id,
      experiment: this.label,
      runId: version,
      name: version,
      status: 'unknown',
      ...(csvInfo ? { updatedTime: csvInfo.mtimeMs, startTime: csvInfo.birthtimeMs > 0 ? csvInfo.birthtimeMs : undefined } : {}),
      params,
      tags: {},
      metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
      location: dir,
      problems,
    };
  }

  private async readCsv(path: string): Promise<{ series: Map<string, ColumnSeries>; problems: string[] }> {
    const read = (this.reading.get(path) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => readMetricsCsv(path, this.cache.get(path)));
    this.reading.set(path, read);
    try {
      const state = await read;
      this.cache.set(path, state);
      return { series: state.columns.series, problems: [...state.problems, ...state.columns.problems()] };
    } catch (error) {
      this.cache.delete(path);
      return { series: new Map(), problems: [`metrics.csv: ${describeProblem(error)}`] };
    } finally {
      if (this.reading.get(path) === read) this.reading.delete(path);
    }
  }

  async history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    const parsed = await this.readCsv(join(run.location, 'metrics.csv'));
    return byStep(parsed.series.get(key)?.points() ?? []);
  }
}

function versionNumber(name: string): number {
  const match = /^version_(\d+)$/.exec(name);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}
