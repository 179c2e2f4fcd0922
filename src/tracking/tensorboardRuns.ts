import { basename, join, relative } from 'node:path';
import { isDirectChild, toSlashes } from '../common/pathInside';
import { consumeFrom, listDir } from './fileReads';
import { type ColumnSeries, mergeSummaries } from './columnSeries';
import { byStep, describeProblem, type MetricPoint, type MetricSummary, type RunRecord, type RunSource, type SourceSnapshot } from './runModel';
import { readTfEvents } from './tfevents';

// A TensorBoard log folder (`runs/`, `lightning_logs/`, `tb_logs/`): every folder under it that holds
// `events.out.tfevents.*` files is a run, named by its path, as TensorBoard names them. Files are
// read from where the last read stopped, so a live run costs only its new records.

interface FileState {
  offset: number;
  size: number;
  mtimeMs: number;
  plugins: Map<string, string>;
  series: Map<string, ColumnSeries>;
  problems: string[];
}

const MAX_DEPTH = 6;
/** Folders walked under the root at most: a log folder beside a huge data tree must not stall the view. */
const MAX_DIRS = 20_000;

export function isEventFile(name: string): boolean {
  return name.startsWith('events.out.tfevents.');
}

export class TensorBoardLogDir implements RunSource {
  readonly kind = 'tensorboard' as const;
  readonly id: string;
  private readonly files = new Map<string, FileState>();

  constructor(readonly root: string, readonly label = basename(root)) {
    this.id = `tensorboard:${root}`;
  }

  async load(signal?: AbortSignal): Promise<SourceSnapshot> {
    const runDirs = new Map<string, string[]>();
    const problems: string[] = [];
    let dirs = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (++dirs > MAX_DIRS) {
        if (dirs === MAX_DIRS + 1) problems.push(`more than ${MAX_DIRS} folders under ${this.root}: the rest are not read`);
        return;
      }
      let entries;
      try {
        entries = await listDir(dir);
      } catch (error) {
        problems.push(`${dir}: ${describeProblem(error)}`);
        return;
      }
      for (const entry of entries) {
        if (entry.isFile() && isEventFile(entry.name)) {
          let files = runDirs.get(dir);
          if (!files) runDirs.set(dir, (files = []));
          files.push(join(dir, entry.name));
        } else if (entry.isDirectory() && depth < MAX_DEPTH && !entry.name.startsWith('.')) await walk(join(dir, entry.name), depth + 1);
      }
    };
    await walk(this.root, 0);
    const runs: RunRecord[] = [];
    for (const [dir, files] of [...runDirs].sort(([a], [b]) => a.localeCompare(b))) {
      signal?.throwIfAborted();
      runs.push(await this.readRun(dir, files.sort()));
    }
    return { experiments: runs.length > 0 ? [{ id: this.root, name: this.label, runs }] : [], problems };
  }

  private async readRun(dir: string, files: string[]): Promise<RunRecord> {
    const merged = new Map<string, MetricSummary[]>();
    const problems: string[] = [];
    let start = Infinity;
    let updated = 0;
    for (const file of files) {
      const state = await this.update(file);
      problems.push(...state.problems.map((p) => `${basename(file)}: ${p}`));
      updated = Math.max(updated, state.mtimeMs);
      for (const [tag, series] of state.series) {
        const summary = series.summary(tag);
        if (summary) merged.set(tag, [...(merged.get(tag) ?? []), summary]);
        start = Math.min(start, series.firstTime() ?? Infinity);
      }
    }
    // TensorBoard's run name, with "/" on every platform so a run has one name in the CLI, the tree and the agent's tools.
    const name = toSlashes(relative(this.root, dir)) || basename(dir);
    const metrics = [...merged].map(([tag, parts]) => mergeSummaries(tag, parts)).filter((m) => m !== undefined).sort((a, b) => a.key.localeCompare(b.key));
    return {
      key: `${this.id}#${name}`,
      source: this.kind,
      sourceId: this.id,
      experiment: this.label,
      runId: name,
      name,
      status: 'unknown',
      ...(Number.isFinite(start) ? { startTime: start } : {}),
      ...(updated > 0 ? { updatedTime: updated } : {}),
      params: {},
      tags: {},
      metrics,
      location: dir,
      problems,
    };
  }

  /** Reads what was appended to `file` since the last read. */
  private async update(file: string): Promise<FileState> {
    let state = this.files.get(file);
    try {
      const offset = state?.offset ?? 0;
      const fresh: FileState = state ?? { offset: 0, size: 0, mtimeMs: 0, plugins: new Map(), series: new Map(), problems: [] };
      const { used, size, mtimeMs } = await consumeFrom(file, offset, (data, base) => {
        const read = readTfEvents(data, 0, fresh.plugins, fresh.series);
        // A record that failed its CRC is skipped and reported; a half-written tail is just not read yet.
        for (const problem of read.problems) {
          const placed = problem.replace(/at byte (\d+)/, (_, n: string) => `at byte ${Number(n) + base}`);
          if (!fresh.problems.includes(placed)) fresh.problems.push(placed);
        }
        return { used: read.consumedBytes, stop: read.halted, ...(read.pendingRecordBytes === undefined ? {} : { need: read.pendingRecordBytes }) };
      });
      if (state && size < state.offset) {
        this.files.delete(file); // truncated or replaced: read it again from the start
        return this.update(file);
      }
      state = fresh;
      this.files.set(file, state);
      state.offset += used;
      state.size = size;
      state.mtimeMs = mtimeMs;
    } catch (error) {
      state ??= { offset: 0, size: 0, mtimeMs: 0, plugins: new Map(), series: new Map(), problems: [] };
      state.problems = [describeProblem(error)];
    }
    return state;
  }

  history(run: RunRecord, key: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    for (const [file, state] of this.files) {
      if (isDirectChild(run.location, file)) for (const p of state.series.get(key)?.points() ?? []) points.push(p);
    }
    return Promise.resolve(byStep(points));
  }
}
