// A folder of shards as one dataset: the data files under it (Spark's part-00000.parquet, a hive
// layout year=2024/month=1/part.parquet, shard-*.csv), of the one format most of them have. The
// walk follows no symbolic link (a link could lead out of the workspace) and skips names starting
// with '.' or '_' (Spark's _SUCCESS and _temporary, .crc files, hidden folders), as Spark, Hive and
// pyarrow do. For the agent every file is also checked as query_dataset checks a path (the caller's
// `check`: confinedSql.ts realFiles, a real, regular file inside a real workspace root).
import { lstat, readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UserError } from '../../common/errors';
import type { DatasetFormat } from '../datasetSource';
import { formatOfPath } from './fileRelation';

/** Shards one folder dataset reads at most, and directory entries the walk looks at. */
export const MAX_FOLDER_FILES = 10_000;
const MAX_FOLDER_ENTRIES = 200_000;
/**
 * Text shards (CSV, TSV, JSON lines) one folder dataset reads at most. Each is read apart and kept
 * apart while the engine builds the table in order (DuckDB's order-preserving insert holds a batch a
 * file): measured, 1,000 tiny CSV shards with 51 columns between them ran out of the default 1 GB,
 * 500 took 1 s (at a 512 MB setting 250 do). Parquet keeps MAX_FOLDER_FILES (not measured so).
 */
export const MAX_TEXT_SHARDS = 500;
/** The formats a folder is read as: Arrow IPC files are imported one at a time (arrowImport.ts), not as a multi-file scan. */
const FOLDER_FORMATS: readonly DatasetFormat[] = ['parquet', 'csv', 'tsv', 'jsonl'];
/** DuckDB takes these characters in a path as a pattern. */
const PATTERN_CHARS = /[*?[\]{}]/;

export interface FolderShard {
  readonly path: string;
  /** Relative to the folder, '/'-separated. */
  readonly rel: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export interface FolderFiles {
  readonly format: DatasetFormat;
  /** The shards read, sorted by relative path (part-00000 before part-00001). */
  readonly shards: readonly FolderShard[];
  readonly totalBytes: number;
  /** Hive partition keys (year, month) from the shards' key=value folders below the folder. */
  readonly partitions: readonly string[];
  /** The folder's real path: the shards' paths start with it and '/'. */
  readonly root: string;
  /**
   * Whether DuckDB's hive_partitioning reads the same keys: it reads key=value from the WHOLE
   * path, so a folder above holding '=' (…/run=7/data) would add a column of the path above.
   */
  readonly hiveSafe: boolean;
  /** What was left out, for the header to say. */
  readonly notes: readonly string[];
}

interface Found {
  readonly byFormat: Map<DatasetFormat, FolderShard[]>;
  /** Data files of formats a folder is not read as (Arrow), and paths the engine would take as patterns. */
  readonly unread: string[];
  links: number;
  /** Subfolders readdir failed on (permissions): their shards are missing. */
  readonly unreadable: string[];
}

/** The folder's data files of its most common format; UserError when it holds none. */
export async function listFolderFiles(folder: string, check?: (path: string) => Promise<void>): Promise<FolderFiles> {
  // The folder's own real path (the caller confined it): the shards' paths are then real ones, as the confinement checks them.
  const real = await realpath(folder).catch(() => folder);
  const found = await walk(real);
  const chosen = chooseFormat(new Map([...found.byFormat].map(([format, files]) => [format, files.length])));
  const name = folder.split(sep).pop() ?? folder;
  if (!chosen) {
    const why = found.unread.length ? ` (${found.unread.length} file${found.unread.length === 1 ? '' : 's'} it cannot read as one dataset: ${found.unread.slice(0, 3).join(', ')}${found.unread.length > 3 ? ', …' : ''})` : '';
    throw new UserError(`${name} holds no data files to read as a dataset: no .parquet, .csv, .tsv, .csv.gz or .jsonl/.ndjson file under it${why}.`);
  }
  const count = found.byFormat.get(chosen)?.length ?? 0;
  if (chosen !== 'parquet' && count > MAX_TEXT_SHARDS) throw new UserError(`${name} holds ${count} ${chosen} files; a folder of text shards is read as one dataset up to ${MAX_TEXT_SHARDS} files (each is read apart, which takes the engine's memory). Open a folder further down, or write the shards as Parquet.`);
  const shards = (found.byFormat.get(chosen) ?? []).sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  if (check) for (const shard of shards) await check(shard.path);
  const notes = leftOutNotes(chosen, found);
  const partitions = hivePartitions(shards.map((s) => s.rel));
  // DuckDB also splits on '\\' (a Windows separator); a '\\' in a Linux name above is as unsafe as '='.
  return { format: chosen, shards, totalBytes: shards.reduce((n, s) => n + s.bytes, 0), partitions, root: real, hiveSafe: partitions.length > 0 && !/[=\\]/.test(real), notes };
}

async function walk(folder: string): Promise<Found> {
  const found: Found = { byFormat: new Map(), unread: [], links: 0, unreadable: [] };
  let seen = 0;
  let files = 0;
  const queue = [folder];
  while (queue.length > 0) {
    const dir = queue.shift() ?? folder;
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      if (dir === folder) throw new UserError(`${folder} cannot be read as a folder: ${(error as Error).message}`);
      found.unreadable.push(relative(folder, dir).split(sep).join('/'));
      return [];
    });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (++seen > MAX_FOLDER_ENTRIES) throw new UserError(`${folder} holds more than ${MAX_FOLDER_ENTRIES} entries; open a folder further down.`);
      if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        found.links++;
        continue;
      }
      if (entry.isDirectory()) queue.push(path);
      if (!entry.isFile()) continue;
      const format = formatOfPath(path);
      if (!format) continue;
      const rel = relative(folder, path).split(sep).join('/');
      if (!FOLDER_FORMATS.includes(format) || PATTERN_CHARS.test(path)) {
        found.unread.push(rel);
        continue;
      }
      if (++files > MAX_FOLDER_FILES) throw new UserError(`${folder} holds more than ${MAX_FOLDER_FILES} data files; open a folder further down (a partition).`);
      const s = await lstat(path);
      const list = found.byFormat.get(format) ?? [];
      list.push({ path, rel, bytes: s.size, mtimeMs: Math.trunc(s.mtimeMs) });
      found.byFormat.set(format, list);
    }
  }
  return found;
}

