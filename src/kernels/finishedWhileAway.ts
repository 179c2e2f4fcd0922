import type { ExecutionStatus } from './execution';

export interface FinishedRun {
  readonly status: ExecutionStatus;
  readonly durationMs: number;
}

/**
 * What to say when a long cell ends while the window is in the background ("Cell 3 of
 * train.ipynb finished after 12.5 min."), or undefined when nothing should be said: the
 * window has focus, the run was short, or the setting (seconds, 0 = never) is off.
 */
export function finishedWhileAwayNotice(
  run: FinishedRun,
  context: { readonly what: string; readonly thresholdSeconds: number; readonly windowFocused: boolean },
): { readonly level: 'info' | 'warning'; readonly message: string } | undefined {
  if (context.thresholdSeconds <= 0 || run.durationMs < context.thresholdSeconds * 1000 || context.windowFocused) return undefined;
  const minutes = run.durationMs / 60_000;
  const took = minutes >= 1 ? `${minutes.toFixed(1)} min` : `${Math.round(run.durationMs / 1000)} s`;
  return run.status === 'ok'
    ? { level: 'info', message: `${context.what} finished after ${took}.` }
    : { level: 'warning', message: `${context.what} failed (${run.status}) after ${took}.` };
}
