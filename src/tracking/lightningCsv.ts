import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { listDir } from './fileReads';
import { byStep, describeProblem, summarize, type MetricPoint, type RunRecord, type RunSource, type SourceSnapshot } from './runModel';

// PyTorch Lightning's CSVLogger (docs/formats.md §4): `<save_dir>/<name>/version_N/metrics.csv`
// with sparse rows (each log call writes only its keys, plus `step`) and `hparams.yaml`. The header can
// be rewritten when new keys appear, so the file is always read whole (it is small: one row per log call).

export interface CsvSeries {
  readonly series: Map<string, MetricPoint[]>;
  readonly problems: string[];
}

/** Parses metrics.csv text: one series per column but `step`; empty cells are absent values. */
export function parseMetricsCsv(text: string): CsvSeries {
  const problems: string[] = [];
  // A live file's last line may be half-written: leave it for the next read.
  const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
  let rows: string[][];
  try {
    rows = parseCsv(complete, { relax_column_count: true, skip_empty_lines: true, relax_quotes: true });
  } catch (error) {
    return { series: new Map(), problems: [`metrics.csv: ${describeProblem(error)}`] };
  }
  const series = new Map<string, MetricPoint[]>();
  const header = rows[0];
  if (!header) return { series, problems };
  const stepColumn = header.indexOf('step');
  let bad = 0;
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const step = stepColumn >= 0 && row[stepColumn] ? Number(row[stepColumn]) : r - 1;
    if (!Number.isFinite(step) || row.length > header.length) {
      bad++;
      continue;
    }
    for (let c = 0; c < header.length; c++) {
      const cell = row[c];
      if (c === stepColumn || cell === undefined || cell === '') continue;
      const value = Number(cell);
      if (Number.isNaN(value) && cell.toLowerCase() !== 'nan') {
        bad++;
        continue;
      }
      const key = header[c]!;
      let points = series.get(key);
      if (!points) series.set(key, (points = []));
      points.push({ step, value });
    }
  }
  if (bad > 0) problems.push(`metrics.csv: ${bad} unreadable cell(s) or row(s)`);
  return { series, problems };
}

/** `{a: {b: 1}}` as `a.b = "1"`: hyperparameters are shown and compared flat. */
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = typeof value === 'string' ? value : JSON.stringify(value) ?? 'null';
  return out;
}

export class LightningCsvLogs implements RunSource {
  readonly kind = 'lightning' as const;
  readonly id: string;
  private readonly cache = new Map<string, { mtimeMs: number; size: number; parsed: CsvSeries }>();

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
        params = flattenParams(parseYaml(await readFile(hparamsPath, 'utf8'), { logLevel: 'error' }));
      } catch (error) {
        problems.push(`hparams.yaml: ${describeProblem(error)}`);
      }
    }
    const parsed = csvInfo ? await this.readCsv(csvPath, csvInfo.mtimeMs, csvInfo.size) : undefined;
    if (!csvInfo) problems.push('metrics.csv: missing');
    if (parsed) problems.push(...parsed.problems);
    const metrics = parsed ? [...parsed.series].map(([key, points]) => summarize(key, points)).filter((m) => m !== undefined) : [];
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

  private async readCsv(path: string, mtimeMs: number, size: number): Promise<CsvSeries> {
    const cached = this.cache.get(path);
    if (cached && cached.mtimeMs === mtimeMs && cached.size === size) return cached.parsed;
    try {
      const parsed = parseMetricsCsv(await readFile(path, 'utf8'));
      this.cache.set(path, { mtimeMs, size, parsed });
      return parsed;
    } catch (error) {
      return { series: new Map(), problems: [`metrics.csv: ${describeProblem(error)}`] };
    }
  }

  async history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    const info = await stat(join(run.location, 'metrics.csv'));
    const parsed = await this.readCsv(join(run.location, 'metrics.csv'), info.mtimeMs, info.size);
    return byStep([...(parsed.series.get(key) ?? [])]);
  }
}

function versionNumber(name: string): number {
  const match = /^version_(\d+)$/.exec(name);
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

