import { basename } from 'node:path';
import { SqliteFile, type SqlValue } from '../tracking/sqlite/sqliteFile';
import { setOwn } from '../tracking/ownProps';
import { direction, externalValue, parseDistribution, trialState, type Direction, type Distribution, type ParamValue, type StudyFileSnapshot, type StudyRecord, type TrialRecord, type TrialState } from './studyModel';

// Optuna's RDB storage in a SQLite file (optuna/storages/_rdb/models.py; schema v3.0.0.d as
// Optuna 3.x writes it), read with the project's own page-at-a-time SQLite reader: read-only, no
// lock taken (a running study keeps writing), committed WAL frames applied, every loop bounded by
// the file as it is. Each read opens the file, reads every table once and closes it.

const REQUIRED = ['studies', 'trials', 'trial_params', 'trial_values'];

/** Whether an SQLite file holds Optuna's tables (so discovery can tell it from an MLflow or other database). */
export function isOptunaDatabase(db: SqliteFile): boolean {
  return REQUIRED.every((t) => db.hasTable(t)) && db.hasTable('study_directions');
}

const str = (v: SqlValue | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined);
const num = (v: SqlValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);

/** value_type (FINITE, INF_POS, INF_NEG, NAN) with the stored float: the value Optuna means. */
function typedValue(value: SqlValue | undefined, type: SqlValue | undefined): number | undefined {
  if (type === 'INF_POS') return Infinity;
  if (type === 'INF_NEG') return -Infinity;
  if (type === 'NAN') return NaN;
  return num(value);
}

/**
 * Naive "YYYY-MM-DD HH:MM:SS.ffffff" (Optuna stores datetime.now(), local time) as epoch ms. Read
 * by position: a 10,000-trial study has 20,000 of them, and Date.parse with a regex cost 40% of its read.
 */
export function optunaTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length < 19) return undefined;
  const d = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) {
      const c = value.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      n = n * 10 + c;
    }
    return n;
  };
  const sep = value[10];
  if (value[4] !== '-' || value[7] !== '-' || (sep !== ' ' && sep !== 'T') || value[13] !== ':' || value[16] !== ':') return undefined;
  const ms = value[19] === '.' ? d(20, Math.min(23, value.length)) * 10 ** (3 - Math.min(3, value.length - 20)) : 0;
  const time = new Date(d(0, 4), d(5, 7) - 1, d(8, 10), d(11, 13), d(14, 16), d(17, 19), ms).getTime();
  return Number.isNaN(time) ? undefined : time;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

interface TrialDraft {
  number: number;
  studyId: string;
  state: TrialState;
  values: number[];
  params: Record<string, ParamValue>;
  intermediate: [number, number][];
  userAttrs: Record<string, unknown>;
  start?: number;
  complete?: number;
}

export function readOptunaSqlite(path: string): StudyFileSnapshot {
  const db = new SqliteFile(path);
  try {
    if (!isOptunaDatabase(db)) return { kind: 'optuna-sqlite', path, studies: [], problems: [`${basename(path)} has no Optuna tables (studies, trials, trial_params, trial_values): not an Optuna study database`] };
    return readTables(db, path);
  } finally {
    db.close();
  }
}

