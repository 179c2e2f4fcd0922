// Messages between the study view (media/studies/) and its panel (vscode/studyPanel.ts), one
// union each way. Values that are not finite (a NaN objective, ±inf) travel as null: webview
// messages are JSON, which has no NaN.

export type ViewTrialState = 'running' | 'complete' | 'pruned' | 'fail' | 'waiting';
export type ViewParamValue = number | string | boolean | null;

export type ViewDistribution =
  | { readonly type: 'float' | 'int'; readonly low: number; readonly high: number; readonly log: boolean }
  | { readonly type: 'categorical'; readonly choices: readonly ViewParamValue[] };

export interface ViewTrial {
  readonly number: number;
  readonly state: ViewTrialState;
  readonly values: readonly (number | null)[] | null;
  readonly params: Readonly<Record<string, ViewParamValue>>;
  readonly intermediate: readonly (readonly [number, number | null])[];
  /** Seconds the trial ran (or has run so far), where its times are known. */
  readonly seconds: number | null;
  /** The run in the Experiments view this trial logged to (by its user attributes). */
  readonly run: string | null;
}

export interface StudyViewData {
  readonly type: 'study';
  readonly name: string;
  readonly file: string;
  readonly directions: readonly ('minimize' | 'maximize' | 'not_set')[];
  readonly sampler: string | null;
  readonly counts: Readonly<Record<ViewTrialState, number>>;
  readonly best: number | null;
  readonly pareto: readonly number[];
  readonly params: readonly { readonly name: string; readonly distribution: ViewDistribution }[];
  readonly importances: readonly { readonly name: string; readonly importance: number }[];
  /** Set while a refit is held back on a live study: the importances shown were fitted on `fitted` of `completed` trials. */
  readonly importanceTrials: { readonly fitted: number; readonly completed: number } | null;
  /** How the importances were estimated, said under the chart. */
  readonly importanceMethod: string;
  readonly trials: readonly ViewTrial[];
  readonly problems: readonly string[];
}

export type ToStudyView = StudyViewData | { readonly type: 'gone'; readonly reason: string };

export type FromStudyView = { readonly type: 'ready' } | { readonly type: 'openRun'; readonly trial: number };

/** A message from the page, checked: the page is untrusted input. */
export function parseFromStudyView(message: unknown): FromStudyView | undefined {
  if (typeof message !== 'object' || message === null || !Object.hasOwn(message, 'type')) return undefined;
  const m = message as { type: unknown; trial?: unknown };
  if (m.type === 'ready') return { type: 'ready' };
  if (m.type === 'openRun' && typeof m.trial === 'number' && Number.isInteger(m.trial) && m.trial >= 0) return { type: 'openRun', trial: m.trial };
  return undefined;
}
