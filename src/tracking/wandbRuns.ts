import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { listDir, readSmallText } from './fileReads';
import { byStep, describeProblem, summarize, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type RunStatus, type SourceSnapshot } from './runModel';
import { asMapping, setOwn } from './ownProps';
import { flattenParams, paramText, parseTrackingJson, parseTrackingYaml } from './trackingValues';
import { emptyRecords, readWandbFile, WANDB_BLOCK, type WandbRecords } from './wandbDatastore';

// W&B local run folders (docs/formats.md §3.1): `wandb/run-YYYYMMDD_HHMMSS-<id>/` and
// `offline-run-…`, with `files/config.yaml`, `files/wandb-summary.json`, `files/wandb-metadata.json`
// and the `run-<id>.wandb` datastore that holds the full history (read incrementally, in chunks).

const RUN_DIR = /^(offline-)?run-(\d{8}_\d{6})-([A-Za-z0-9]+)$/;
/** A run whose file changed this recently and has no exit record is taken as still running. */
const LIVE_MS = 120_000;
/** Side files are small; a larger one is damage (or not W&B's), reported instead of read. */
const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
const MAX_SUMMARY_BYTES = 8 * 1024 * 1024;
/** The datastore is read this much at a time (whole 32 KiB blocks), never whole. */
const CHUNK_BYTES = 8 * 1024 * 1024;
/** A record spanning more than this (its fragments chained block after block) is damage: reading stops there. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

interface FileState {
  size: number;
  records: WandbRecords;
}

/** config.yaml: `key: {desc, value}` per entry; `_wandb` is W&B's own bookkeeping. */
export function wandbConfigParams(text: string): Record<string, string> {
  const doc = asMapping(parseTrackingYaml(text));
  const out: Record<string, string> = {};
  if (!doc) return out;
  for (const [key, entry] of Object.entries(doc)) {
    if (key === 'wandb_version' || key === '_wandb') continue;
    const wrapped = asMapping(entry);
    const value = wrapped && Object.hasOwn(wrapped, 'value') ? wrapped.value : entry;
    if (asMapping(value)) flattenParams(value, key, out);
    else setOwn(out, key, paramText(value));
  }
  return out;
}

export class WandbRunsDir implements RunSource {
  readonly kind = 'wandb' as const;
  readonly id: string;
  private readonly files = new Map<string, FileState>();

  constructor(
    readonly root: string,
    readonly label = basename(root),
    private readonly chunkBytes = CHUNK_BYTES,
  ) {
    this.id = `wandb:${root}`;
  }

  async load(): Promise<SourceSnapshot> {
    let entries;
    try {
      entries = await listDir(this.root);
    } catch (error) {
      return { experiments: [], problems: [`${this.root}: ${describeProblem(error)}`] };
    }
    const byProject = new Map<string, RunRecord[]>();
    for (const entry of entries.filter((e) => e.isDirectory() && RUN_DIR.test(e.name)).sort((a, b) => a.name.localeCompare(b.name))) {
      const run = await this.readRun(join(this.root, entry.name), entry.name);
      let runs = byProject.get(run.experiment);
      if (!runs) byProject.set(run.experiment, (runs = []));
      runs.push(run);
    }
    return { experiments: [...byProject].map(([name, runs]) => ({ id: `${this.root}#${name}`, name, runs })), problems: [] };
  }

  private async readRun(dir: string, folder: string): Promise<RunRecord> {
    const match = RUN_DIR.exec(folder)!;
    const runId = match[3]!;
    const problems: string[] = [];
    const offline = match[1] !== undefined;
    const readJson = async (name: string): Promise<Record<string, unknown> | undefined> => {
      try {
        return asMapping(parseTrackingJson(await readSmallText(join(dir, 'files', name), MAX_SUMMARY_BYTES)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`files/${name}: ${describeProblem(error)}`);
        return undefined;
      }
    };
    let params: Record<string, string> = {};
    try {
      params = wandbConfigParams(await readSmallText(join(dir, 'files', 'config.yaml'), MAX_CONFIG_BYTES));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`files/config.yaml: ${describeProblem(error)}`);
    }
    const [summary, metadata] = await Promise.all([readJson('wandb-summary.json'), readJson('wandb-metadata.json')]);
    const datastore = join(dir, `run-${runId}.wandb`);
    const { records, mtimeMs } = await this.update(datastore, problems);
    // The datastore's config records are the truth while a run is live (config.yaml is written at the end).
    for (const item of records?.config ?? []) {
      if (item.key === '_wandb') continue;
      try {
        const value = JSON.parse(item.valueJson) as unknown;
        if (asMapping(value)) flattenParams(value, item.key, params);
        else setOwn(params, item.key, paramText(value));
      } catch {
        setOwn(params, item.key, paramText(item.valueJson));
      }
    }
    const series = records ? historySeries(records) : new Map<string, MetricPoint[]>();
    const metrics: MetricSummary[] = [...series].map(([key, points]) => summarize(key, points)).filter((m) => m !== undefined);
    // Summary values with no history (logged with run.summary[...] = ...) still show.
    const summaryStep = typeof summary?._step === 'number' ? summary._step : 0;
    for (const [key, value] of Object.entries(summary ?? {})) {
      if (key.startsWith('_') || typeof value !== 'number' || series.has(key)) continue;
      metrics.push({ key, last: value, lastStep: summaryStep });
    }
    const tags: Record<string, string> = {};
    for (const key of ['host', 'program', 'codePath', 'python', 'gpu', 'gpu_count', 'os']) {
      const value = metadata && Object.hasOwn(metadata, key) ? metadata[key] : undefined;
      if (typeof value === 'string' || typeof value === 'number') tags[key] = paramText(String(value));
    }
    const commit = asMapping(metadata?.git)?.commit;
    if (typeof commit === 'string') tags['git.commit'] = commit;
    if (records?.run?.tags.length) tags.tags = records.run.tags.join(', ');
    if (offline) tags.mode = 'offline';
    const started = records?.run?.startTime ?? parseFolderTime(match[2]!);
    const exit = records?.exit;
    let status: RunStatus = 'unknown';
    if (exit) status = exit.exitCode === 0 ? 'finished' : 'failed';
    else if (mtimeMs !== undefined && Date.now() - mtimeMs < LIVE_MS) status = 'running';
    return {
      key: `${this.id}#${folder}`,
      source: this.kind,
      sourceId: this.id,
      experiment: records?.run?.project || 'wandb',
      runId,
      name: records?.run?.displayName || runId,
      status,
      ...(started !== undefined ? { startTime: started } : {}),
      ...(exit && started !== undefined ? { endTime: started + exit.runtime * 1000 } : {}),
      ...(mtimeMs !== undefined ? { updatedTime: mtimeMs } : {}),
      params,
      tags,
      metrics: metrics.sort((a, b) => a.key.localeCompare(b.key)),
      artifactsDir: join(dir, 'files'),
      location: dir,
      problems: [...problems, ...(records?.problems ?? [])],
    };
  }

