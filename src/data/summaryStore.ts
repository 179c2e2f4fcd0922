import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomicWrite';
import { readRegularFile } from '../common/regularFile';
import type { ColumnFilter, ColumnSummary } from './datasetSource';
import type { KnownInfo } from './engine/fileDatasetSource';
import { parseStoreFile, storedInfo, storedSummary, type StoreFile } from './summaryStoreSchema';

// Column summaries of data files kept on disk, so closing a big CSV's tab or reloading the window
// does not profile the file again (seconds of CPU for 1 GB). One small JSON file per data file,
// for one version of it (size + mtime, as the engine's source says it), written through a
// temporary file and a rename; the least recently used files go past a few MB. A store file that
// does not read back (truncated, hand edited, another version's, not a regular file) is a miss
// and is written again: nothing here throws to the caller. It holds what the summary card shows
// (figures and the top values of a column) and the file's info (row count, columns as the full
// read typed them: a reopen counts nothing), never a credential.

/** What a summary depends on, besides the engine's code (the store's salt). Sort does not change it. */
export interface SummaryKey {
  /** The data file, absolute. */
  readonly path: string;
  /** `size-mtime` of the file (FileDatasetSource's version): a rewritten file misses. */
  readonly version: string;
  readonly filters: readonly ColumnFilter[];
  readonly column: string;
  /** The column's engine type: a column read as text after a late value (lateValues.ts) is another summary. */
  readonly type: string;
  /** Columns read as text (late values): a filter on one compares text, not numbers. */
  readonly textColumns: readonly string[];
}

export interface SummaryStoreOptions {
  /** Changes with the code that computes summaries (the extension's version): another salt, other files. */
  readonly salt?: string;
  /** All store files together (default 4 MB); the least recently used files go first. */
  readonly maxBytes?: number;
  /** One data file's summaries (default 512 KB); its least recently used entries go first. */
  readonly maxFileBytes?: number;
}

const STORE_FORMAT = 1;
/** Temporary files a crashed write left are removed after this long. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * A file's version as FileDatasetSource says it, or undefined when the path is not a regular file
 * (a folder's mtime does not change when a file in it is rewritten: never cached).
 */
export async function fileVersion(path: string): Promise<string | undefined> {
  const s = await fs.stat(path).catch(() => undefined);
  return s?.isFile() ? `${s.size}-${Math.trunc(s.mtimeMs)}` : undefined;
}

/** Whether JSON gives `value` back as it is: an infinite max or a NaN would come back null, a card that reads otherwise. */
function survivesJson(value: unknown): boolean {
  let exact = true;
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) exact = false;
    return v;
  });
  return exact;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

export class SummaryStore {
  private readonly salt: string;
  private readonly maxBytes: number;
  private readonly maxFileBytes: number;
  /** Per store file: entries waiting to be written, and the write that takes them (one at a time per file here). */
  private readonly pending = new Map<string, { entries: Map<string, { version: string; summary: ColumnSummary }>; info?: KnownInfo; write: Promise<void> }>();

  constructor(
    readonly folder: string,
    options: SummaryStoreOptions = {},
  ) {
    this.salt = options.salt ?? '';
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.maxFileBytes = Math.min(options.maxFileBytes ?? 512 * 1024, this.maxBytes);
  }

  /** The stored summary, only if the file on disk is still the key's version; undefined for anything else. */
  async get(key: SummaryKey): Promise<ColumnSummary | undefined> {
    try {
      if ((await fileVersion(key.path)) !== key.version) return undefined;
      const file = this.fileOf(key.path);
      const stored = await this.read(file);
      if (stored?.version !== key.version) return undefined;
      const entry = stored.entries.find((e) => e.key === this.entryKey(key));
      const summary = storedSummary(entry?.summary);
      if (!summary || summary.column !== key.column || summary.type !== key.type) return undefined;
      // Recently used: the file's mtime orders the eviction.
      const now = new Date();
      await fs.utimes(file, now, now).catch(() => undefined);
      return summary;
    } catch {
      return undefined;
    }
  }

  /** The file's info as a full read settled it, only if the file on disk is still that version. */
  async getInfo(path: string): Promise<KnownInfo | undefined> {
    try {
      const version = await fileVersion(path);
      if (version === undefined) return undefined;
      const stored = await this.read(this.fileOf(path));
      const info = stored?.version === version ? storedInfo(stored.info) : undefined;
      if (!info) return undefined;
      const { sniffed, ...rest } = info;
      return { version, ...rest, ...(sniffed ? { sniffed } : {}) };
    } catch {
      return undefined;
    }
  }