function readTables(db: SqliteFile, path: string): StudyFileSnapshot {
  const problems: string[] = [];
  // A damaged optional table is a problem to show; the rest still lists.
  const each = (table: string, fn: (row: Record<string, SqlValue>) => void): void => db.eachRowOfOptional(table, fn, problems);
  let libraryVersion: string | undefined;
  each('version_info', (row) => (libraryVersion = str(row.library_version)));

  const studies = new Map<string, { name: string; directions: Direction[]; userAttrs: Record<string, unknown>; systemAttrs: Record<string, unknown>; distributions: Record<string, Distribution>; trials: TrialDraft[] }>();
  for (const row of db.rows('studies')) {
    const id = str(row.study_id) ?? '';
    studies.set(id, { name: str(row.study_name) ?? `study ${id}`, directions: [], userAttrs: {}, systemAttrs: {}, distributions: {}, trials: [] });
  }
  each('study_directions', (row) => {
    const study = studies.get(str(row.study_id) ?? '');
    if (study) study.directions[num(row.objective) ?? 0] = direction(row.direction);
  });
  each('study_user_attributes', (row) => {
    const study = studies.get(str(row.study_id) ?? '');
    if (study) setOwn(study.userAttrs, str(row.key) ?? '', parseJson(str(row.value_json)));
  });
  each('study_system_attributes', (row) => {
    const study = studies.get(str(row.study_id) ?? '');
    if (study) setOwn(study.systemAttrs, str(row.key) ?? '', parseJson(str(row.value_json)));
  });

  const trials = new Map<SqlValue, TrialDraft>();
  for (const row of db.rows('trials')) {
    const id = row.trial_id ?? null;
    const study = studies.get(str(row.study_id) ?? '');
    if (!study) continue;
    const draft: TrialDraft = { number: num(row.number) ?? study.trials.length, studyId: str(row.study_id) ?? '', state: trialState(row.state) ?? 'fail', values: [], params: {}, intermediate: [], userAttrs: {} };
    const start = optunaTime(row.datetime_start);
    const complete = optunaTime(row.datetime_complete);
    if (start !== undefined) draft.start = start;
    if (complete !== undefined) draft.complete = complete;
    trials.set(id, draft);
    study.trials.push(draft);
  }
  // Distributions are read per row: a categorical's index becomes its choice.
  const distributionCache = new Map<string, Distribution | undefined>();
  each('trial_params', (row) => {
    const trial = trials.get(row.trial_id ?? null);
    const name = str(row.param_name);
    if (!trial || name === undefined) return;
    const json = str(row.distribution_json) ?? '';
    let distribution = distributionCache.get(json);
    if (!distributionCache.has(json)) distributionCache.set(json, (distribution = parseDistribution(json)));
    if (distribution) setOwn(studies.get(trial.studyId)!.distributions, name, distribution);
    setOwn(trial.params, name, externalValue(num(row.param_value) ?? NaN, distribution));
  });
  each('trial_values', (row) => {
    const trial = trials.get(row.trial_id ?? null);
    const value = typedValue(row.value, row.value_type);
    if (trial && value !== undefined) trial.values[num(row.objective) ?? 0] = value;
  });
  each('trial_intermediate_values', (row) => {
    const trial = trials.get(row.trial_id ?? null);
    const value = typedValue(row.intermediate_value, row.intermediate_value_type);
    if (trial && value !== undefined) trial.intermediate.push([num(row.step) ?? 0, value]);
  });
  each('trial_user_attributes', (row) => {
    const trial = trials.get(row.trial_id ?? null);
    if (trial) setOwn(trial.userAttrs, str(row.key) ?? '', parseJson(str(row.value_json)));
  });

  const records: StudyRecord[] = [...studies.values()].map((s) => ({
    key: `${path}#${s.name}`,
    name: s.name,
    directions: s.directions.length ? Array.from(s.directions, (d) => d ?? 'not_set') : ['minimize'],
    distributions: s.distributions,
    trials: s.trials.sort((a, b) => a.number - b.number).map(finishTrial),
    userAttrs: s.userAttrs,
    ...samplerOf(s.systemAttrs, s.userAttrs),
  }));
  return { kind: 'optuna-sqlite', path, studies: records, problems, ...(libraryVersion ? { libraryVersion } : {}) };
}

export function finishTrial(t: TrialDraft): TrialRecord {
  return {
    number: t.number,
    state: t.state,
    ...(t.values.length > 0 ? { values: Array.from(t.values, (v) => v ?? NaN) } : {}),
    params: t.params,
    intermediate: t.intermediate.sort((a, b) => a[0] - b[0]),
    userAttrs: t.userAttrs,
    ...(t.start !== undefined ? { start: t.start } : {}),
    ...(t.complete !== undefined ? { complete: t.complete } : {}),
  };
}

/** Optuna does not store the sampler; some scripts record it (optuna-dashboard reads "sampler" too). */
export function samplerOf(...attrs: Record<string, unknown>[]): { sampler?: string } {
  for (const a of attrs) for (const key of ['sampler', 'sampler_name']) if (Object.hasOwn(a, key) && typeof a[key] === 'string') return { sampler: a[key] };
  return {};
}

export type { TrialDraft };
