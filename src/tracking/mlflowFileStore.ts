import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInside, type PathModule } from '../common/pathInside';
import { formatBytes } from '../common/units';
import { asMapping, ownValue, setOwn } from './ownProps';
import { parsePythonFloat, parseTrackingYaml } from './trackingValues';
import { ColumnSeries } from './columnSeries';
import { consumeFrom, filesUnderSync, listDir, readSmallOrTailSync, readSmallText } from './fileReads';
import {
  byStep,
  describeProblem,
  type ExperimentRecord,
  type MetricPoint,
  type MetricSummary,
  type RunRecord,
  type RunSource,
  type RunStatus,
  type SourceSnapshot,
} from './runModel';

// MLflow's FileStore, `mlruns/` (docs/formats.md §1.1): one folder per experiment with a
// meta.yaml, one per run with meta.yaml, params/, tags/, metrics/ (keys with "/" are sub-folders),
// artifacts/. Deleted experiments sit in `.trash/`; `models/` is the model registry.

const STATUS_CODES: Record<number, RunStatus> = { 1: 'running', 2: 'scheduled', 3: 'finished', 4: 'failed', 5: 'killed' };
const RESERVED = new Set(['.trash', 'models', 'tags', 'datasets', 'traces']);
/** The tail read for a run's latest values: a metric line is ~30 bytes, so this holds ~130 lines. */
const TAIL_BYTES = 4096;
const YIELD_EVERY = 25;

/** `timestamp value [step]` (2 or 3 fields, as MLflow's `_get_metric_from_line` accepts). */
export function parseMetricLine(line: string): MetricPoint | undefined {
  const fields = line.trim().split(' ');
  if (fields.length !== 2 && fields.length !== 3) return undefined;
  const time = Number(fields[0]);
  const value = parsePythonFloat(fields[1]!);
  const step = fields.length === 3 ? Number(fields[2]) : 0;
  if (!Number.isInteger(time) || value === undefined || !Number.isInteger(step)) return undefined;
  return { time, value, step };
}

