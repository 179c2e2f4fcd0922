import { closeSync, openSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { toSlashes } from '../common/pathInside';
import { listDirBounded } from '../tracking/fileReads';
import { SqliteFile } from '../tracking/sqlite/sqliteFile';
import { looksLikeJournal } from './optunaJournal';
import { isOptunaDatabase } from './optunaSqlite';
import type { StudyStorageKind } from './studyModel';

// Finds Optuna storages in a workspace: SQLite files (`*.db`, `*.sqlite`, `*.sqlite3`) whose
// schema is Optuna's, and JournalFileStorage `*.log` files whose first line is a journal's first
// operation. Bounded like the tracking discovery (depth, folders, names a folder, time); each
// candidate costs its first page (SQLite) or its first 512 bytes (journal).

export interface StudyFile {
  readonly kind: StudyStorageKind;
  readonly path: string;
}

export interface StudyDiscoveryOptions {
  readonly maxDepth?: number;
  readonly maxDirs?: number;
  readonly timeoutMs?: number;
  readonly exclude?: readonly string[];
}

const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.pytest_cache', 'site-packages', '.ipynb_checkpoints', '.cache', 'dist-packages', 'mlruns', 'wandb']);
const SQLITE_NAME = /\.(db|sqlite3?)$/i;
const JOURNAL_NAME = /\.log$/i;

/** What kind of Optuna storage a file is, or undefined (any error reading it: not one). */
export function studyFileKind(path: string): StudyStorageKind | undefined {
  if (SQLITE_NAME.test(path)) {
    try {
      const db = new SqliteFile(path);
      try {
        return isOptunaDatabase(db) ? 'optuna-sqlite' : undefined;
      } finally {
        db.close();
      }
    } catch {
      return undefined;
    }
  }
  if (JOURNAL_NAME.test(path)) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const head = Buffer.alloc(512);
      const got = readSync(fd, head, 0, 512, 0);
      return looksLikeJournal(head.subarray(0, got).toString('utf8')) ? 'optuna-journal' : undefined;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return undefined;
}

export async function discoverStudyFiles(root: string, options: StudyDiscoveryOptions = {}): Promise<{ found: StudyFile[]; truncated?: string }> {
  const maxDepth = options.maxDepth ?? 6;
  const maxDirs = options.maxDirs ?? 5000;
  const deadline = Date.now() + (options.timeoutMs ?? 3000);
  const excluded = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : undefined;
  const found: StudyFile[] = [];
  let truncated: string | undefined;
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  for (let next = 0; next < queue.length; next++) {
    const { dir, depth } = queue[next]!;
    if (next >= maxDirs || Date.now() > deadline) {
      truncated = next >= maxDirs ? `stopped after ${maxDirs} folders` : `stopped after ${options.timeoutMs ?? 3000} ms`;
      break;
    }
    const { entries } = await listDirBounded(dir, 10_000).catch(() => ({ entries: [] }));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (excluded?.(toSlashes(relative(root, path)))) continue;
      if (entry.isFile() && entry.name !== 'mlflow.db' && (SQLITE_NAME.test(entry.name) || JOURNAL_NAME.test(entry.name))) {
        const kind = studyFileKind(path);
        if (kind) found.push({ kind, path });
      } else if (entry.isDirectory() && depth < maxDepth && !SKIP.has(entry.name)) queue.push({ dir: path, depth: depth + 1 });
    }
  }
  return { found, ...(truncated ? { truncated } : {}) };
}