  /** Keeps the file's info (written with the summaries, same rules: only for the version on disk then); never rejects. */
  putInfo(path: string, info: KnownInfo): Promise<void> {
    if (!survivesJson(info)) return Promise.resolve();
    return this.queue(path, (slot) => (slot.info = info));
  }

  /**
   * Keeps `summary` under `key`, if the file on disk is still the key's version once it was
   * computed (a file rewritten meanwhile was perhaps read half old, half new). Writes to one store
   * file go one at a time, those asked meanwhile in one write; never rejects.
   */
  put(key: SummaryKey, summary: ColumnSummary): Promise<void> {
    if (!survivesJson(summary)) return Promise.resolve();
    return this.queue(key.path, (slot) => slot.entries.set(this.entryKey(key), { version: key.version, summary }));
  }

  /** Adds to the data file's next write: the first addition since the last write took its batch queues it, and it takes all there are then. */
  private queue(path: string, add: (slot: { entries: Map<string, { version: string; summary: ColumnSummary }>; info?: KnownInfo }) => unknown): Promise<void> {
    const file = this.fileOf(path);
    let slot = this.pending.get(file);
    if (!slot) {
      slot = { entries: new Map(), write: Promise.resolve() };
      this.pending.set(file, slot);
    }
    const own = slot;
    const first = own.entries.size === 0 && !own.info;
    add(own);
    if (first) {
      own.write = own.write
        .then(() => {
          const { entries, info } = own;
          own.entries = new Map();
          own.info = undefined;
          return this.write(file, path, entries, info);
        })
        .catch(() => undefined);
    }
    return own.write;
  }

  private fileOf(path: string): string {
    return join(this.folder, `${sha(`${STORE_FORMAT}\u0000${this.salt}\u0000${path}`).slice(0, 40)}.json`);
  }

  private entryKey(key: SummaryKey): string {
    return sha(JSON.stringify([key.filters, key.column, key.type, [...key.textColumns].sort()]));
  }

  private async read(file: string): Promise<StoreFile | undefined> {
    try {
      return parseStoreFile(JSON.parse((await readRegularFile(file, this.maxFileBytes)).toString('utf8')));
    } catch {
      return undefined;
    }
  }

  /** Merges `entries` and `info` into the store file (another session's of the same version stay), then bounds the folder. */
  private async write(file: string, path: string, entries: ReadonlyMap<string, { version: string; summary: ColumnSummary }>, known?: KnownInfo): Promise<void> {
    const version = await fileVersion(path);
    const fresh = [...entries].filter(([, e]) => e.version === version);
    const { version: knownVersion, ...newInfo } = known ?? { version: undefined };
    const keepInfo = knownVersion !== undefined && knownVersion === version;
    if (!version || (fresh.length === 0 && !keepInfo)) return;
    const stored = await this.read(file);
    const info = keepInfo ? newInfo : stored?.version === version ? stored.info : undefined;
    const now = Date.now();
    const kept = new Map((stored?.version === version ? stored.entries : []).map((e) => [e.key, e]));
    for (const [key, e] of fresh) kept.set(key, { key, used: now, summary: e.summary });
    // Newest first; the oldest go until the file fits.
    const list = [...kept.values()].sort((a, b) => b.used - a.used);
    let text: string;
    for (;;) {
      text = JSON.stringify({ store: STORE_FORMAT, version, ...(info ? { info } : {}), entries: list } satisfies StoreFile);
      if (Buffer.byteLength(text) <= this.maxFileBytes) break;
      if (list.length <= 1) return;
      list.splice(Math.max(1, Math.floor(list.length * 0.75)));
    }
    // Top values are the data's own: readable by this user only, as the data file may not be.
    await writeFileAtomic(file, text, { mode: 0o600 });
    await this.bound(file);
  }

  /** Removes the least recently used store files past maxBytes, and temporary files a crash left. */
  private async bound(keep: string): Promise<void> {
    const names = await fs.readdir(this.folder).catch(() => [] as string[]);
    const files: { path: string; size: number; used: number }[] = [];
    for (const name of names) {
      const path = join(this.folder, name);
      const s = await fs.lstat(path).catch(() => undefined);
      if (!s?.isFile()) continue;
      if (name.endsWith('.tmp')) {
        if (Date.now() - s.mtimeMs > STALE_TEMP_MS) await fs.rm(path, { force: true }).catch(() => undefined);
      } else if (name.endsWith('.json')) files.push({ path, size: s.size, used: s.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    for (const f of files.sort((a, b) => a.used - b.used)) {
      if (total <= this.maxBytes) break;
      if (f.path === keep) continue;
      await fs.rm(f.path, { force: true }).catch(() => undefined);
      total -= f.size;
    }
  }
}