/** Reads a non-negative decimal integer in `text[from, to)`, or -1. */
function digits(text: string, from: number, to: number): number {
  if (to <= from || to - from > 16) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The latest point of metric lines (max by step, then timestamp, as MLflow's "latest"), without
 * splitting lines or making a point per line: a run list reads 100,000 metric files and needs one
 * point from each. Only the integers of each line and the winner's value are parsed; a line that
 * is not `ts value [step]` with plain integers sends the text to the full parser. `bad` may
 * therefore miss a broken value on a line that is not the latest (a chart's full read reports it).
 */
export function latestMetricLine(text: string): { latest: MetricPoint | undefined; bad: number } {
  let bestStep = -1;
  let bestTime = -1;
  let bestFrom = -1;
  let bestTo = -1;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (end > at) {
      const first = text.indexOf(' ', at);
      if (first < 0 || first >= end) return slowLatest(text);
      const second = text.indexOf(' ', first + 1);
      const valueEnd = second < 0 || second >= end ? end : second;
      const time = digits(text, at, first);
      const step = valueEnd === end ? 0 : digits(text, second + 1, end);
      if (time < 0 || step < 0 || valueEnd <= first + 1) return slowLatest(text);
      if (step > bestStep || (step === bestStep && time >= bestTime)) {
        bestStep = step;
        bestTime = time;
        bestFrom = first + 1;
        bestTo = valueEnd;
      }
    }
    at = end + 1;
  }
  if (bestFrom < 0) return { latest: undefined, bad: 0 };
  const value = parsePythonFloat(text.slice(bestFrom, bestTo));
  if (value === undefined) return slowLatest(text);
  return { latest: { step: bestStep, time: bestTime, value }, bad: 0 };
}

function slowLatest(text: string): { latest: MetricPoint | undefined; bad: number } {
  const { points, bad } = parseMetricLines(text);
  let latest: MetricPoint | undefined;
  for (const p of points) if (!latest || p.step > latest.step || (p.step === latest.step && p.time! >= latest.time!)) latest = p;
  return { latest, bad };
}

export function parseMetricLines(text: string): { points: MetricPoint[]; bad: number } {
  const points: MetricPoint[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const point = parseMetricLine(line);
    if (point) points.push(point);
    else bad++;
  }
  return { points, bad };
}

/**
 * meta.yaml as MLflow writes it (PyYAML safe_dump of a flat mapping of scalars), read without a
 * YAML parser: one line per key. Anything else (nesting, block scalars, escapes) goes to `yaml`.
 */
export function parseFlatYaml(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const colon = line.indexOf(': ');
    const bare = colon < 0 && line.endsWith(':');
    if ((colon <= 0 && !bare) || line.startsWith(' ') || line.startsWith('-') || line.startsWith('#')) return asRecord(parseTrackingYaml(text));
    const key = bare ? line.slice(0, -1) : line.slice(0, colon);
    const raw = bare ? '' : line.slice(colon + 2);
    if (/^['"]?[\w.-]*['"]?$/.test(key) === false) return asRecord(parseTrackingYaml(text));
    if (raw.startsWith("'")) {
      if (!raw.endsWith("'") || raw.length < 2) return asRecord(parseTrackingYaml(text));
      setOwn(out, key, raw.slice(1, -1).replace(/''/g, "'"));
    } else if (raw.startsWith('"') || raw.startsWith('|') || raw.startsWith('>') || raw.startsWith('&') || raw.startsWith('*') || raw.startsWith('!') || raw.startsWith('{') || (raw.startsWith('[') && raw !== '[]')) {
      return asRecord(parseTrackingYaml(text));
    } else if (raw === '' || raw === 'null' || raw === '~') setOwn(out, key, raw === '' && bare ? null : raw === '' ? '' : null);
    else if (raw === '[]') setOwn(out, key, []);
    else if (/^[-+]?\d+$/.test(raw) || /^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(raw)) setOwn(out, key, Number(raw)); // YAML 1.2 ints and floats
    else if (raw === 'true' || raw === 'false') setOwn(out, key, raw === 'true');
    // Hex ints, .inf/.nan, other spellings of YAML's words, and comments: let the parser decide.
    // (A run id such as 1c6b2d5b... is a plain string and stays on the fast path.)
    else if (/^0[ox]|^[-+]?\.|^(true|false|null|yes|no|on|off)$/i.test(raw) || raw.includes(': ') || raw.includes(' #')) return asRecord(parseTrackingYaml(text));
    else setOwn(out, key, raw);
  }
  return out;
}

function asRecord(value: unknown): Record<string, unknown> {
  return asMapping(value) ?? {};
}

function asTime(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The local path an `artifact_uri` names on a machine whose paths `path` describes: a `file:` URI
 * or an absolute path; undefined for remote stores (`s3://`, `mlflow-artifacts:/`) and for another
 * platform's paths (`C:\\...` read on Linux).
 */
export function artifactUriPath(artifactUri: unknown, path: Pick<PathModule, 'isAbsolute' | 'sep'> = nodePath): string | undefined {
  if (typeof artifactUri !== 'string' || artifactUri === '') return undefined;
  const windows = path.sep === '\\';
  if (artifactUri.startsWith('file:')) {
    try {
      const local = fileURLToPath(artifactUri, { windows });
      return path.isAbsolute(local) && !(!windows && /^\/[A-Za-z]:/.test(local)) ? local : undefined; // file:///C:/... on Linux: not ours
    } catch {
      return undefined;
    }
  }
  // A scheme has two or more letters; "C:" is a Windows drive.
  if (/^[a-z][a-z0-9+.-]+:/i.test(artifactUri)) return undefined;
  return path.isAbsolute(artifactUri) ? artifactUri : undefined;
}

/** A run's artifact folder on this machine: its `artifact_uri` when it is a local path that exists, else `<run>/artifacts`. */
export function localArtifactsDir(artifactUri: unknown, runDir: string): string | undefined {
  const path = artifactUriPath(artifactUri);
  if (path && existsSync(path)) return path;
  const local = join(runDir, 'artifacts');
  return existsSync(local) ? local : undefined;
}

export class MlflowFileStore implements RunSource {
  readonly kind = 'mlflow' as const;
  readonly id: string;
  readonly label: string;

  constructor(readonly root: string, label = 'mlruns') {
    this.id = `mlflow:${root}`;
    this.label = label;
  }

  async load(signal?: AbortSignal, onPartial?: (snapshot: SourceSnapshot) => void): Promise<SourceSnapshot> {
    const problems: string[] = [];
    let entries;
    try {
      entries = await listDir(this.root);
    } catch (error) {
      return { experiments: [], problems: [`${this.root}: ${describeProblem(error)}`] };
    }
    if (entries.length === 0 && !existsSync(this.root)) return { experiments: [], problems: [`${this.root}: missing`] };
    const dirs = entries.filter((e) => e.isDirectory() && !RESERVED.has(e.name)).map((e) => ({ dir: join(this.root, e.name), deleted: false }));
    for (const e of await listDir(join(this.root, '.trash')).catch(() => [])) {
      if (e.isDirectory()) dirs.push({ dir: join(this.root, '.trash', e.name), deleted: true });
    }
    // A first pass reads only each run's meta.yaml (name, status, times), so a 10,000-run store shows
    // its runs at once; the second adds params, tags and latest metrics.
    const passes = onPartial ? [true, false] : [false];
    let experiments: ExperimentRecord[] = [];
    for (const shallow of passes) {
      experiments = [];
      problems.length = 0;
      for (const { dir, deleted } of dirs) {
        signal?.throwIfAborted();
        const experiment = await this.readExperiment(dir, deleted, problems, shallow);
        if (experiment) experiments.push(experiment);
      }
      if (shallow) onPartial?.({ experiments, problems: [...problems] });
    }
    return { experiments, problems };
  }

  private async readExperiment(dir: string, inTrash: boolean, problems: string[], shallow: boolean): Promise<ExperimentRecord | undefined> {
    const folder = basename(dir);
    let meta: Record<string, unknown>;
    try {
      meta = parseFlatYaml(await readSmallText(join(dir, 'meta.yaml')));
    } catch (error) {
      // A folder without meta.yaml is not an experiment (MLflow skips it too); a broken one is reported.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`experiment ${folder}: meta.yaml: ${describeProblem(error)}`);
      else return undefined;
      meta = {};
    }
    const id = typeof meta.experiment_id === 'string' || typeof meta.experiment_id === 'number' ? String(meta.experiment_id) : folder;
    const name = typeof meta.name === 'string' ? meta.name : `experiment ${id}`;
    const runDirs = (await listDir(dir)).filter((e) => e.isDirectory() && !RESERVED.has(e.name)).map((e) => e.name);
    const runs: RunRecord[] = [];
    for (let i = 0; i < runDirs.length; i++) {
      // Small synchronous reads are several times faster than a promise per file; yielding every
      // few runs keeps the extension host responsive while a 10,000-run store loads.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
      const run = this.readRun(join(dir, runDirs[i]!), runDirs[i]!, name, shallow);
      if (run) runs.push(run);
    }
    return { id, name, deleted: inTrash || meta.lifecycle_stage === 'deleted', runs };
  }

  private readRun(dir: string, folder: string, experiment: string, shallow = false): RunRecord | undefined {
    const problems: string[] = [];
    let meta: Record<string, unknown> = {};
    try {
      const read = readSmallOrTailSync(join(dir, 'meta.yaml'), 64 * 1024);
      if (!read.whole) throw new Error('more than 64 KB: not a run meta.yaml');
      meta = parseFlatYaml(read.text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined; // not a run folder
      problems.push(`meta.yaml: ${describeProblem(error)}`);
    }
    const params = shallow ? {} : this.keyValues(join(dir, 'params'), problems);
    const tags = shallow ? {} : this.keyValues(join(dir, 'tags'), problems);
    let metricFiles: { key: string; path: string }[] = [];
    try {
      if (!shallow) metricFiles = filesUnderSync(join(dir, 'metrics'));
    } catch (error) {
      problems.push(`metrics: ${describeProblem(error)}`);
    }
    const metrics: MetricSummary[] = [];
    for (const file of metricFiles) {
      try {
        const tail = readSmallOrTailSync(file.path, TAIL_BYTES);
        const lines = tail.whole ? tail.text : tail.text.slice(tail.text.indexOf('\n') + 1);
        const { latest, bad } = latestMetricLine(lines);
        if (bad > 0) problems.push(`metrics/${file.key}: ${bad} unreadable line(s)`);
        if (latest) metrics.push({ key: file.key, last: latest.value, lastStep: latest.step });
      } catch (error) {
        problems.push(`metrics/${file.key}: ${describeProblem(error)}`);
      }
    }
    const runId = typeof meta.run_id === 'string' ? meta.run_id : typeof meta.run_uuid === 'string' ? meta.run_uuid : folder;
    const name = (typeof meta.run_name === 'string' && meta.run_name) || ownValue(tags, 'mlflow.runName') || runId;
    const code = Number(meta.status ?? 1);
    return {
      key: `${this.id}#${runId}`,
      source: this.kind,
      sourceId: this.id,
      experiment,
      runId,
      name,
      status: ownValue(STATUS_CODES, String(code)) ?? 'unknown',
      ...(meta.lifecycle_stage === 'deleted' ? { deleted: true } : {}),
      startTime: asTime(meta.start_time),
      endTime: asTime(meta.end_time),
      params,
      tags,
      metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
      ...(shallow ? { partial: true } : {}),
      ...(shallow ? {} : { artifactsDir: localArtifactsDir(meta.artifact_uri, dir) }),
      location: dir,
      problems,
    };
  }

  private keyValues(dir: string, problems: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    let files: { key: string; path: string }[];
    try {
      files = filesUnderSync(dir);
    } catch (error) {
      problems.push(`${dir}: ${describeProblem(error)}`);
      return out;
    }
    for (const file of files) {
      try {
        const read = readSmallOrTailSync(file.path, 64 * 1024);
        setOwn(out, file.key, read.whole ? read.text : `${read.text.slice(0, 1000)}… (cut: over 64 KB)`);
      } catch (error) {
        problems.push(`${file.key}: ${describeProblem(error)}`);
      }
    }
    return out;
  }

  async history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    // A key is "/"-separated on every platform (MLflow's rule); it must name a file under metrics/
    // (a "..\\" part would leave it on Windows).
    const metricsDir = join(run.location, 'metrics');
    const file = join(metricsDir, ...key.split('/'));
    if (key.split('/').some((part) => part === '..' || part === '') || !isInside(metricsDir, file)) return [];
    return byStep((await readMetricFile(file)).points());
  }
}

/** Metric files larger than this are not read. */
const MAX_METRIC_FILE = 1024 * 1024 * 1024;

/** A metric line longer than this is damage (MLflow writes ~30 bytes a line): skipped, not held. */
const MAX_METRIC_LINE = 4096;

/**
 * Every point of a metric file, streamed into a column (24 bytes a point) in chunks: a 1 GB file
 * never sits in memory as text, and a file with no newline (zeros, binary) is skipped line by line.
 */
export async function readMetricFile(path: string): Promise<ColumnSeries> {
  // Read at ~250 MB/s, a sparse file claiming a terabyte (a few KB on disk) held its worker, and
  // every read of its source, for the whole time limit; a real one this large holds more points
  // than a reader's memory could hand back anyway.
  const { size } = await stat(path);
  if (size > MAX_METRIC_FILE) throw new Error(`the metric file is ${formatBytes(size)}, more than the ${formatBytes(MAX_METRIC_FILE)} read (MLflow writes ~30 bytes a point: over 30 million points)`);
  const series = new ColumnSeries();
  let skipping = false; // inside a line too long to be a metric line
  await consumeFrom(path, 0, (data) => {
    let at = 0;
    for (;;) {
      const end = data.indexOf(10, at);
      if (end < 0) {
        // the rest waits for its newline, unless it is already too long to be a line
        if (data.length - at > MAX_METRIC_LINE) {
          skipping = true;
          return { used: data.length };
        }
        return { used: at };
      }
      if (!skipping && end > at) {
        const point = parseMetricLine(data.toString('latin1', at, end));
        if (point) series.push(point.step, point.time ?? NaN, point.value);
      }
      skipping = false;
      at = end + 1;
    }
  });
  return series;
}
