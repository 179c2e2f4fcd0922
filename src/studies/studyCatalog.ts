import { stat } from 'node:fs/promises';
import type { StudyFile } from './studyDiscovery';
import { IMPORTANCE_REFRESH_MS, type StudyFileSnapshot, type StudyRecord } from './studyModel';

// The studies the view, the CLI and the agent show: one snapshot per study file, read again when
// the file changes. Changes are found by polling each file's (and its -wal's) size and mtime,
// every POLL_MS while something shows the studies: a trial a running study completes is in the
// tree within a second, on every platform and file system (a watcher misses writes on network
// mounts and coalesces SQLite's). Polling costs two stats a file.

export const POLL_MS = 300;

export interface StudyFileReader {
  read(file: StudyFile, signal?: AbortSignal): Promise<StudyFileSnapshot>;
}

interface Entry {
  readonly file: StudyFile;
  snapshot: StudyFileSnapshot;
  stamp: string;
  readAt: number;
}

/** The worker held back a refit of importances (importanceMemo.ts) and its time has come: reread though the file is unchanged. */
const refitDue = (e: Entry, now: number): boolean => now - e.readAt >= IMPORTANCE_REFRESH_MS && e.snapshot.studies.some((s) => s.importances?.stale);

async function stampOf(file: StudyFile): Promise<string> {
  const parts = await Promise.all([file.path, `${file.path}-wal`].map((p) => stat(p).then((s) => `${s.size}:${s.mtimeMs}`, () => '-')));
  return parts.join('|');
}

export class StudyCatalog {
  private entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<string[]> | undefined;

  constructor(private readonly reader: StudyFileReader) {}

  /** Replaces the files shown and reads them all. */
  async setFiles(files: readonly StudyFile[]): Promise<void> {
    const next = new Map<string, Entry>();
    await Promise.all(
      files.map(async (file) => {
        const stamp = await stampOf(file);
        const old = this.entries.get(file.path);
        const entry = old && old.stamp === stamp ? old : { file, snapshot: await this.reader.read(file), stamp, readAt: Date.now() };
        next.set(file.path, { ...entry, file });
      }),
    );
    this.entries = new Map([...files].map((f) => [f.path, next.get(f.path)!]));
  }

  files(): StudyFileSnapshot[] {
    return [...this.entries.values()].map((e) => e.snapshot);
  }

  studies(): StudyRecord[] {
    return this.files().flatMap((f) => f.studies);
  }

  findStudy(key: string): StudyRecord | undefined {
    return this.studies().find((s) => s.key === key);
  }

  fileOf(studyKey: string): StudyFileSnapshot | undefined {
    return this.files().find((f) => f.studies.some((s) => s.key === studyKey));
  }

  /** Rereads the files that changed since the last look; returns their paths. */
  poll(): Promise<string[]> {
    this.polling ??= (async () => {
      try {
        const changed: string[] = [];
        for (const entry of this.entries.values()) {
          const stamp = await stampOf(entry.file);
          if (stamp === entry.stamp && !refitDue(entry, Date.now())) continue;
          entry.stamp = stamp;
          entry.readAt = Date.now();
          entry.snapshot = await this.reader.read(entry.file);
          changed.push(entry.file.path);
        }
        return changed;
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  /** Polls every `ms` and calls `onChange` with what changed, until `stopPolling`. */
  startPolling(onChange: (paths: string[]) => void, ms = POLL_MS): void {
    if (this.timer) return;
    const tick = (): void => {
      void this.poll().then(
        (paths) => {
          if (paths.length > 0) onChange(paths);
        },
        () => undefined,
      ).finally(() => {
        if (this.timer) this.timer = setTimeout(tick, ms);
      });
    };
    this.timer = setTimeout(tick, ms);
  }

  stopPolling(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.stopPolling();
  }
}