/** The format most files have; ties go to the first of FOLDER_FORMATS (Parquet before text). */
export function chooseFormat(counts: ReadonlyMap<DatasetFormat, number>): DatasetFormat | undefined {
  let best: DatasetFormat | undefined;
  for (const format of FOLDER_FORMATS) if ((counts.get(format) ?? 0) > 0 && (best === undefined || (counts.get(format) ?? 0) > (counts.get(best) ?? 0))) best = format;
  return best;
}

/** The key of every key=value folder on the shards' paths, in path order (year before month). */
export function hivePartitions(rels: readonly string[]): string[] {
  const keys: string[] = [];
  for (const rel of rels) {
    for (const part of rel.split('/').slice(0, -1)) {
      const eq = part.indexOf('=');
      if (eq > 0 && !keys.includes(part.slice(0, eq))) keys.push(part.slice(0, eq));
    }
  }
  return keys;
}

function leftOutNotes(chosen: DatasetFormat, found: Found): string[] {
  const notes: string[] = [];
  const others = [...found.byFormat].filter(([format]) => format !== chosen);
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (others.length) notes.push(`Read the ${chosen} files only; left out ${others.map(([format, files]) => plural(files.length, `${format} file`)).join(', ')}.`);
  if (found.unread.length) notes.push(`Left out ${plural(found.unread.length, 'file')} not read in a folder (Arrow IPC, or a name holding *, ?, [ or braces): ${found.unread.slice(0, 3).join(', ')}${found.unread.length > 3 ? ', …' : ''}.`);
  if (found.unreadable.length) notes.push(`Left out ${plural(found.unreadable.length, 'folder')} that could not be read (permissions?): ${found.unreadable.slice(0, 3).join(', ')}${found.unreadable.length > 3 ? ', …' : ''}.`);
  if (found.links) notes.push(`${plural(found.links, 'symbolic link')} not followed.`);
  return notes;
}

/**
 * Which shards add or lack columns, from each shard's column names (a note per column that not
 * every shard has; up to `max` notes): the header says why a column is empty in some rows.
 */
export function schemaNotes(columnsByShard: ReadonlyMap<string, readonly string[]>, max = 5): string[] {
  const shards = [...columnsByShard.keys()];
  const all: string[] = [];
  for (const names of columnsByShard.values()) for (const n of names) if (!all.includes(n)) all.push(n);
  const notes: string[] = [];
  const list = (names: readonly string[]): string => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
  for (const column of all) {
    const having = shards.filter((s) => columnsByShard.get(s)?.includes(column));
    if (having.length === shards.length) continue;
    const lacking = shards.filter((s) => !having.includes(s));
    notes.push(having.length <= lacking.length ? `Column "${column}" only in ${list(having)}.` : `Column "${column}" missing from ${list(lacking)} (empty there).`);
  }
  return notes.length > max ? [...notes.slice(0, max), `${notes.length - max} more columns not in every shard.`] : notes;
}