  /** Reads what was appended to the datastore since the last read, a chunk of whole blocks at a time. */
  private async update(path: string, problems: string[]): Promise<{ records?: WandbRecords; mtimeMs?: number }> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      problems.push(`${basename(path)}: ${describeProblem(error)}`);
      return {};
    }
    let state = this.files.get(path);
    if (!state || info.size < state.size) state = { size: 0, records: emptyRecords() };
    if (info.size !== state.size) {
      try {
        await readAppended(path, info.size, state.records, this.chunkBytes);
        state.size = info.size;
      } catch (error) {
        problems.push(`${basename(path)}: ${describeProblem(error)}`);
      }
      this.files.set(path, state);
    }
    return { records: state.records, mtimeMs: info.mtimeMs };
  }

  history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    const state = this.files.get(join(run.location, `run-${run.runId}.wandb`));
    return Promise.resolve(state ? byStep([...(historySeries(state.records).get(key) ?? [])]) : []);
  }
}

/**
 * Feeds `[records.consumedBytes, size)` of a datastore to `readWandbFile` in chunks. The framing is
 * by absolute offset (32 KiB blocks), so each chunk starts on a block boundary at or before where
 * the last read stopped; offsets in its answer are shifted back to the file's.
 */
async function readAppended(path: string, size: number, records: WandbRecords, chunkBytes: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    let chunk = Math.max(WANDB_BLOCK * 2, chunkBytes - (chunkBytes % WANDB_BLOCK));
    while (records.consumedBytes < size && !records.halted) {
      const consumed = records.consumedBytes;
      let base = consumed - (consumed % WANDB_BLOCK);
      if (base > 0 && base === consumed) base -= WANDB_BLOCK; // a resumed read must not start at 0 within the chunk: that is the file's header
      const length = Math.min(size - base, chunk);
      const data = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(data, 0, length, base);
      const problemsBefore = records.problems.length;
      readWandbFile(data.subarray(0, bytesRead), records, consumed - base);
      records.consumedBytes += base;
      for (let i = problemsBefore; i < records.problems.length; i++) records.problems[i] = records.problems[i]!.replace(/at byte (\d+)/, (_, n: string) => `at byte ${Number(n) + base}`);
      if (records.halted) break;
      if (records.consumedBytes > consumed) continue;
      if (base + bytesRead >= size) break; // the rest is a record still being written
      if (consumed === 0 && records.problems.length > problemsBefore) break; // not a W&B file
      if (chunk >= MAX_RECORD_BYTES) {
        records.problems.push(`a record at byte ${consumed} runs on for more than ${MAX_RECORD_BYTES / 1024 / 1024} MB: the rest of the file is not read`);
        break;
      }
      chunk *= 2; // one record larger than a chunk
    }
  } finally {
    await handle.close();
  }
}

function parseFolderTime(stamp: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  return m ? new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!).getTime() : undefined;
}

/** Numeric history values per key; `_step` (or the record's step) on x, `_timestamp` as time. */
export function historySeries(records: WandbRecords): Map<string, MetricPoint[]> {
  const out = new Map<string, MetricPoint[]>();
  let index = 0;
  for (const row of records.history) {
    let step = row.step;
    let time: number | undefined;
    const values: [string, number][] = [];
    for (const item of row.items) {
      let value: unknown;
      try {
        value = JSON.parse(item.valueJson);
      } catch {
        continue;
      }
      if (item.key === '_step' && typeof value === 'number') step ??= value;
      else if (item.key === '_timestamp' && typeof value === 'number') time = value * 1000;
      else if (!item.key.startsWith('_') && typeof value === 'number') values.push([item.key, value]);
      else if (!item.key.startsWith('_') && (value === 'NaN' || value === 'Infinity' || value === '-Infinity')) values.push([item.key, Number(value)]);
    }
    step ??= index;
    index++;
    for (const [key, value] of values) {
      let points = out.get(key);
      if (!points) out.set(key, (points = []));
      points.push(time === undefined ? { step, value } : { step, time, value });
    }
  }
  return out;
}
