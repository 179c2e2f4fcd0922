// The one shape Optuna studies are read into, from RDB storage in SQLite (optunaSqlite.ts) and
// from JournalFileStorage logs (optunaJournal.ts), so the tree, the study view, the CLI and the
// agent's tools handle both the same way. Values keep NaN and ±Infinity as Optuna stored them.

export type TrialState = 'running' | 'complete' | 'pruned' | 'fail' | 'waiting';
export type Direction = 'minimize' | 'maximize' | 'not_set';
export type StudyStorageKind = 'optuna-sqlite' | 'optuna-journal';

export type ParamValue = number | string | boolean | null;

export type Distribution =
  | { readonly type: 'float'; readonly low: number; readonly high: number; readonly log: boolean; readonly step?: number }
  | { readonly type: 'int'; readonly low: number; readonly high: number; readonly log: boolean; readonly step: number }
  | { readonly type: 'categorical'; readonly choices: readonly ParamValue[] };

export interface TrialRecord {
  /** The trial's number in its study (0, 1, ...), as Optuna shows it. */
  readonly number: number;
  readonly state: TrialState;
  /** One value per objective; absent until the trial completes. */
  readonly values?: readonly number[];
  /** Parameters by their external value: a categorical's choice, not its stored index. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** [step, value] in step order (what pruning decided on). */
  readonly intermediate: readonly (readonly [number, number])[];
  readonly userAttrs: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch. */
  readonly start?: number;
  readonly complete?: number;
}

export interface StudyRecord {
  /** Unique across files: the file, then the study's name. */
  readonly key: string;
  readonly name: string;
  readonly directions: readonly Direction[];
  /** Each parameter's distribution, as the trials recorded it (the last trial that set it). */
  readonly distributions: Readonly<Record<string, Distribution>>;
  readonly trials: readonly TrialRecord[];
  readonly userAttrs: Readonly<Record<string, unknown>>;
  /** The sampler's name where the study recorded one (Optuna 3.1 does not always). */
  readonly sampler?: string;
  /** Parameter importances, fitted in the reader worker (importanceMemo.ts); absent where a study was read elsewhere. */
  readonly importances?: StudyImportances;
}

/** A held-back refit of importances on a live study waits at most this long (importanceMemo.ts). */
export const IMPORTANCE_REFRESH_MS = 5000;

export interface StudyImportances {
  readonly values: readonly { readonly name: string; readonly importance: number }[];
  /** Completed trials when they were fitted. */
  readonly trials: number;
  /** More trials have completed since: a refit is held back (IMPORTANCE_REFRESH_MS). */
  readonly stale: boolean;
}

export interface StudyFileSnapshot {
  readonly kind: StudyStorageKind;
  readonly path: string;
  readonly studies: readonly StudyRecord[];
  /** What is wrong with the file; whatever could be read is still listed. */
  readonly problems: readonly string[];
  /** Optuna's version where the file records it. */
  readonly libraryVersion?: string;
}

const STATES: Record<string, TrialState> = { RUNNING: 'running', COMPLETE: 'complete', PRUNED: 'pruned', FAIL: 'fail', WAITING: 'waiting' };
/** TrialState's integer values (the journal's). */
const STATE_NUMBERS: readonly TrialState[] = ['running', 'complete', 'pruned', 'fail', 'waiting'];

export function trialState(stored: unknown): TrialState | undefined {
  if (typeof stored === 'number') return STATE_NUMBERS[stored];
  return typeof stored === 'string' && Object.hasOwn(STATES, stored) ? STATES[stored] : undefined;
}

/** StudyDirection: 'MINIMIZE' / 'MAXIMIZE' in SQLite, 1 / 2 in the journal. */
export function direction(stored: unknown): Direction {
  if (stored === 1 || stored === 'MINIMIZE') return 'minimize';
  if (stored === 2 || stored === 'MAXIMIZE') return 'maximize';
  return 'not_set';
}

/** Optuna's `distribution_json` (current and pre-3.0 names), or undefined when it is not one. */
export function parseDistribution(json: string): Distribution | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const { name, attributes } = parsed as { name?: unknown; attributes?: Record<string, unknown> };
  if (!attributes || typeof attributes !== 'object') return undefined;
  const n = (key: string): number | undefined => (typeof attributes[key] === 'number' ? (attributes[key]) : undefined);
  const low = n('low');
  const high = n('high');
  switch (name) {
    case 'CategoricalDistribution':
      return Array.isArray(attributes.choices) ? { type: 'categorical', choices: attributes.choices.map((c: unknown) => (c === null || ['number', 'string', 'boolean'].includes(typeof c) ? (c as ParamValue) : JSON.stringify(c))) } : undefined;
    case 'FloatDistribution':
    case 'UniformDistribution':
    case 'LogUniformDistribution':
    case 'DiscreteUniformDistribution': {
      if (low === undefined || high === undefined) return undefined;
      const step = n(name === 'DiscreteUniformDistribution' ? 'q' : 'step');
      return { type: 'float', low, high, log: attributes.log === true || name === 'LogUniformDistribution', ...(step !== undefined ? { step } : {}) };
    }
    case 'IntDistribution':
    case 'IntUniformDistribution':
    case 'IntLogUniformDistribution':
      if (low === undefined || high === undefined) return undefined;
      return { type: 'int', low, high, log: attributes.log === true || name === 'IntLogUniformDistribution', step: n('step') ?? 1 };
    default:
      return undefined;
  }
}

/** A stored (internal) value as the user wrote it: `distribution.to_external_repr`. */
export function externalValue(internal: number, distribution: Distribution | undefined): ParamValue {
  if (!distribution) return internal;
  if (distribution.type === 'categorical') return distribution.choices[Math.round(internal)] ?? internal;
  if (distribution.type === 'int') return Math.round(internal);
  return internal;
}

/** A value for the objectives: NaN, ±Infinity kept. */
export function isFiniteValue(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}
