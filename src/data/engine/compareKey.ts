// Which columns make a row's key when two files are compared (compareFiles.ts). An identifier (a
// row id, a uuid) differs on every row by design: kept in the key, it hides every duplicated feature
// row between train and test, the leakage that matters. The label is left out too, so the same
// features under another label show as a conflict rather than as two different rows.
import type { DatasetColumn } from '../datasetSource';
import { UserError } from '../../common/errors';

/** One column's figures in one file, from the engine (compareFiles.ts findIdentifiers). */
export interface KeyStats {
  readonly rows: number;
  /** No value repeats: among all rows, or past DISTINCT_EXACT_ROWS rows among a sample of about DISTINCT_SAMPLE. */
  readonly unique: boolean;
  readonly nonNull: number;
  /** Text columns: the longest value and how many values hold white space. */
  readonly maxLength?: number;
  readonly spaced?: number;
}

export interface LeftOut {
  readonly column: string;
  /** identifier: unique on every row of both files; target: the label; chosen: not among the key columns asked for. */
  readonly reason: 'identifier' | 'target' | 'chosen';
}

export interface KeyChoice {
  readonly key: readonly string[];
  readonly leftOut: readonly LeftOut[];
  readonly notes: readonly string[];
}

/** Names that usually mean a row's identifier (id, row_id, userId, uuid, …); a hint only: the values decide (isIdentifier). */
const ID_NAME = /^(id|uuid|guid|key|index|idx|rowid|row_?id|row_?num(ber)?|pk)$|[_\-. ](id|uuid|guid|key|idx)$/i;
const CAMEL_ID_NAME = /[a-z](Id|ID|Uuid|UUID|Key)$/;

/**
 * Past this many rows a file's values are checked for repeats in a sample of about DISTINCT_SAMPLE
 * rows (an exact count of a 20M-row id column took 10 s on a loaded machine). The sample is DuckDB's
 * system sample (whole vectors): a reservoir of 1M rows cost 8 times an exact count of 1.5M.
 */
export const DISTINCT_EXACT_ROWS = 5_000_000;
export const DISTINCT_SAMPLE = 2_000_000;
/** Columns checked at most (each a count of distinct values over both files): names that hint first. */
export const MAX_ID_CANDIDATES = 16;
/** A text value longer than this, or holding white space, is prose or a feature, not a key (unless its name says id). */
const MAX_KEY_LENGTH = 64;

export function hintsIdentifier(name: string): boolean {
  return ID_NAME.test(name) || CAMEL_ID_NAME.test(name);
}

/** Shared columns worth the engine's check: integers and text (a float that never repeats is a measurement), not the target. */
export function identifierCandidates(common: readonly DatasetColumn[], target: string | undefined): DatasetColumn[] {
  const fit = common.filter((c) => c.name !== target && (c.kind === 'integer' || c.kind === 'string'));
  const hinted = fit.filter((c) => hintsIdentifier(c.name));
  return [...hinted, ...fit.filter((c) => !hinted.includes(c))].slice(0, MAX_ID_CANDIDATES);
}

/** Unique and never null on every row of each file (of two rows or more); text must look like a key unless its name says so. */
export function isIdentifier(column: DatasetColumn, first: KeyStats, second: KeyStats): boolean {
  const unique = (s: KeyStats): boolean => s.rows >= 2 && s.unique && s.nonNull === s.rows;
  if (!unique(first) || !unique(second)) return false;
  if (column.kind !== 'string' || hintsIdentifier(column.name)) return true;
  const keyLike = (s: KeyStats): boolean => (s.maxLength ?? 0) <= MAX_KEY_LENGTH && (s.spaced ?? 0) === 0;
  return keyLike(first) && keyLike(second);
}

/**
 * The key: the columns asked for (keyColumns), else the shared columns less the target and the
 * identifiers; identifiers stay when nothing else would be left to compare.
 */
export function chooseKey(common: readonly DatasetColumn[], identifiers: readonly string[], options: { readonly target?: string; readonly keyColumns?: readonly string[] }): KeyChoice {
  const names = common.map((c) => c.name);
  const target = options.target !== undefined && names.includes(options.target) ? options.target : undefined;
  const notes = options.target !== undefined && target === undefined ? [`The target ${options.target} is not in both files: labels were not compared.`] : [];
  if (options.keyColumns) {
    const missing = options.keyColumns.filter((c) => !names.includes(c));
    if (missing.length) throw new UserError(`Key column${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in both files (shared: ${names.join(', ') || 'none'}).`);
    const key = names.filter((n) => options.keyColumns?.includes(n) && n !== target);
    if (key.length === 0) throw new UserError('Choose at least one key column other than the target.');
    const leftOut = names.filter((n) => !key.includes(n)).map((column): LeftOut => ({ column, reason: column === target ? 'target' : 'chosen' }));
    return { key, leftOut, notes };
  }
  const features = names.filter((n) => n !== target);
  const ids = features.filter((n) => identifiers.includes(n));
  const withoutIds = features.filter((n) => !ids.includes(n));
  if (ids.length > 0 && withoutIds.length === 0) {
    notes.push(`Every shared column other than the target is unique on each row (${ids.join(', ')}): rows were compared on them all.`);
    return { key: features, leftOut: target ? [{ column: target, reason: 'target' }] : [], notes };
  }
  const leftOut: LeftOut[] = [...ids.map((column): LeftOut => ({ column, reason: 'identifier' })), ...(target ? [{ column: target, reason: 'target' as const }] : [])];
  return { key: withoutIds, leftOut, notes };
}
