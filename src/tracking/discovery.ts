import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import picomatch from 'picomatch';
import { toSlashes } from '../common/pathInside';
import { listDir, listDirBounded } from './fileReads';
import { LightningCsvLogs } from './lightningCsv';
import { MlflowFileStore } from './mlflowFileStore';
import { MlflowSqliteStore } from './mlflowSqlite';
import type { RunSource } from './runModel';
import { isEventFile, TensorBoardLogDir } from './tensorboardRuns';
import { WandbRunsDir } from './wandbRuns';

// Finds tracking data in a workspace: `mlruns/`, `mlflow.db`, `wandb/`, Lightning `version_N/`
// folders and TensorBoard event files. Bounded in depth, folder count and time, and it skips
// `files.exclude` globs and the usual heavy folders, so a huge data folder cannot stall it.

export interface DiscoveryOptions {
  readonly maxDepth?: number;
  readonly maxDirs?: number;
  readonly timeoutMs?: number;
  /** Names read from one folder at most (a folder of a million files is sampled, not listed whole). */
  readonly maxEntries?: number;
  /** Globs relative to the root (VS Code's `files.exclude` keys that are on). */
  readonly exclude?: readonly string[];
}

export interface FoundSource {
  readonly kind: RunSource['kind'];
  readonly path: string;
}

export interface DiscoveryResult {
  readonly found: FoundSource[];
  /** Set when a bound stopped the walk: the found list may miss folders. */
  readonly truncated?: string;
}

const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache', 'site-packages', '.ipynb_checkpoints', '.cache', 'dist-packages']);
const RUN_DIR = /^(offline-)?run-\d{8}_\d{6}-[A-Za-z0-9]+$/;
const MAX_ENTRIES = 10_000;

export async function discoverSources(root: string, options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const maxDepth = options.maxDepth ?? 6;
  const maxDirs = options.maxDirs ?? 5000;
  const maxEntries = options.maxEntries ?? MAX_ENTRIES;
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  const excluded = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : undefined;
  const found = new Map<string, FoundSource>();
  const add = (kind: FoundSource['kind'], path: string): void => void found.set(`${kind}:${path}`, { kind, path });
  let visited = 0;
  let truncated: string | undefined;
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  // Breadth first: shallow tracking folders are found before a bound stops a deep walk. Symbolic
  // links are never followed (a Dirent of a link is neither a file nor a folder), so a link loop or
  // a link out of the workspace cannot lead the walk away.
  for (let next = 0; next < queue.length; next++) {
    const { dir, depth } = queue[next]!;
    if (++visited > maxDirs) {
      truncated = `stopped after ${maxDirs} folders`;
      break;
    }
    if (Date.now() > deadline) {
      truncated = `stopped after ${options.timeoutMs ?? 3000} ms`;
      break;
    }
    const listed = await listDirBounded(dir, maxEntries).catch(() => ({ entries: [], truncated: false }));
    const entries = listed.entries;
    if (listed.truncated) truncated ??= `read only the first ${maxEntries} names in ${dir}`;
    const kind = classify(dir, entries);
    if (kind === 'tensorboard-run') {
      add('tensorboard', depth === 0 ? dir : dirname(dir));
      continue;
    }
    if (kind) {
      add(kind, dir);
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (excluded?.(toSlashes(relative(root, path)))) continue; // globs are written with "/" on every platform
      if (entry.isFile() && entry.name === 'mlflow.db') add('mlflow-sqlite', path);
      else if (entry.isDirectory() && depth < maxDepth && !SKIP.has(entry.name)) {
        if (queue.length > maxDirs) truncated = `stopped after ${maxDirs} folders`; // never walked: not kept either
        else queue.push({ dir: path, depth: depth + 1 });
      }
    }
  }
  // A TensorBoard root inside another source's folder (Lightning's TensorBoardLogger) is kept once.
  return { found: [...found.values()], ...(truncated ? { truncated } : {}) };
}

type Entries = Awaited<ReturnType<typeof listDir>>;

function classify(dir: string, entries: Entries): FoundSource['kind'] | 'tensorboard-run' | undefined {
  const names = new Set(entries.map((e) => e.name));
  if (entries.some((e) => e.isFile() && isEventFile(e.name))) return 'tensorboard-run';
  if (basename(dir) === 'mlruns' || (names.has('.trash') && entries.some((e) => e.isDirectory() && /^\d+$/.test(e.name) && existsSync(join(dir, e.name, 'meta.yaml'))))) return 'mlflow';
  if (entries.some((e) => e.isDirectory() && RUN_DIR.test(e.name))) return 'wandb';
  if (entries.some((e) => e.isDirectory() && /^version_/.test(e.name) && (existsSync(join(dir, e.name, 'metrics.csv')) || existsSync(join(dir, e.name, 'hparams.yaml'))))) {
    // version folders holding event files belong to TensorBoardLogger: read as TensorBoard
    const tbVersion = entries.some((e) => e.isDirectory() && /^version_/.test(e.name) && !existsSync(join(dir, e.name, 'metrics.csv')));
    return tbVersion ? undefined : 'lightning';
  }
  return undefined;
}

/** A source for one path given by the user (CLI argument, `mlEngineer.tracking.roots`). */
export async function sourcesForPath(path: string, options: DiscoveryOptions = {}): Promise<RunSource[]> {
  if (/\.(db|sqlite3?)$/i.test(path)) return [new MlflowSqliteStore(path)];
  const entries = await listDir(path);
  const kind = classify(path, entries);
  if (kind === 'tensorboard-run') return [new TensorBoardLogDir(path)];
  if (kind) return [makeSource({ kind, path })];
  return (await discoverSources(path, options)).found.map(makeSource);
}

export function makeSource(found: FoundSource): RunSource {
  switch (found.kind) {
    case 'mlflow':
      return new MlflowFileStore(found.path);
    case 'mlflow-sqlite':
      return new MlflowSqliteStore(found.path);
    case 'tensorboard':
      return new TensorBoardLogDir(found.path);
    case 'lightning':
      return new LightningCsvLogs(found.path);
    case 'wandb':
      return new WandbRunsDir(found.path);
    case 'mlflow-server':
      throw new Error('MLflow servers come from settings, not from folders');
  }
}
